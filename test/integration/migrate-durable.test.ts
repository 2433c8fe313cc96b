import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { astra } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * Each migration commits without waiting for its WAL to reach the disk; the
 * run waits once, at its end, for all of them (MigrationRunner.flush). What
 * that must keep: a run that says it applied N migrations has all N on disk,
 * each with its ledger row. The server (durable: fsync and synchronous
 * commits on, as in production) is crashed right after the CLI exits:
 * SIGQUIT to the postmaster is PostgreSQL's immediate shutdown, which writes
 * nothing more, so WAL still in the server's memory is lost, as in a crash.
 */
describe('a run of migrations, then a crash of the server', () => {
  let baseDir: string;
  let cluster: LocalCluster;
  beforeAll(async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'astra-durable-'));
    cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: true });
    await cluster.init();
    // The WAL writer's own flush as late as it can be (10 s): what is on disk at the crash is what the run made durable.
    appendFileSync(join(cluster.dataDir, 'postgresql.conf'), 'wal_writer_delay = 10000ms\n');
    await cluster.start();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(baseDir, { recursive: true, force: true });
  });

  /** Stops the server as a crash would, and waits until its processes are gone. */
  async function crash(): Promise<void> {
    const postmaster = Number(readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGQUIT');
    await waitUntil('the crashed server is gone', () => {
      try {
        process.kill(postmaster, 0);
        return false;
      } catch {
        return true;
      }
    });
  }

  async function query<Row extends pg.QueryResultRow>(database: string, sql: string): Promise<Row[]> {
    const client = new pg.Client(cluster.connectionConfig(database));
    await client.connect();
    try {
      return (await client.query<Row>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  /** A folder of `count` migrations, each a table with one row; `last`, when given, is one more file. */
  function migrationsFolder(name: string, count: number, last?: string): string {
    const migrations = join(baseDir, name);
    mkdirSync(migrations);
    for (let i = 1; i <= count; i++) {
      writeFileSync(
        join(migrations, `${String(i).padStart(3, '0')}_t${i}.sql`),
        `CREATE TABLE t${i} (id int PRIMARY KEY);\nINSERT INTO t${i} VALUES (${i});\n`,
      );
    }
    if (last !== undefined) writeFileSync(join(migrations, `${String(count + 1).padStart(3, '0')}_last.sql`), last);
    return migrations;
  }

  /** `astra migrate up` of `migrations` into `database`, created first. */
  async function migrateUp(database: string, migrations: string, ...flags: string[]) {
    await cluster.ensureDatabase(database);
    return astra(['--migrations-dir', migrations, 'migrate', 'up', ...flags], { env: { DATABASE_URL: cluster.connectionUrl(database) } });
  }

  /** After a crash and a restart: the ledger's applied rows and the tables the migrations made, in `database`. */
  async function survivors(database: string, count: number): Promise<void> {
    const [ledger] = await query<{ rows: number; newest: number }>(
      database,
      'SELECT count(*)::int AS rows, max(version)::int AS newest FROM astra_migrations WHERE NOT dirty',
    );
    expect(ledger).toEqual({ rows: count, newest: count });
    const [tables] = await query<{ tables: number }>(
      database,
      "SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'",
    );
    expect(tables?.tables).toBe(count);
    const [last] = await query<{ id: number }>(database, `SELECT id FROM t${count}`);
    expect(last?.id).toBe(count);
  }

  it('every migration the run reported applied is there after the restart, with its ledger row', async () => {
    const count = 60;
    const run = await migrateUp('app', migrationsFolder('migrations', count));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Applied ${count} migration(s)`);

    await crash();
    await cluster.start();
    await survivors('app', count);
  }, 120_000);

  it('a run that fails keeps, through a crash, the migrations it applied before the failure', async () => {
    const count = 30;
    // It fails before writing anything: no abort record in the WAL, whose writing would carry the commits before it along.
    const migrations = migrationsFolder('failing-migrations', count, 'SELECT 1 / 0;\n');
    const run = await migrateUp('failing', migrations);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toContain('division by zero');

    await crash();
    await cluster.start();
    await survivors('failing', count);
  }, 120_000);

  it('a run whose final wait fails says the migrations are committed but not confirmed, exit 1', async () => {
    // The last migration lets its own ledger row in, and refuses any later change to the ledger: the wait's commit (it rewrites that row) fails.
    const migrations = migrationsFolder(
      'unconfirmed-migrations',
      3,
      `CREATE FUNCTION refuse_ledger_updates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the ledger is read-only now'; END $$;
CREATE TRIGGER ledger_read_only BEFORE UPDATE ON astra_migrations FOR EACH ROW EXECUTE FUNCTION refuse_ledger_updates();
`,
    );
    const run = await migrateUp('unconfirmed', migrations, '--json');
    expect(run.exitCode, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; error: { message: string }; database?: string };
    expect(report.ok).toBe(false);
    expect(report.error.message).toContain('The migrations up to 4 (004_last.sql) were committed, but the server could not confirm that they reached its disk');
    expect(report.error.message).toContain('the ledger is read-only now');
    const [ledger] = await query<{ rows: number; newest: number }>(
      'unconfirmed',
      'SELECT count(*)::int AS rows, max(version)::int AS newest FROM astra_migrations WHERE NOT dirty',
    );
    expect(ledger).toEqual({ rows: 4, newest: 4 });
  }, 120_000);
});
