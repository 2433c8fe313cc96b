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
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

/**
 * pg asks, as it loads, whether it runs in a Cloudflare Worker: on Node 20,
 * which has no `navigator`, by constructing a fetch `Response`, which loads
 * Node's whole HTTP client (undici, http2): about 60 ms of every command that
 * connects. The CLI runs on Node only, so the bundle answers no. Should pg
 * change that code, the build stops here rather than lose the saving unseen.
 */
const nodeOnlyPg = {
  name: 'pg-on-node',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const question = 'if (isCloudflareRuntime()) {';
      if (!source.includes(question)) throw new Error(`${path} no longer reads as scripts/bundle.js expects: look at its Cloudflare test again.`);
      return { contents: source.replace(question, 'if (false) {'), loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'cli.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['libpg-query', 'pg-native', 'fastify', '@fastify/*', 'prom-client', '@clickhouse/client', 'inquirer'],
  // CommonJS dependencies (pg) call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __astraCreateRequire } from 'node:module'; const require = __astraCreateRequire(import.meta.url);" },
  plugins: [nodeOnlyPg],
  logLevel: 'warning',
});
