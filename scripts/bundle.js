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
// require() and import.meta.url into its file's URL. Node 20 loads CommonJS
// with less work than ES modules (no ES module loader to start, no module
// records to link, its own modules required without an ES facade): by hand,
// doctor 387 to 370 ms, --version 147 to 129 ms, most of it pg's and Node's
// modules rather than astra's chunks (bench/RESULTS.md). The chunks are strict
// mode, as they were as ES modules.
//
// A package kept out of the bundle that the source imports with import()
// (inquirer, libpg-query) is still loaded so, an ES module or not. One it
// imports statically (fastify, @fastify/rate-limit, prom-client,
// @clickhouse/client) is now require()d when its chunk loads, and its default
// export is its `exports.default` when it marks itself __esModule: the build
// stops if such a package is not CommonJS, rather than ship a chunk that fails
// on the Node versions without require() of ES modules.
//
// The library (dist/index.js, with its .d.ts) is tsc's output and is not bundled.
import { build, transform } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
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
/** A static import of a package (or of one of Node's modules), as esbuild writes it. */
const packageImport = /^(?:import|export)\b[^;]*?\bfrom\s*["']([^"'./][^"']*)["'];?$|^import\s*["']([^"'./][^"']*)["'];?$/gm;

/** `name` resolves for require() from the bundle, to a CommonJS file: not .mjs, not in a "type": "module" package. */
function requiredAsCommonJs(name) {
  let file;
  try {
    file = createRequire(join(outdir, 'cli.js')).resolve(name);
  } catch {
    return false;
  }
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs')) return false;
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
  }
  return true;
}

const builtins = new Set(builtinModules);
const required = new Set();
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
for (const file of split.outputFiles) {
  const esm = file.text.replace(chunkImport, (_all, _quote, path) => `Promise.resolve().then(() => require(${JSON.stringify(path)}))`);
  if (/\bimport\(["']\.\//.test(esm)) throw new Error(`${basename(file.path)} imports another chunk in a way scripts/bundle.js does not rewrite.`);
  for (const [, from, bare] of esm.matchAll(packageImport)) {
    const name = from ?? bare;
    if (!name.startsWith('node:') && !builtins.has(name)) required.add(name);
  }
  const { code } = await transform(esm, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import() of a package left out of the bundle stays import(): some are ES modules only.
    supported: { 'dynamic-import': true },
    define: { 'import.meta.url': '__astraModuleUrl' },
    banner: esm.includes('import.meta') ? "'use strict';\nconst __astraModuleUrl = require('node:url').pathToFileURL(__filename).href;" : "'use strict';",
    sourcefile: basename(file.path),
    logLevel: 'warning',
  });
  writeFileSync(file.path, code);
}
for (const name of required) {
  if (!requiredAsCommonJs(name))
    throw new Error(`${name} cannot be require()d as CommonJS, as the bundle would on Node 20: import it with import() where it is used.`);
}
