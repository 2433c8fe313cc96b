// Bundles the CLI after tsc has built dist/: `npm run build` runs it.
//
// Why: a module costs Node a file lookup, a read and a compile; the CLI's
// dependencies (pg, execa, zod, yaml, commander, listr2) are a few hundred of
// them, which took about 200 ms of every command before any work began. The
// bundle is dist/bundle/cli.js plus chunks that each command imports when it
// runs, so `astra --version` still loads only the argument parser.
//
// Kept out of the bundle, loaded from node_modules as usual: libpg-query (it
// reads its WebAssembly file beside its own module), and what only `serve`,
// ClickHouse and prompts use (fastify and its plugins, prom-client,
// @clickhouse/client, inquirer), which are loaded lazily anyway.
//
// The bundle is CommonJS (dist/bundle/package.json says so), and so is
// bin/astra.js: esbuild splits the CLI as ES modules, then each chunk is
// turned into a CommonJS module, its dynamic imports of other chunks into
// require() and its import.meta.url into its file's URL. Node 20 loads a
// CommonJS module with less work than an ES module (no module record to
// link, no loader to start, its own modules required without an ES facade):
// about 20 ms of doctor with its forty chunks (bench/RESULTS.md). Packages
// left out of the bundle are still loaded with import(), as ES modules or not.
// The chunks are strict mode, as they were as ES modules.
//
// The library (dist/index.js, with its .d.ts) is tsc's output and is not bundled.
import { build, transform } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeOnlyPg } from './pg-on-node.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

const split = await build({
  // compile-cache.js is loaded by bin/astra.js before the CLI, to cover it.
  entryPoints: [join(root, 'dist', 'cli.js'), join(root, 'dist', 'compile-cache.js')],
  outdir,
  write: false,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['libpg-query', 'pg-native', 'fastify', '@fastify/*', 'prom-client', '@clickhouse/client', 'inquirer'],
  plugins: [nodeOnlyPg],
  logLevel: 'warning',
});

/** A chunk's import() of another chunk, as esbuild writes it. */
const chunkImport = /\bimport\((["'])(\.\/[\w.-]+\.js)\1\)/g;

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
for (const file of split.outputFiles) {
  const esm = file.text.replace(chunkImport, (_all, _quote, path) => `Promise.resolve().then(() => require(${JSON.stringify(path)}))`);
  const { code } = await transform(esm, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import() of a package left out of the bundle stays import(): some are ES modules only.
    supported: { 'dynamic-import': true },
    define: { 'import.meta.url': '__astraModuleUrl' },
    banner: "'use strict';\nconst __astraModuleUrl = require('node:url').pathToFileURL(__filename).href;",
    sourcefile: basename(file.path),
    logLevel: 'warning',
  });
  writeFileSync(file.path, code);
}
