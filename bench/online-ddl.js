// Online DDL under a steady write load: pgbench at a fixed rate against a
// table of millions of rows while a release builds an index, adds a column,
// adds a CHECK constraint NOT VALID and validates it; first as a naive runner
// would (psql, the same files in one transaction), then with `astra upgrade`.
// Latencies come from pgbench's own per-transaction log.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { findPgBinDir } from '../dist/cluster/binaries.js';
import { findClientTool } from '../dist/pgtools/client-tools.js';
import { createDatabase, dropDatabase, libpqEnv, withClient } from './lib/cluster.js';
import { childEnv, runAstra, runMeasured } from './lib/measure.js';
import { formatCount, formatMs, formatRatio, jsonRatio, ratio, section } from './lib/report.js';
import { quantile } from './lib/stats.js';

const DATABASE = 'bench_online';
const RATE = 400;
const CLIENTS = 8;
/** pgbench runs this long before the migration starts, and at least this long after it ends. */
const LEAD_S = 3;

const CREATE_TABLE = `CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  amount numeric(12,2) NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;
/** The release: as astra wants it written, the validation in a migration of its own (lint's constraint-without-not-valid). */
const RELEASE = [
  `CREATE INDEX IF NOT EXISTS orders_customer_idx ON orders (customer_id);
ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;
ALTER TABLE orders ADD CONSTRAINT orders_amount_nonnegative CHECK (amount >= 0) NOT VALID;
`,
  `ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_nonnegative;
`,
];
const UNDO_RELEASE = 'ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_amount_nonnegative; ALTER TABLE orders DROP COLUMN IF EXISTS note; DROP INDEX IF EXISTS orders_customer_idx';

/** What the application does: an update by key and an insert, each its own transaction. */
const PGBENCH_SCRIPT = `\\set id random(1, :rows)
\\set fresh random(:rows + 1, 9000000000)
UPDATE orders SET amount = amount + 0.01 WHERE id = :id;
INSERT INTO orders (id, customer_id, amount, status) VALUES (:fresh, :id % 50000, 1.00, 'open') ON CONFLICT (id) DO NOTHING;
`;

function release(version, files) {
  return `---\nversion: ${version}\ndate: 2026-01-01\nstop_application: false\nmigrations:\n${files.map((file) => `  - file: ${file}\n    safety: safe\n`).join('')}---\n\n# ${version}\n`;
}

export async function measureOnlineDdl(bench, rows) {
  const { cluster, workDir, progress } = bench;
  const dir = join(workDir, 'online');
  const migrationsDir = join(dir, 'migrations');
  const notesDir = join(dir, 'release-notes');
  mkdirSync(migrationsDir, { recursive: true });
  mkdirSync(notesDir, { recursive: true });
  writeFileSync(join(migrationsDir, '000001_orders.up.sql'), CREATE_TABLE);
  writeFileSync(join(migrationsDir, '000002_release.up.sql'), RELEASE[0]);
  writeFileSync(join(migrationsDir, '000003_validate.up.sql'), RELEASE[1]);
  writeFileSync(join(notesDir, '0.1.0.md'), release('0.1.0', ['000001_orders.up.sql']));
  writeFileSync(join(notesDir, '0.2.0.md'), release('0.2.0', ['000002_release.up.sql', '000003_validate.up.sql']));
  const naiveFile = join(dir, 'naive.sql');
  writeFileSync(naiveFile, RELEASE.join(''));
  const scriptFile = join(dir, 'app.sql');
  writeFileSync(scriptFile, PGBENCH_SCRIPT);

  await createDatabase(cluster, DATABASE);
  const url = cluster.connectionUrl(DATABASE);
  const astraArgs = ['--migrations-dir', migrationsDir, '--release-notes-dir', notesDir, '--backup-dir', join(dir, 'backups')];
  await runAstra([...astraArgs, 'migrate', 'up', '--to', '1'], { databaseUrl: url, cwd: dir });
  progress(`  filling orders with ${formatCount(rows)} rows...`);
  await withClient(cluster, DATABASE, async (client) => {
    await client.query(
      `INSERT INTO orders SELECT g, g % 50000, (g % 100000) / 100.0, CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'open' END, now() - g * interval '1 second' FROM generate_series(1, ${rows}) AS g`,
    );
    await client.query('VACUUM ANALYZE orders');
  });

  const { major } = cluster.state();
  const psql = (await findClientTool('psql', major)).path;
  const pgbenchDir = await findPgBinDir(['pgbench']);
  if (!pgbenchDir) throw new Error('pgbench was not found (it comes with the PostgreSQL server or contrib package).');
  const pgbench = join(pgbenchDir.dir, 'pgbench');
  const env = childEnv(libpqEnv(cluster, DATABASE));

  // The naive runner's duration without load decides how long pgbench runs in the loaded windows.
  progress('  the naive runner alone (to size the windows)...');
  const alone = await runMeasured(psql, ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', naiveFile], { env, cwd: dir });
  await runMeasured(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', UNDO_RELEASE], { env, cwd: dir });

  const phase = async (label, seconds, migrate) => {
    progress(`  ${label} under pgbench at ${RATE} transactions/s (${seconds} s window)...`);
    const prefix = join(dir, `log-${label.replace(/\W+/g, '-')}`);
    const load = execa(pgbench, ['-n', '-c', String(CLIENTS), '-j', '2', '-R', String(RATE), '-T', String(seconds), '-D', `rows=${rows}`, '-f', scriptFile, '-l', `--log-prefix=${prefix}`], {
      env,
      extendEnv: false,
      cwd: dir,
      reject: false,
    });
    await new Promise((resolve) => setTimeout(resolve, LEAD_S * 1000));
    const from = Date.now();
    const started = performance.now();
    await migrate();
    const migrationMs = performance.now() - started;
    const to = Date.now();
    const result = await load;
    if (result.exitCode !== 0) throw new Error(`pgbench failed: ${result.shortMessage ?? result.exitCode}\n${result.stderr}\n${result.stdout}`);
    if (to > from + (seconds - LEAD_S) * 1000) throw new Error(`${label} outlasted the pgbench window of ${seconds} s: give it longer.`);
    const latencies = [];
    for (const file of readdirSync(dir).filter((name) => name.startsWith(prefix.slice(dir.length + 1)))) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const fields = line.trim().split(/\s+/);
        if (fields.length < 6) continue;
        const endMs = Number(fields[4]) * 1000 + Number(fields[5]) / 1000;
        const latencyMs = Number(fields[2]) / 1000;
        // Every transaction that was under way during the migration: started before its end, ended after its start.
        if (endMs >= from && endMs - latencyMs <= to) latencies.push(latencyMs);
      }
    }
    const failed = Number(/number of failed transactions: (\d+)/.exec(result.stdout)?.[1] ?? 0);
    const tps = Number(/tps = ([\d.]+)/.exec(result.stdout)?.[1] ?? NaN);
    return {
      label,
      migrationMs,
      transactions: latencies.length,
      p99LatencyMs: quantile(latencies, 0.99),
      maxLatencyMs: latencies.length ? Math.max(...latencies) : undefined,
      failed,
      tps,
    };
  };

  const window = Math.ceil(LEAD_S * 2 + (alone.wallMs / 1000) * 2);
  const naive = await phase('naive: psql -1 -f (one transaction)', window, () => runMeasured(psql, ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', naiveFile], { env, cwd: dir }));
  await runMeasured(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', UNDO_RELEASE], { env, cwd: dir });
  // astra takes a backup first and runs doctor last: a wider window.
  const astra = await phase('astra upgrade --yes', Math.max(90, window * 6), () => runAstra([...astraArgs, 'upgrade', '--to', '0.2.0', '--yes'], { databaseUrl: url, cwd: dir }));
  astra.maxLatencyRatio = ratio(astra.maxLatencyMs, naive.maxLatencyMs);
  await dropDatabase(cluster, DATABASE);
  rmSync(dir, { recursive: true, force: true });
  return { rows, rate: RATE, clients: CLIENTS, aloneMs: alone.wallMs, naive, astra };
}

export function renderOnlineDdl(result) {
  return section(
    `Online DDL: pgbench at ${RATE} transactions/s (${result.clients} clients; an UPDATE by key and an INSERT) on orders, ${formatCount(result.rows)} rows, while a release builds an index, adds a column, adds a CHECK NOT VALID and validates it (target: astra max latency at most 250 ms, no failed transaction)`,
    ['RUN', 'MIGRATION', 'TRANSACTIONS DURING IT', 'P99 LATENCY', 'MAX LATENCY', 'MAX LAT RATIO', 'FAILED', 'TPS OVER THE WINDOW'],
    [result.naive, result.astra].map((run) => [
      run.label,
      formatMs(run.migrationMs),
      formatCount(run.transactions),
      formatMs(run.p99LatencyMs),
      formatMs(run.maxLatencyMs),
      run === result.astra ? formatRatio(run.maxLatencyRatio) : '1.00x',
      formatCount(run.failed),
      Number.isFinite(run.tps) ? run.tps.toFixed(0) : 'n/a',
    ]),
    [
      `The naive run alone took ${formatMs(result.aloneMs)}. Latency is pgbench's, counted from each transaction's scheduled start, so time a transaction waited to be sent counts too.`,
      "astra's run includes its backup (pg_dump) before and doctor after; its migration time is the whole command.",
    ],
  );
}

export function onlineDdlJson(result) {
  const run = (entry) => ({
    run: entry.label,
    migrationMs: Math.round(entry.migrationMs),
    transactions: entry.transactions,
    p99LatencyMs: entry.p99LatencyMs ?? null,
    maxLatencyMs: entry.maxLatencyMs ?? null,
    failed: entry.failed,
    tps: Number.isFinite(entry.tps) ? entry.tps : null,
  });
  return { rows: result.rows, rate: result.rate, clients: result.clients, naive: run(result.naive), astra: { ...run(result.astra), maxLatencyRatio: jsonRatio(result.astra.maxLatencyRatio) } };
}
