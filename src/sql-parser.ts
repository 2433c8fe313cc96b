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

export function loadParser(): Promise<void> {
  loaded ??= import('libpg-query').then(async (imported) => {
    await imported.loadModule();
    module = imported;
  });
  return loaded;
}

/** The loaded parser; loadParser() must have been awaited before. */
export function parser(): typeof LibPgQuery {
  if (!module) throw new Error('the SQL parser was used before loadParser() finished');
  return module;
}
