import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { loadParser, parseStatements } from '../../src/migrations/parse.js';
import { astra, repoRoot } from '../helpers/cli.js';
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

describe('lint announces what the runner runs on partitioned tables it cannot work on CONCURRENTLY', () => {
  it('a DROP INDEX of a partitioned index and an index on a table with a foreign partition run as written, a REINDEX CONCURRENTLY, as lint says', async () => {
    await cluster.ensureDatabase('partitioned');
    const target = cluster.connectionUrl('partitioned');
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    await admin.query(`CREATE TABLE events (id bigint, at date NOT NULL, kind text) PARTITION BY RANGE (at);
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE INDEX events_kind_idx ON events (kind);
      INSERT INTO events SELECT g, DATE '2026-06-01' + (g % 200), 'k' || (g % 7) FROM generate_series(1, 2000) AS g;
      CREATE EXTENSION file_fdw;
      CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
      CREATE TABLE readings (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE FOREIGN TABLE readings_archive PARTITION OF readings FOR VALUES FROM ('2000-01-01') TO ('2026-01-01')
        SERVER files OPTIONS (filename '/dev/null');`);
    await admin.end();

    const dir = join(baseDir, 'partitioned-migrations');
    mkdirSync(dir);
    writeFileSync(
      join(dir, '001_partitioned.sql'),
      ['REINDEX TABLE events;', 'DROP INDEX events_kind_idx;', 'CREATE INDEX readings_at_idx ON readings (at);', ''].join('\n'),
    );
    const env = { DATABASE_URL: target };
    const lint = await astra(['lint', dir, '--json'], { env });
    const announced = parseJson<Announced>(lint.stdout).runs;
    expect(announced.map((change) => [change.line, change.runs])).toEqual([
      [1, ['REINDEX TABLE CONCURRENTLY events']],
      [2, ['DROP INDEX events_kind_idx']],
      [3, ['CREATE INDEX readings_at_idx ON readings (at)']],
    ]);
    expect(announced.map((change) => change.where.includes('as written'))).toEqual([false, true, true]);

    const logFile = join(cluster.dataDir, 'server.log');
    const before = readFileSync(logFile, 'utf8').length;
    const up = await astra(['--migrations-dir', dir, 'migrate', 'up'], { env });
    expect(up.exitCode, up.stderr).toBe(0);
    const received = loggedStatements(readFileSync(logFile, 'utf8').slice(before));
    let at = -1;
    for (const run of announced.flatMap((change) => change.runs)) {
      const found = received.findIndex((entry, index) => index > at && entry === run);
      expect(found, `${run} is not among what the server received after entry ${at}:\n${received.slice(at + 1).join('\n---\n')}`).toBeGreaterThan(at);
      at = found;
    }
  });
});

/** Every rule's ok.sql and err.sql, applied after its setup.sql (or the application's objects they use). */
const fixtureRoot = join(repoRoot, 'test', 'fixtures', 'lint-rules');
const applicable = readdirSync(fixtureRoot)
  .filter((rule) => !rule.endsWith('.sql'))
  .flatMap((rule) => (['ok.sql', 'err.sql'] as const).map((file) => [`${rule}/${file}`, rule, file] as const));

describe('lint announces what the runner runs, for every rule fixture', () => {
  it('has fixtures to apply', () => {
    expect(applicable.length).toBe(2 * readdirSync(fixtureRoot).filter((entry) => !entry.endsWith('.sql')).length);
    expect(applicable.length).toBeGreaterThanOrEqual(50);
  });

  it.each(applicable)('%s', async (_name, rule, file) => {
    await loadParser();
    const database = `f_${rule.replace(/-/g, '_')}_${file.replace('.sql', '')}`;
    await cluster.ensureDatabase(database);
    const target = cluster.connectionUrl(database);
    const dir = join(baseDir, database);
    mkdirSync(dir);
    if (existsSync(join(fixtureRoot, rule, 'setup.sql'))) copyFileSync(join(fixtureRoot, rule, 'setup.sql'), join(dir, '001_setup.sql'));
    else writeFileSync(join(dir, '001_setup.sql'), 'SELECT 1;\n');
    const sql = readFileSync(join(fixtureRoot, rule, file), 'utf8');
    writeFileSync(join(dir, '002_case.sql'), sql);
    const env = { DATABASE_URL: target };
    const setup = await astra(['--migrations-dir', dir, 'migrate', 'up', '--to', '1'], { env });
    expect(setup.exitCode, setup.stderr).toBe(0);

    const lint = await astra(['lint', join(dir, '002_case.sql'), '--json'], { env });
    expect([0, 1], lint.stderr).toContain(lint.exitCode);
    const announced = parseJson<Announced>(lint.stdout).runs;
    // What the application made outside the folder, which the fixture's lint cases do not know of: the rule's own, or for a
    // fixture without a setup, the objects its statements use (application.sql beside the rules).
    const own = join(fixtureRoot, rule, 'application.sql');
    const application = existsSync(own) ? own : existsSync(join(fixtureRoot, rule, 'setup.sql')) ? undefined : join(fixtureRoot, 'application.sql');
    if (application) {
      const admin = new pg.Client({ connectionString: target });
      await admin.connect();
      await admin.query(readFileSync(application, 'utf8'));
      await admin.end();
    }

    const logFile = join(cluster.dataDir, 'server.log');
    const before = readFileSync(logFile, 'utf8').length;
    const up = await astra(['--migrations-dir', dir, 'migrate', 'up'], { env });
    expect(up.exitCode, up.stderr).toBe(0);
    const received = loggedStatements(readFileSync(logFile, 'utf8').slice(before));

    // Every statement lint lists no change for reaches the server as written; each announced one as announced, in order,
    // and one announced to run after the migration's other statements after the last of those that run in its transaction.
    const changed = new Set(announced.map((change) => change.line));
    let transactionEnd = -1;
    for (const statement of parseStatements(sql, '002_case.sql').filter((candidate) => !changed.has(candidate.line))) {
      const entry = received.findIndex((candidate) => candidate.includes(statement.text));
      expect(entry, `${statement.text} is not among what the server received:\n${received.join('\n---\n')}`).toBeGreaterThanOrEqual(0);
      if (statement.outsideTransaction === undefined) transactionEnd = Math.max(transactionEnd, entry);
    }
    let at = -1;
    for (const change of announced) {
      const after = change.where.includes("after the migration's other statements") ? transactionEnd : -1;
      for (const run of change.runs) {
        const found = received.findIndex((entry, index) => index > Math.max(at, after) && entry === run);
        expect(found, `${run} is not among what the server received after entry ${Math.max(at, after)}:\n${received.join('\n---\n')}`).toBeGreaterThan(
          Math.max(at, after),
        );
        at = found;
      }
    }
  });
});
