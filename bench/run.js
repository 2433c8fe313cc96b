// The benchmarks of astra: `npm run bench` (builds first), or `node bench/run.js`.
// ASTRA_BENCH_ROWS sets the rows of the big table; --json prints one JSON object
// on stdout; --only startup|backup|index runs one benchmark. See bench/README.md.
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { backupsJson, measureBackups, renderBackups } from './backup.js';
import { indexMigrationJson, measureIndexMigration, renderIndexMigration } from './index-migration.js';
import { measureStartup, renderStartup, startupJson } from './startup.js';
import { measureRunner, renderRunner, runnerJson } from './runner.js';
import { measureOnlineDdl, onlineDdlJson, renderOnlineDdl } from './online-ddl.js';
import { Cleanup, createDatabase, startBenchCluster, temporaryDir, withClient } from './lib/cluster.js';
import { astraBin, childEnv, peakRssAvailable, repoRoot, runAstra, runMeasured } from './lib/measure.js';
import { formatBytes, formatCount, formatKb, formatMs } from './lib/report.js';
import { auditRowsFor, databaseBytes, loadRows, writeMigrations } from './lib/schema.js';

const DEFAULT_ROWS = 2_000_000;
const DATABASE = 'astra_bench';
const BENCHMARKS = ['startup', 'backup', 'index', 'runner', 'online'];

function usage(problem) {
  process.stderr.write(`${problem ? `bench: ${problem}\n` : ''}usage: node bench/run.js [--json] [--only startup|backup|index|runner|online]\n  ASTRA_BENCH_ONLINE_ROWS=<n> rows of the online DDL table (default 3,000,000)\n  ASTRA_BENCH_ROWS=<n> rows of the big table (default ${formatCount(DEFAULT_ROWS)})\n`);
  process.exit(problem ? 2 : 0);
}

function parseArguments(argv) {
  const options = { json: false, only: BENCHMARKS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--help' || arg === '-h') usage();
    else if (arg === '--only') {
      const name = argv[++i];
      if (!BENCHMARKS.includes(name)) usage(`--only takes ${BENCHMARKS.join(' or ')}, not ${name ?? 'nothing'}.`);
      options.only = [name];
    } else usage(`unknown argument ${arg}.`);
  }
  const text = process.env.ASTRA_BENCH_ROWS ?? String(DEFAULT_ROWS);
  const rows = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(rows) || rows < 1000) usage(`ASTRA_BENCH_ROWS=${text}: give a whole number of rows, 1000 or more.`);
  options.rows = rows;
  return options;
}

async function sizeOf(bench, events) {
  const bytes = await withClient(bench.cluster, DATABASE, databaseBytes);
  return { events, audit: auditRowsFor(events), databaseBytes: bytes };
}

async function growTo(bench, from, to) {
  const started = Date.now();
  bench.progress(`Loading events ${formatCount(from)} → ${formatCount(to)} rows (audit_log ${formatCount(auditRowsFor(to))})...`);
  await withClient(bench.cluster, DATABASE, (client) => loadRows(client, from, to));
  const size = await sizeOf(bench, to);
  bench.progress(`  loaded in ${formatMs(Date.now() - started)}; database is ${formatBytes(size.databaseBytes)}`);
  return size;
}

async function serverVersion(cluster) {
  return withClient(cluster, 'postgres', async (client) => (await client.query('SHOW server_version')).rows[0].server_version);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) usage(`${join(repoRoot, 'dist')} is missing: run npm run build first (npm run bench does).`);
  const began = Date.now();
  const progress = (line) => process.stderr.write(`${line}\n`);
  // Start-up needs no database: measured first, on a quiet machine.
  const startupRows = options.only.includes('startup') ? await measureStartup(progress) : undefined;
  if (startupRows && options.only.length === 1) {
    if (options.json) process.stdout.write(`${JSON.stringify({ startup: startupJson(startupRows), totalMs: Date.now() - began })}\n`);
    else process.stdout.write(`\n${renderStartup(startupRows)}`);
    return;
  }
  const cleanup = new Cleanup();
  cleanup.onSignals();
  try {
    progress('Starting a PostgreSQL cluster in a temporary folder...');
    const cluster = await startBenchCluster(cleanup);
    const workDir = temporaryDir(cleanup, 'astra-bench-work-');
    const migrationsDir = join(workDir, 'migrations');
    mkdirSync(migrationsDir);
    writeMigrations(migrationsDir);
    await createDatabase(cluster, DATABASE);
    const bench = { cluster, database: DATABASE, url: cluster.connectionUrl(DATABASE), workDir, migrationsDir, progress };
    await runAstra(['--migrations-dir', migrationsDir, 'migrate', 'up', '--to', '1'], { databaseUrl: bench.url, cwd: workDir });

    const environment = {
      date: new Date().toISOString().slice(0, 10),
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memory: formatBytes(totalmem()),
      node: process.version,
      postgres: await serverVersion(cluster),
      peakRss: peakRssAvailable ? '/usr/bin/time -v' : 'not measured (no /usr/bin/time)',
      rows: options.rows,
      loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
      astra: astraBin,
    };
    const startup = await runMeasured('node', [astraBin, '--version'], { env: childEnv(), cwd: workDir });
    progress(`Benchmarks on ${environment.cpus} CPU(s), PostgreSQL ${environment.postgres}, Node ${environment.node}; events ${formatCount(options.rows)} rows (ASTRA_BENCH_ROWS).`);

    const backups = [];
    let size;
    if (options.only.includes('backup')) {
      const quarter = Math.floor(options.rows / 4);
      size = await growTo(bench, 0, quarter);
      progress(`Backup at ${formatCount(quarter)} rows:`);
      backups.push(await measureBackups(bench, size, { full: false }));
      size = await growTo(bench, quarter, options.rows);
      progress(`Backup at ${formatCount(options.rows)} rows:`);
      backups.push(await measureBackups(bench, size, { full: true }));
    } else if (options.only.includes('index')) {
      size = await growTo(bench, 0, options.rows);
    } else {
      size = await sizeOf(bench, 0);
    }
    let index;
    if (options.only.includes('index')) {
      progress('Index migration:');
      index = await measureIndexMigration({ ...bench, size });
    }

    let runner;
    if (options.only.includes('runner')) {
      progress('Runner, status and doctor:');
      runner = await measureRunner(bench);
    }

    let online;
    if (options.only.includes('online')) {
      const text = process.env.ASTRA_BENCH_ONLINE_ROWS ?? '3000000';
      const onlineRows = Number(text.replaceAll('_', ''));
      if (!Number.isInteger(onlineRows) || onlineRows < 1000) usage(`ASTRA_BENCH_ONLINE_ROWS=${text}: give a whole number of rows, 1000 or more.`);
      progress('Online DDL under pgbench:');
      online = await measureOnlineDdl(bench, onlineRows);
    }

    environment.loadAverageAtEnd = loadavg().map((value) => Number(value.toFixed(2)));
    const header = [
      `astra benchmarks, ${environment.date}: ${environment.cpus} CPU(s) (${environment.cpuModel}), ${environment.memory} RAM, PostgreSQL ${environment.postgres}, Node ${environment.node}`,
      `Load average (1, 5, 15 min) at start ${environment.loadAverageAtStart.join(', ')}, at end ${environment.loadAverageAtEnd.join(', ')}: other work on the machine skews single runs.`,
      `astra start-up alone (node bin/astra.js --version): ${formatMs(startup.wallMs)}, peak RSS ${formatKb(startup.peakRssKb)}; every astra figure below includes it.`,
      `Sizes: events ${formatCount(size.events)} rows (ASTRA_BENCH_ROWS=${options.rows}), audit_log ${formatCount(size.audit)} rows; database ${formatBytes(size.databaseBytes)} on disk.`,
      '',
    ].join('\n');
    const tables = [...(startupRows ? [renderStartup(startupRows)] : []), ...(backups.length ? [renderBackups(backups)] : []), ...(index ? [renderIndexMigration(index)] : []), ...(runner ? [renderRunner(runner)] : []), ...(online ? [renderOnlineDdl(online)] : [])];
    const took = `Total run time ${formatMs(Date.now() - began)}.`;
    if (options.json) {
      process.stderr.write(`${header}\n${tables.join('\n')}\n${took}\n`);
      process.stdout.write(`${JSON.stringify({ environment, size, ...(backups.length ? { backup: backupsJson(backups) } : {}), ...(index ? { indexMigration: indexMigrationJson(index) } : {}), ...(runner ? { runner: runnerJson(runner) } : {}), ...(online ? { onlineDdl: onlineDdlJson(online) } : {}), ...(startupRows ? { startup: startupJson(startupRows) } : {}), astraStartup: { wallMs: Math.round(startup.wallMs), peakRssKb: startup.peakRssKb ?? null }, totalMs: Date.now() - began })}\n`);
    } else {
      process.stdout.write(`\n${header}\n${tables.join('\n')}\n${took}\n`);
    }
  } finally {
    progress('Stopping the cluster and removing temporary files...');
    await cleanup.run();
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
