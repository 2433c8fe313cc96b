import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { astra } from '../helpers/cli.js';
import { parseJson } from '../helpers/reports.js';

/**
 * What lint announces is what the runner runs: the statements the runner
 * rewrites, moves out of the transaction or builds partition by partition
 * are applied by `migrate up` on a server of this test's own that logs every
 * statement it receives (log_statement = 'all'), and the log is compared,
 * statement by statement and in order, with lint's list.
 */
let baseDir: string;
let cluster: LocalCluster;
let url: string;

beforeAll(async () => {
  baseDir = mkdtempSync(join(tmpdir(), 'astra-runs-as-announced-'));
  cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false });
  await cluster.init();
  await cluster.start();
  await cluster.ensureDatabase('app');
  url = cluster.connectionUrl('app');
  const admin = new pg.Client(cluster.connectionConfig());
  await admin.connect();
  await admin.query("ALTER SYSTEM SET log_statement = 'all'");
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(baseDir, { recursive: true, force: true });
});

interface Announced {
  runs: { file: string; line: number; written: string; runs: string[]; where: string }[];
}

/** The statements the server received, in order: each `LOG:  statement: …` entry, its continuation lines joined. */
function loggedStatements(log: string): string[] {
  const statements: string[] = [];
  let current: string[] | undefined;
  for (const line of log.split('\n')) {
    const start = /^\S+ \S+ \S+ \[\d+\] LOG: {2}statement: (.*)$/.exec(line);
    if (start) {
      if (current) statements.push(current.join('\n'));
      current = [start[1]!];
    } else if (current && line.startsWith('\t')) {
      current.push(line.slice(1));
    } else if (current) {
      statements.push(current.join('\n'));
      current = undefined;
    }
  }
  if (current) statements.push(current.join('\n'));
  return statements;
}

describe('lint announces what the runner runs', () => {
  it('moved index builds and drops, and a partitioned table built partition by partition, reach the server as lint lists them, in that order', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE TABLE accounts (id bigint PRIMARY KEY, email text, plan text);
      CREATE INDEX accounts_plan_idx ON accounts (plan);
      INSERT INTO accounts SELECT g, 'a' || g || '@example.com', 'p' || (g % 3) FROM generate_series(1, 3000) AS g;
      CREATE TABLE events (id bigint, at date NOT NULL, kind text) PARTITION BY RANGE (at);
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
      INSERT INTO events SELECT g, DATE '2026-06-01' + (g % 400), 'k' || (g % 7) FROM generate_series(1, 3000) AS g;`);
    await admin.end();

    const dir = join(baseDir, 'migrations');
    mkdirSync(dir);
    writeFileSync(
      join(dir, '001_indexes.sql'),
      [
        'CREATE INDEX accounts_email_idx ON accounts (email);',
        'DROP INDEX accounts_plan_idx;',
        'ALTER TABLE accounts ADD COLUMN note text;',
        'CREATE INDEX events_at_idx ON events (at);',
        '-- astra:allow partitioned-index-unnamed the table is small in this test',
        'CREATE INDEX ON events (kind);',
        '',
      ].join('\n'),
    );

    const lint = await astra(['lint', dir, '--json'], { env: { DATABASE_URL: url } });
    expect(lint.exitCode, lint.stderr).toBe(0);
    const announced = parseJson<Announced>(lint.stdout).runs;
    expect(announced.map((change) => change.line)).toEqual([1, 2, 4, 6]);

    const logFile = join(cluster.dataDir, 'server.log');
    const before = readFileSync(logFile, 'utf8').length;
    const up = await astra(['--migrations-dir', dir, 'migrate', 'up'], { env: { DATABASE_URL: url } });
    expect(up.exitCode, up.stderr).toBe(0);
    const received = loggedStatements(readFileSync(logFile, 'utf8').slice(before));

    // First the statement lint lists no change for, in the migration's transaction.
    const transaction = received.findIndex((statement) => statement.includes('ALTER TABLE accounts ADD COLUMN note text'));
    expect(transaction, received.join('\n---\n')).toBeGreaterThanOrEqual(0);
    for (const change of announced) expect(received[transaction]).not.toContain(change.written);
    // Then each announced statement, as announced, in order, each a message of its own.
    let at = transaction;
    for (const change of announced) {
      for (const sql of change.runs) {
        const found = received.findIndex((statement, index) => index > at && statement === sql);
        expect(found, `${sql} is not among what the server received after ${received[at]}:\n${received.slice(at + 1).join('\n---\n')}`).toBeGreaterThan(at);
        at = found;
      }
    }
    expect(announced.flatMap((change) => change.runs)).toEqual([
      'CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email)',
      'DROP INDEX CONCURRENTLY accounts_plan_idx',
      'CREATE INDEX "events_at_idx" ON ONLY "public"."events" (at)',
      'CREATE INDEX CONCURRENTLY "events_2026_at_idx" ON "public"."events_2026" (at)',
      'ALTER INDEX "public"."events_at_idx" ATTACH PARTITION "public"."events_2026_at_idx"',
      'CREATE INDEX CONCURRENTLY "events_2027_at_idx" ON "public"."events_2027" (at)',
      'ALTER INDEX "public"."events_at_idx" ATTACH PARTITION "public"."events_2027_at_idx"',
      'CREATE INDEX ON events (kind)',
    ]);

    const human = await astra(['lint', dir], { env: { DATABASE_URL: url } });
    expect(human.stdout).toContain('How astra runs the statements it does not run as written:');
    expect(human.stdout).toContain("runs outside the transaction, after the migration's other statements, partition by partition (events is partitioned):");
  });
});
