import { mkdirSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { cacheRoot, trustedFolder } from './cache-root.js';

type EnableCompileCache = (dir: string) => unknown;

/**
 * On Node 22.1 and later, V8 keeps the code it compiles from astra's bundle in
 * `<cache>/compiled` (cache-root.ts), and the next command starts from it
 * rather than compiling the same JavaScript again (bench/RESULTS.md: about
 * 10 ms of doctor on Node 22). Node 20 has no such cache, and nothing
 * happens. Left to the user when NODE_COMPILE_CACHE is set; off with
 * ASTRA_CACHE_DIR=off, and when the folder is not one trustedFolder accepts
 * (what V8 reads back there runs). Never fails a command: without it, Node
 * compiles. V8 checks an entry against its flags too: a chunk a parsing
 * command loads after setting --liftoff-only (sql-parser.ts) may be compiled
 * again by a command that parses nothing, and the other way round.
 * Called by bin/astra.js before the CLI loads: it is an entry of the bundle
 * itself, so it and the few small chunks it shares are compiled before the
 * cache is on.
 */
export function useCompileCache(
  env: NodeJS.ProcessEnv = process.env,
  enable: EnableCompileCache | undefined = (module as { enableCompileCache?: EnableCompileCache }).enableCompileCache,
): string | undefined {
  if (!enable || env.NODE_COMPILE_CACHE !== undefined) return undefined;
  const root = cacheRoot(env);
  if (!root) return undefined;
  const dir = join(root, 'compiled');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trustedFolder(dir)) return undefined;
    enable(dir);
    return dir;
  } catch {
    return undefined;
  }
}
