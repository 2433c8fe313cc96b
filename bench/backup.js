import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { findClientTool } from '../dist/pgtools/client-tools.js';
import { defaultRestoreJobs, restoreSessionOptions } from '../dist/pgtools/pg-restore.js';
import { createDatabase, dropDatabase, libpqEnv, withClient } from './lib/cluster.js';
import { childEnv, runAstra, runMeasured } from './lib/measure.js';
import { quantile } from './lib/stats.js';
import { formatBytes, formatCount, formatKb, formatMs, formatRatio, jsonRatio, ratio, section } from './lib/report.js';

/** Each subject runs this many times, the subjects in turn; rows are medians. */
const ROUNDS = 3;

/**
 * Backup: astra backup create (custom format, and --jobs 2 in the directory
 * format) against pg_dump of the same database run directly, at one size of
 * the database. Astra's extra work (exported snapshot, row counts, fsync,
 * sha256, manifest) shows in the time ratio; its peak RSS against the
 * archive size shows whether it streams the archive or holds it.
 */
export async function measureBackups(bench, size, { full }) {
  const { cluster, database, workDir } = bench;
  const dir = join(workDir, `backup-${size.events}`);
  mkdirSync(dir, { recursive: true });
  const backupDir = join(dir, 'astra');
  // The pg_dump and pg_restore astra itself picks, so that both sides run the same programs.
  const { major } = cluster.state();
  const tools = { pgDump: (await findClientTool('pg_dump', major)).path, pgRestore: (await findClientTool('pg_restore', major)).path };
  const env = childEnv(libpqEnv(cluster, database));
  const samples = new Map();
  const record = (label, run, facts) => {
    const entry = samples.get(label) ?? { label, wallMs: [], peakRssKb: [], busyCores: [], ...facts };
    entry.wallMs.push(run.wallMs);
    if (run.peakRssKb !== undefined) entry.peakRssKb.push(run.peakRssKb);
    if (run.busyCores !== undefined) entry.busyCores.push(run.busyCores);
    samples.set(label, Object.assign(entry, facts));
  };

  const pgDump = (label, args, path, baseline) => async (round) => {
    bench.progress(`  ${label}, round ${round + 1} of ${ROUNDS}`);
    const run = await runMeasured(tools.pgDump, [...args, `--file=${path}`, '--no-password'], { env, cwd: dir });
    record(label, run, { archiveBytes: bytesOf(path), baseline });
    rmSync(path, { recursive: true, force: true });
  };
  let custom;
  const astraBackup = (label, args) => async (round) => {
    bench.progress(`  ${label}, round ${round + 1} of ${ROUNDS}`);
    const run = await runAstra(['--backup-dir', backupDir, 'backup', 'create', ...args], { databaseUrl: bench.url, cwd: dir });
    const manifest = run.result.backup;
    record(label, run, { archiveBytes: manifest.sizeBytes });
    if (args.length === 0) custom = manifest;
  };

  const steps = [pgDump('pg_dump --format=custom', ['--format=custom'], join(dir, 'baseline.dump'), true), astraBackup('astra backup create', [])];
  if (full) steps.push(pgDump('pg_dump --format=directory --jobs=2', ['--format=directory', '--jobs=2'], join(dir, 'baseline.dir'), false), astraBackup('astra backup create --jobs 2', ['--jobs', '2']));
  await alternating(steps);
  const runs = [...samples.values()].map(medians);
  let verify;
  let restore;
  if (full) {
    verify = await measureVerify(bench, { tools, env, dir, backupDir, id: custom.id, archive: join(backupDir, custom.archive) });
    restore = await measureRestore(bench, { tools, dir, backupDir, id: custom.id, archive: join(backupDir, custom.archive) });
  }
  const baselineMs = runs.find((run) => run.baseline).wallMs;
  for (const run of runs) run.ratio = ratio(run.wallMs, baselineMs);
  rmSync(dir, { recursive: true, force: true });
  return { size, runs, verify, restore };
}

/** astra backup verify (checksum + pg_restore --list) against pg_restore --list alone, on the same archive. */
async function measureVerify(bench, { tools, env, dir, backupDir, id, archive }) {
  const list = [];
  const verify = [];
  let ok = true;
  await alternating([
    async (round) => {
      bench.progress(`  pg_restore --list, round ${round + 1} of ${ROUNDS}`);
      list.push(await runMeasured(tools.pgRestore, ['--list', archive], { env, cwd: dir }));
    },
    async (round) => {
      bench.progress(`  astra backup verify ${id}, round ${round + 1} of ${ROUNDS}`);
      const run = await runAstra(['--backup-dir', backupDir, 'backup', 'verify', id], { databaseUrl: bench.url, cwd: dir });
      ok &&= run.result.ok;
      verify.push(run);
    },
  ]);
  const baseline = medians({ label: 'pg_restore --list', baseline: true, ...columns(list) });
  const checked = medians({ label: 'astra backup verify', ok, ...columns(verify) });
  return [
    { ...baseline, ratio: 1 },
    { ...checked, ratio: ratio(checked.wallMs, baseline.wallMs) },
  ];
}

/**
 * Restore: astra rollback to the custom-format backup (a restore into a new
 * database, its row counts checked, then the swap) against pg_restore of the
 * same archive, one job, into a new database. The database astra set aside
 * is dropped after.
 */
async function measureRestore(bench, { tools, dir, backupDir, id, archive }) {
  const { cluster, database } = bench;
  const scratch = `${database}_restore_baseline`;
  const jobs = defaultRestoreJobs();
  const baseline = [];
  const floor = [];
  const rollback = [];
  // What the step before wrote (a dropped copy, the vacuum after a rollback) is flushed first, not during the next run.
  const settle = () => withClient(cluster, 'postgres', (client) => client.query('CHECKPOINT'));
  const intoScratch = async (runs, args, sessionOptions) => {
    await dropDatabase(cluster, scratch);
    await createDatabase(cluster, scratch);
    await settle();
    runs.push(await runMeasured(tools.pgRestore, ['--dbname=', '--no-password', '--exit-on-error', ...args, archive], { env: childEnv({ ...libpqEnv(cluster, scratch), ...sessionOptions }), cwd: dir }));
    await dropDatabase(cluster, scratch);
  };
  await alternating([
    async (round) => {
      bench.progress(`  pg_restore (one job) into a new database, round ${round + 1} of ${ROUNDS}`);
      await intoScratch(baseline, [], {});
    },
    // The floor: pg_restore alone as astra runs it (its jobs and session settings), with no checksum, no row counts, no swap.
    async (round) => {
      bench.progress(`  pg_restore (${jobs} jobs, astra's settings) into a new database, round ${round + 1} of ${ROUNDS}`);
      await intoScratch(floor, [`--jobs=${jobs}`], { PGOPTIONS: restoreSessionOptions(undefined) });
    },
    async (round) => {
      bench.progress(`  astra rollback --backup ${id}, round ${round + 1} of ${ROUNDS}`);
      await settle();
      rollback.push(await runAstra(['--backup-dir', backupDir, 'rollback', '--backup', id, '--yes'], { databaseUrl: bench.url, cwd: dir }));
      const { rows } = await withClient(cluster, 'postgres', (client) => client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${database}__pre_rollback_%`]));
      for (const row of rows) await dropDatabase(cluster, row.datname);
      // The restored copy has no statistics and no frozen rows: put back what the load gave, for the next round and the benchmarks after this one.
      await withClient(cluster, database, (client) => client.query('VACUUM (FREEZE, ANALYZE)'));
    },
  ]);
  const base = medians({ label: 'pg_restore, one job, into a new database', baseline: true, pgRestore: true, ...columns(baseline) });
  const least = medians({ label: `pg_restore, ${jobs} jobs and astra's settings (the floor)`, pgRestore: true, ...columns(floor) });
  const astra = medians({ label: 'astra rollback (restore, check, swap)', ...columns(rollback) });
  return [
    { ...base, ratio: 1 },
    { ...least, ratio: ratio(least.wallMs, base.wallMs) },
    { ...astra, ratio: ratio(astra.wallMs, base.wallMs) },
  ];
}

/** Runs each step ROUNDS times, the steps in turn, the order rotated by one each round. */
async function alternating(steps) {
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...steps.slice(round % steps.length), ...steps.slice(0, round % steps.length)];
    for (const step of order) await step(round);
  }
}

/** The measured runs of one subject, as lists of their figures. */
function columns(runs) {
  const busy = runs.filter((run) => run.busyCores !== undefined);
  return {
    wallMs: runs.map((run) => run.wallMs),
    peakRssKb: runs.flatMap((run) => (run.peakRssKb === undefined ? [] : [run.peakRssKb])),
    busyCores: busy.map((run) => run.busyCores),
    // CPU work of each run (core-milliseconds): its wall time times its busy cores, taken run by run.
    workMs: busy.map((run) => run.busyCores * run.wallMs),
  };
}

/** One subject's row: the median of each figure over its rounds. */
function medians(entry) {
  return {
    ...entry,
    wallMs: quantile(entry.wallMs, 0.5),
    peakRssKb: quantile(entry.peakRssKb, 0.5),
    busyCores: quantile(entry.busyCores, 0.5),
    ...(entry.workMs ? { workMs: quantile(entry.workMs, 0.5) } : {}),
  };
}

/** Size of a file, or of the files of a folder (directory archives). */
function bytesOf(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((total, name) => total + statSync(join(path, name)).size, 0);
}

const sizeLabel = (size) => `${formatCount(size.events)} + ${formatCount(size.audit)} rows, ${formatBytes(size.databaseBytes)}`;

/** The tables for stdout. */
export function renderBackups(results) {
  const rows = results.flatMap(({ size, runs }) =>
    runs.map((run) => [
      sizeLabel(size),
      `${run.label}${run.baseline ? ' (baseline)' : ''}`,
      formatMs(run.wallMs),
      run.baseline ? '1.00x' : formatRatio(run.ratio),
      formatKb(run.peakRssKb),
      formatBytes(run.archiveBytes),
    ]),
  );
  const parts = [
    section('Backup: wall time against pg_dump --format=custom of the same database', ['DATABASE (events + audit_log)', 'RUN', 'WALL', 'RATIO', 'PEAK RSS', 'ARCHIVE'], rows, [
      'RATIO = wall time / wall time of the baseline at the same size (lower is faster).',
      'PEAK RSS: /usr/bin/time -v "Maximum resident set size" (for astra: the largest of node and the pg_dump it runs).',
    ]),
  ];
  const astraRuns = results.map(({ size, runs }) => ({ size, run: runs.find((run) => run.label === 'astra backup create') }));
  if (astraRuns.length > 1) {
    const [first, last] = [astraRuns[0], astraRuns.at(-1)];
    parts.push(
      section('Backup: astra peak RSS as the database grows (custom format)', ['DATABASE', 'ARCHIVE', 'ASTRA PEAK RSS'], astraRuns.map(({ size, run }) => [sizeLabel(size), formatBytes(run.archiveBytes), formatKb(run.peakRssKb)]), [
        `archive grew ${formatRatio(ratio(last.run.archiveBytes, first.run.archiveBytes))}, astra peak RSS ${formatRatio(ratio(last.run.peakRssKb, first.run.peakRssKb))}.`,
      ]),
    );
  }
  const verify = results.find((result) => result.verify)?.verify;
  if (verify) {
    parts.push(
      section('Backup: verify against pg_restore --list of the same archive', ['RUN', 'WALL', 'RATIO', 'PEAK RSS'], verify.map((run) => [`${run.label}${run.baseline ? ' (baseline)' : ''}`, formatMs(run.wallMs), formatRatio(run.ratio), formatKb(run.peakRssKb)]), [
        'astra backup verify = sha256 of the archive against its manifest + pg_restore --list.',
      ]),
    );
  }
  const restore = results.find((result) => result.restore)?.restore;
  if (restore) {
    parts.push(
      section(
        'Restore: astra rollback against pg_restore of the same archive (target: at most 0.6x)',
        ['RUN', 'WALL', 'RATIO', 'PEAK RSS', 'BUSY CORES'],
        restore.map((run) => [`${run.label}${run.baseline ? ' (baseline)' : ''}`, formatMs(run.wallMs), formatRatio(run.ratio), formatKb(run.peakRssKb), formatCores(run.busyCores)]),
        [
          'astra rollback runs pg_restore with one job per core (at most 4), the server\'s maintenance_work_mem and asynchronous commits, the archive\'s checksum and pg_restore --list alongside; then counts rows, runs ANALYZE on the copy and swaps the databases. The floor row is pg_restore alone as astra runs it.',
          ...restoreLimit(restore),
        ],
      ),
    );
  }
  return parts.join('\n');
}

/** Busy cores of the machine over a run (bench/lib/measure.js), or "-" where /proc/stat is missing. */
const formatCores = (cores) => (cores === undefined ? '-' : `${cores.toFixed(2)} of ${cpus().length}`);

/**
 * What pg_restore of this archive cannot beat on this machine. A run's CPU
 * work is its wall time times the machine's busy cores over it (the
 * server's backends, pg_restore's decompression, the WAL writer, the
 * kernel's writes; and anything else that ran, so the bench wants an
 * otherwise idle machine); more jobs share that work out, they do not make
 * it smaller. The less of the two pg_restore rows' median work (the floor's
 * settings give index builds more memory), spread over every core the whole
 * time, is the least time such a restore can take here. A restore that did
 * less work (no WAL, another compression) is not bound by it.
 */
function restoreLimit(restore) {
  const runs = restore.filter((run) => run.pgRestore && run.workMs !== undefined);
  const baseline = restore.find((run) => run.baseline);
  if (runs.length === 0 || !baseline) return [];
  const cores = cpus().length;
  const work = Math.min(...runs.map((run) => run.workMs));
  return [
    `Limit on this machine: the pg_restore runs above kept ${runs.map((run) => formatCores(run.busyCores)).join(' and ')} cores busy on average; the less of their work, spread over all ${cores} cores the whole time, would still take ${formatMs(work / cores)}, ${formatRatio(work / cores / baseline.wallMs)} of the baseline: a pg_restore of this archive with these settings, whatever its jobs, cannot be faster here (${formatRatio(0.6)} would need ${(work / (0.6 * baseline.wallMs)).toFixed(1)} cores).`,
  ];
}

export function backupsJson(results) {
  const run = (entry) => ({
    run: entry.label,
    baseline: entry.baseline === true,
    wallMs: Math.round(entry.wallMs),
    ratio: jsonRatio(entry.ratio),
    peakRssKb: entry.peakRssKb ?? null,
    ...(entry.archiveBytes !== undefined ? { archiveBytes: entry.archiveBytes } : {}),
    ...(entry.busyCores !== undefined ? { busyCores: Math.round(entry.busyCores * 100) / 100 } : {}),
  });
  return results.map(({ size, runs, verify, restore }) => ({ size, runs: runs.map(run), ...(verify ? { verify: verify.map(run) } : {}), ...(restore ? { restore: restore.map(run) } : {}) }));
}
