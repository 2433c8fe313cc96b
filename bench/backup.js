import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findClientTool } from '../dist/pgtools/client-tools.js';
import { defaultRestoreJobs, restoreSessionOptions } from '../dist/pgtools/pg-restore.js';
import { createDatabase, dropDatabase, libpqEnv, withClient } from './lib/cluster.js';
import { childEnv, runAstra, runMeasured } from './lib/measure.js';
import { formatBytes, formatCount, formatKb, formatMs, formatRatio, jsonRatio, ratio, section } from './lib/report.js';

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
  const runs = [];

  const pgDump = async (label, args, path, baseline) => {
    bench.progress(`  ${label}`);
    const run = await runMeasured(tools.pgDump, [...args, `--file=${path}`, '--no-password'], { env, cwd: dir });
    runs.push({ label, wallMs: run.wallMs, peakRssKb: run.peakRssKb, archiveBytes: bytesOf(path), baseline });
    rmSync(path, { recursive: true, force: true });
  };
  const astraBackup = async (label, args) => {
    bench.progress(`  ${label}`);
    const run = await runAstra(['--backup-dir', backupDir, 'backup', 'create', ...args], { databaseUrl: bench.url, cwd: dir });
    const manifest = run.result.backup;
    runs.push({ label, wallMs: run.wallMs, peakRssKb: run.peakRssKb, archiveBytes: manifest.sizeBytes, id: manifest.id, archive: join(backupDir, manifest.archive) });
    return manifest;
  };

  await pgDump('pg_dump --format=custom', ['--format=custom'], join(dir, 'baseline.dump'), true);
  const custom = await astraBackup('astra backup create', []);
  let verify;
  let restore;
  if (full) {
    await pgDump('pg_dump --format=directory --jobs=2', ['--format=directory', '--jobs=2'], join(dir, 'baseline.dir'), false);
    await astraBackup('astra backup create --jobs 2', ['--jobs', '2']);
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
  bench.progress('  pg_restore --list');
  const list = await runMeasured(tools.pgRestore, ['--list', archive], { env, cwd: dir });
  bench.progress(`  astra backup verify ${id}`);
  const verify = await runAstra(['--backup-dir', backupDir, 'backup', 'verify', id], { databaseUrl: bench.url, cwd: dir });
  return [
    { label: 'pg_restore --list', baseline: true, wallMs: list.wallMs, peakRssKb: list.peakRssKb, ratio: 1 },
    { label: 'astra backup verify', wallMs: verify.wallMs, peakRssKb: verify.peakRssKb, ratio: ratio(verify.wallMs, list.wallMs), ok: verify.result.ok },
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
  await dropDatabase(cluster, scratch);
  await createDatabase(cluster, scratch);
  bench.progress('  pg_restore (one job) into a new database');
  const baseline = await runMeasured(tools.pgRestore, ['--dbname=', '--no-password', '--exit-on-error', archive], { env: childEnv(libpqEnv(cluster, scratch)), cwd: dir });
  await dropDatabase(cluster, scratch);
  // The floor: pg_restore alone as astra runs it (its jobs and session settings), with no checksum, no row counts, no swap.
  const jobs = defaultRestoreJobs();
  await createDatabase(cluster, scratch);
  bench.progress(`  pg_restore (${jobs} jobs, astra's settings) into a new database`);
  const floor = await runMeasured(tools.pgRestore, ['--dbname=', '--no-password', '--exit-on-error', `--jobs=${jobs}`, archive], {
    env: childEnv({ ...libpqEnv(cluster, scratch), PGOPTIONS: restoreSessionOptions(undefined, jobs) }),
    cwd: dir,
  });
  await dropDatabase(cluster, scratch);
  bench.progress(`  astra rollback --backup ${id}`);
  const rollback = await runAstra(['--backup-dir', backupDir, 'rollback', '--backup', id, '--yes'], { databaseUrl: bench.url, cwd: dir });
  const { rows } = await withClient(cluster, 'postgres', (client) => client.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${database}__pre_rollback_%`]));
  for (const row of rows) await dropDatabase(cluster, row.datname);
  // The restored copy has no statistics and no frozen rows: put back what the load gave, for the benchmarks after this one.
  await withClient(cluster, database, (client) => client.query('VACUUM (FREEZE, ANALYZE)'));
  return [
    { label: 'pg_restore, one job, into a new database', baseline: true, wallMs: baseline.wallMs, peakRssKb: baseline.peakRssKb, ratio: 1 },
    { label: `pg_restore, ${jobs} jobs and astra's settings (the floor)`, wallMs: floor.wallMs, peakRssKb: floor.peakRssKb, ratio: ratio(floor.wallMs, baseline.wallMs) },
    { label: 'astra rollback (restore, check, swap)', wallMs: rollback.wallMs, peakRssKb: rollback.peakRssKb, ratio: ratio(rollback.wallMs, baseline.wallMs) },
  ];
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
      section('Restore: astra rollback against pg_restore of the same archive (target: at most 0.6x)', ['RUN', 'WALL', 'RATIO', 'PEAK RSS'], restore.map((run) => [`${run.label}${run.baseline ? ' (baseline)' : ''}`, formatMs(run.wallMs), formatRatio(run.ratio), formatKb(run.peakRssKb)]), [
        'astra rollback runs pg_restore with one job per core (at most 4), 256MB of maintenance_work_mem per session and asynchronous commits, the archive\'s checksum and pg_restore --list alongside; then counts rows and swaps the databases. The floor row is pg_restore alone as astra runs it.',
      ]),
    );
  }
  return parts.join('\n');
}

export function backupsJson(results) {
  const run = (entry) => ({
    run: entry.label,
    baseline: entry.baseline === true,
    wallMs: Math.round(entry.wallMs),
    ratio: jsonRatio(entry.ratio),
    peakRssKb: entry.peakRssKb ?? null,
    ...(entry.archiveBytes !== undefined ? { archiveBytes: entry.archiveBytes } : {}),
  });
  return results.map(({ size, runs, verify, restore }) => ({ size, runs: runs.map(run), ...(verify ? { verify: verify.map(run) } : {}), ...(restore ? { restore: restore.map(run) } : {}) }));
}
