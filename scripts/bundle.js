// Bundles the CLI after tsc has built dist/: `npm run build` runs it.
//
// Why: an ES module costs Node a file lookup, a read and a compile; the CLI's
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
// The library (dist/index.js, with its .d.ts) is tsc's output and is not bundled.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBundleOptions } from './pg-on-node.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'cli.js')],
  outdir,
  ...nodeBundleOptions,
  splitting: true,
  external: ['libpg-query', 'pg-native', 'fastify', '@fastify/*', 'prom-client', '@clickhouse/client', 'inquirer'],
});
