import { lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * The folder of astra's caches (what it has read, src/parse-cache.ts; what
 * V8 compiled, src/compile-cache.ts), or undefined when they are off or have
 * no usable place: `ASTRA_CACHE_DIR`, else `$XDG_CACHE_HOME/astra`, else
 * `~/.cache/astra`; relative values are ignored, as the XDG rules say;
 * `ASTRA_CACHE_DIR=off` turns them off. A user without a home folder gets
 * none rather than an error.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, home: () => string = homedir): string | undefined {
  const configured = env.ASTRA_CACHE_DIR;
  if (configured === 'off') return undefined;
  if (configured) return isAbsolute(configured) ? configured : undefined;
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'astra');
  let base: string;
  try {
    base = home();
  } catch {
    return undefined;
  }
  return base && isAbsolute(base) ? join(base, '.cache', 'astra') : undefined;
}

/**
 * A cache folder astra may read what it keeps from (what the runner sends,
 * code V8 runs): a folder (not a link) of this user's that no one else can
 * write, in a root that is not a link another user could swap and that is
 * this user's or not writable by others. Throws when either cannot be read.
 */
export function trustedFolder(path: string): boolean {
  const uid = process.getuid?.();
  const ours = (stats: { uid: number }) => uid === undefined || stats.uid === uid;
  const folder = lstatSync(path);
  const root = lstatSync(dirname(path));
  return folder.isDirectory() && ours(folder) && (folder.mode & 0o022) === 0 && !root.isSymbolicLink() && (ours(root) || (root.mode & 0o022) === 0);
}
