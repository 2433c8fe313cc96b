// An esbuild plugin for what bundles pg to run on Node: the CLI's bundle
// (scripts/bundle.js) and the benchmark's floor script (bench/lib/floor.js).
import { readFileSync } from 'node:fs';

/**
 * pg asks, as it loads, whether it runs in a Cloudflare Worker: on Node 20,
 * which has no `navigator`, by constructing a fetch `Response`, which loads
 * Node's whole HTTP client (undici, http2): about 60 ms of every command that
 * connects. The CLI runs on Node only, so the bundle answers no. Should pg
 * change that code, the build stops here rather than lose the saving unseen.
 */
export const nodeOnlyPg = {
  name: 'pg-on-node',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const question = 'if (isCloudflareRuntime()) {';
      if (!source.includes(question)) throw new Error(`${path} no longer reads as scripts/pg-on-node.js expects: look at its Cloudflare test again.`);
      return { contents: source.replace(question, 'if (false) {'), loader: 'js' };
    });
  },
};
