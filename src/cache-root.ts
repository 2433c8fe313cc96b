import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

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
