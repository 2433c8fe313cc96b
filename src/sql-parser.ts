import type * as LibPgQuery from 'libpg-query';

/**
 * The PostgreSQL parser (libpg-query), loaded on first need: its JavaScript
 * and WebAssembly, with the first parse, are about 90 ms on a 2-core machine
 * (bench/RESULTS.md) that commands which read no SQL (status, backup,
 * rollback), or find every file in the parse cache, do not pay. Await
 * loadParser() once, then call parser() synchronously.
 */
let loaded: Promise<void> | undefined;
let module: typeof LibPgQuery | undefined;
let quickWasm = false;

/**
 * The parser is WebAssembly. By default V8 compiles it quickly, then
 * recompiles its busy functions with its optimizing compiler on other
 * threads: work that a command of a few hundred milliseconds never earns
 * back, and about 30 MB of memory. The baseline compiler alone parsed a
 * folder of 41 migrations in a third of the time (bench/RESULTS.md). The CLI
 * asks for it at start; the flag is set when the parser loads (a command that
 * parses nothing does not load node:v8 either). The library leaves the
 * embedding process's flags alone.
 */
export function preferQuickWasm(): void {
  quickWasm = true;
}

export function loadParser(): Promise<void> {
  loaded ??= (async () => {
    if (quickWasm) (await import('node:v8')).setFlagsFromString('--liftoff-only');
    const imported = await import('libpg-query');
    await imported.loadModule();
    module = imported;
  })();
  return loaded;
}

/** The loaded parser; loadParser() must have been awaited before. */
export function parser(): typeof LibPgQuery {
  if (!module) throw new Error('the SQL parser was used before loadParser() finished');
  return module;
}
