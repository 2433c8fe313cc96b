// The floor script of the doctor and status measurements (bench/floor/),
// bundled for the run as scripts/bundle.js bundles the CLI (CommonJS, pg with
// the same plugin), so that pg loads as it loads in astra; and the statements a command sends, recorded
// from one run of it (sql-spy.cjs) for the floor to send again.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeOnlyPg } from '../../scripts/pg-on-node.js';
import { repoRoot, runMeasured } from './measure.js';

/** Bundles bench/floor/replay.js into `dir`; returns the bundle's path. */
export async function bundleFloor(dir) {
  const outfile = join(dir, 'floor-replay.cjs');
  await build({
    entryPoints: [join(repoRoot, 'bench', 'floor', 'replay.js')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['pg-native'],
    plugins: [nodeOnlyPg],
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Runs `node <args>` once with the SQL recorder preloaded (in `env`, in
 * `cwd`); the statements it sent are written to `file`, and their number
 * returned. Throws when the command fails, sent nothing, or sent what the
 * recorder says cannot be replayed as it was, so that a floor never replays
 * something else.
 */
export async function recordStatements(args, { env, cwd, file }) {
  await runMeasured('node', ['--require', join(repoRoot, 'bench', 'lib', 'sql-spy.cjs'), ...args], { env: { ...env, ASTRA_BENCH_SQL_OUT: file }, cwd });
  const { statements, unsupported } = JSON.parse(readFileSync(file, 'utf8'));
  if (unsupported) throw new Error(`node ${args.join(' ')} cannot be replayed as a floor: ${unsupported}.`);
  if (statements.length === 0) throw new Error(`node ${args.join(' ')} sent no statement to record.`);
  return statements.length;
}
