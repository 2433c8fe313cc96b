import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { BuildWatch } from './lib/build-watch.js';
import { withClient } from './lib/cluster.js';
import { runAstra } from './lib/measure.js';
import { formatCount, formatMs, formatRatio, jsonRatio, ratio, section } from './lib/report.js';
import { CREATE_INDEX, INDEX_NAME } from './lib/schema.js';
import { windowStats } from './lib/stats.js';
import { sleep, Writer } from './lib/writer.js';

/** How long the writer runs alone, to show its rate with nothing in its way. */
const ALONE_MS = 3000;
/** Writer time before and after each build, so that it is in its stride when the build starts. */
const LEAD_MS = 1000;

const CONCURRENT_INDEX = CREATE_INDEX.replace('CREATE INDEX', 'CREATE INDEX CONCURRENTLY');

/**
 * Writes served during an index migration. One writer (single-row INSERT and
 * UPDATE on events, one connection) runs throughout; the same index is built
 * three times on the same table, dropped in between: as a plain
 * BEGIN; CREATE INDEX; COMMIT (the baseline), as CREATE INDEX CONCURRENTLY
 * typed by hand (a reference: what PostgreSQL alone gives), and by
 * `astra migrate up` applying the migration that holds the plain CREATE INDEX.
 * What the writer saw during each build is read from its recorded statements.
 */
export async function measureIndexMigration(bench) {
  const { cluster, database } = bench;
  const config = cluster.connectionConfig(database);
  const writer = new Writer(config, bench.size.events);
  await writer.start();
  const result = {};
  try {
    bench.progress(`  writer alone for ${ALONE_MS / 1000} s`);
    const aloneFrom = performance.now();
    await sleep(ALONE_MS);
    result.alone = { label: 'writer alone (no build)', ...windowStats(writer.writes, aloneFrom, performance.now()) };

    result.plain = await measureBuild(bench, writer, 'plain CREATE INDEX in a transaction', `BEGIN; ${CREATE_INDEX}; COMMIT`, () =>
      runStatements(config, ['BEGIN', CREATE_INDEX, 'COMMIT']),
    );
    await dropIndex(bench);
    result.concurrent = await measureBuild(bench, writer, 'CREATE INDEX CONCURRENTLY by hand', CONCURRENT_INDEX, () => runStatements(config, [CONCURRENT_INDEX]));
    await dropIndex(bench);
    result.astra = await measureBuild(bench, writer, 'astra migrate up', 'astra migrate up', async () => {
      const run = await runAstra(['--migrations-dir', bench.migrationsDir, 'migrate', 'up'], { databaseUrl: bench.url, cwd: bench.workDir });
      return { from: run.start, to: run.end, migrationMs: run.result.applied?.[0]?.durationMs };
    });
  } finally {
    await writer.stop();
  }
  result.astra.indexValid = await indexValid(bench);
  for (const run of [result.concurrent, result.astra]) {
    run.buildRatio = ratio(run.buildMs, result.plain.buildMs);
    run.maxLatencyRatio = ratio(run.maxLatencyMs, result.plain.maxLatencyMs);
    run.writesPerSecondRatio = ratio(run.writesPerSecond, result.plain.writesPerSecond);
  }
  return result;
}

/**
 * One build while the writer runs: a checkpoint (so that no build pays for
 * the writes of the one before), a second of writes, the build (watched from
 * the server), a second of writes. The writer's figures are taken over the
 * build as the server ran it; the command's own wall time (for astra: the
 * whole process) is kept beside it.
 */
async function measureBuild(bench, writer, label, title, build) {
  await withClient(bench.cluster, bench.database, (client) => client.query('CHECKPOINT'));
  await sleep(LEAD_MS);
  bench.progress(`  ${title}`);
  const watch = new BuildWatch(bench.cluster.connectionConfig(bench.database), 'events');
  await watch.start();
  let command;
  let seen;
  try {
    command = await build();
  } finally {
    seen = await watch.stop();
  }
  const window = seen ?? command;
  await sleep(LEAD_MS);
  return {
    label,
    buildMs: window.to - window.from,
    commandMs: command.to - command.from,
    phases: watch.phases,
    ...(command.migrationMs !== undefined ? { migrationMs: command.migrationMs } : {}),
    ...windowStats(writer.writes, window.from, window.to),
  };
}

/** Runs statements one after the other on a connection of their own; the wall time of all of them. */
async function runStatements(config, statements) {
  const client = new pg.Client(config);
  await client.connect();
  try {
    const from = performance.now();
    for (const statement of statements) await client.query(statement);
    return { from, to: performance.now() };
  } finally {
    await client.end();
  }
}

async function dropIndex(bench) {
  await withClient(bench.cluster, bench.database, (client) => client.query(`DROP INDEX ${pg.escapeIdentifier(INDEX_NAME)}`));
}

async function indexValid(bench) {
  return withClient(bench.cluster, bench.database, async (client) => {
    const { rows } = await client.query('SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)', [INDEX_NAME]);
    return rows[0]?.indisvalid === true;
  });
}

const perSecond = (value) => (value === undefined ? 'n/a' : value.toFixed(0));

export function renderIndexMigration(result) {
  const { alone, plain, concurrent, astra } = result;
  const row = (run, ratios) => [
    run.label,
    run.commandMs === undefined ? `(${formatMs(run.windowMs)} alone)` : formatMs(run.buildMs),
    run.commandMs === undefined ? '' : formatMs(run.commandMs),
    formatCount(run.writesCompleted),
    perSecond(run.writesPerSecond),
    formatMs(run.p99LatencyMs),
    formatMs(run.maxLatencyMs),
    ...ratios,
  ];
  const ratios = (run) => [formatRatio(run.buildRatio), formatRatio(run.maxLatencyRatio), formatRatio(run.writesPerSecondRatio)];
  const keptOfAlone = (run) => formatRatio(ratio(run.writesPerSecond, alone.writesPerSecond));
  return section(
    `Index migration: single-row writes to events while ${CREATE_INDEX} runs`,
    ['RUN', 'BUILD', 'COMMAND WALL', 'WRITES DONE', 'WRITES/S', 'P99 LATENCY', 'MAX LATENCY', 'BUILD RATIO', 'MAX LAT RATIO', 'WRITES/S RATIO'],
    [
      row(alone, ['', '', '']),
      row({ ...plain, label: `${plain.label} (baseline)` }, ['1.00x', '1.00x', '1.00x']),
      row(concurrent, ratios(concurrent)),
      row(astra, ratios(astra)),
    ],
    [
      'Ratios are against the plain build (the baseline). BUILD is the build as the server showed it in pg_stat_progress_create_index;',
      'writes are counted when they finish inside it, and latencies cover every write that overlapped it.',
      `COMMAND WALL for astra is the whole process (start-up, connection, run lock, ledger); it reported ${formatMs(astra.migrationMs)} for the migration itself.`,
      `Writes/s with nothing in the way: ${perSecond(alone.writesPerSecond)}; the writer kept ${keptOfAlone(astra)} of that rate during astra's build, ${keptOfAlone(concurrent)} during the hand-typed CONCURRENTLY build, ${keptOfAlone(plain)} during the plain build.`,
      `Build phases, plain: ${plain.phases.join(' > ') || 'not seen'}.`,
      `Build phases, astra: ${astra.phases.join(' > ') || 'not seen'}.`,
      `Index valid after astra's build: ${astra.indexValid ? 'yes' : 'NO'}.`,
    ],
  );
}

function runJson(entry) {
  const ms = (value) => (value === undefined ? null : Number(value.toFixed(2)));
  return {
    run: entry.label,
    buildMs: entry.commandMs === undefined ? null : Math.round(entry.buildMs),
    commandMs: entry.commandMs === undefined ? null : Math.round(entry.commandMs),
    ...(entry.phases ? { phases: entry.phases } : {}),
    windowMs: Math.round(entry.windowMs),
    writesCompleted: entry.writesCompleted,
    writesPerSecond: Number(entry.writesPerSecond.toFixed(1)),
    p50LatencyMs: ms(entry.p50LatencyMs),
    p99LatencyMs: ms(entry.p99LatencyMs),
    maxLatencyMs: ms(entry.maxLatencyMs),
    ...(entry.buildRatio !== undefined
      ? { ratios: { buildMs: jsonRatio(entry.buildRatio), maxLatencyMs: jsonRatio(entry.maxLatencyRatio), writesPerSecond: jsonRatio(entry.writesPerSecondRatio) } }
      : {}),
  };
}

export function indexMigrationJson(result) {
  const { alone, plain, concurrent, astra } = result;
  return {
    statement: CREATE_INDEX,
    writerAlone: runJson(alone),
    baseline: runJson(plain),
    concurrentByHand: runJson(concurrent),
    astra: { ...runJson(astra), migrationMs: astra.migrationMs ?? null, indexValid: astra.indexValid },
  };
}
