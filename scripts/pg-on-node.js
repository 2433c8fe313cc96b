// An esbuild plugin for what bundles pg to run on Node: the CLI's bundle
// (scripts/bundle.js) and the benchmark's floor script (bench/lib/floor.js).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NODE_CRYPTO = fileURLToPath(new URL('./pg-crypto-on-node.cjs', import.meta.url));

/** The names a CommonJS file's `module.exports = { a, b }` lists, sorted. */
function exportedNames(source) {
  const list = /module\.exports = \{([^}]*)\}/.exec(source)?.[1];
  return list
    ? list
        .split(',')
        .map((name) => name.trim().split(':')[0].trim())
        .filter(Boolean)
        .sort()
    : [];
}

/**
 * Two changes to pg as it is bundled.
 *
 * pg asks, as it loads, whether it runs in a Cloudflare Worker: on Node 20,
 * which has no `navigator`, by constructing a fetch `Response`, which loads
 * Node's whole HTTP client (undici, http2): about 60 ms of every command that
 * connects. The CLI runs on Node only, so the bundle answers no. Should pg
 * change that code, the build stops here rather than lose the saving unseen.
 *
 * pg computes SCRAM authentication with Web Crypto, a turn of the event loop
 * per step; the bundle uses scripts/pg-crypto-on-node.cjs instead, the same
 * functions done with Node's crypto at once (that file says what it saves).
 * Should pg's file export other names, the build stops.
 */
export const nodeOnlyPg = {
  name: 'pg-on-node',
  setup(esbuild) {
    // Both files are met whenever the build bundles pg: should pg move either, the build stops rather than ship pg unchanged.
    let bundlesPg = false;
    const changed = new Set();
    esbuild.onStart(() => {
      bundlesPg = false;
      changed.clear();
    });
    esbuild.onResolve({ filter: /^pg$/ }, () => {
      bundlesPg = true;
      return undefined;
    });
    esbuild.onEnd((result) => {
      const missed = ['pg/lib/stream.js', 'pg/lib/crypto/utils.js'].filter((file) => !changed.has(file));
      if (result.errors.length === 0 && bundlesPg && missed.length > 0)
        return {
          errors: [{ text: `${missed.join(' and ')} no longer in the build: scripts/pg-on-node.js has nothing to change there; look at pg's files again.` }],
        };
    });
    esbuild.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, ({ path }) => {
      changed.add('pg/lib/stream.js');
      const source = readFileSync(path, 'utf8');
      const question = 'if (isCloudflareRuntime()) {';
      if (!source.includes(question)) throw new Error(`${path} no longer reads as scripts/pg-on-node.js expects: look at its Cloudflare test again.`);
      return { contents: source.replace(question, 'if (false) {'), loader: 'js' };
    });
    esbuild.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]crypto[\\/]utils\.js$/ }, ({ path }) => {
      changed.add('pg/lib/crypto/utils.js');
      const ours = readFileSync(NODE_CRYPTO, 'utf8');
      const theirs = exportedNames(readFileSync(path, 'utf8'));
      if (theirs.length === 0 || theirs.join() !== exportedNames(ours).join()) {
        throw new Error(
          `${path} exports ${theirs.join(', ') || 'nothing this build can read'}: scripts/pg-crypto-on-node.cjs stands in for it and exports ${exportedNames(ours).join(', ')}.`,
        );
      }
      return { contents: ours, loader: 'js' };
    });
  },
};
