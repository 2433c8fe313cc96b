import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { astra, folderOf } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, tableNames, type TestDatabase } from '../helpers/database.js';

/**
 * A migration that runs in one transaction reaches the server in one message
 * with its ledger row: which statement failed is still told exactly, as if
 * each had been sent alone, and what it did is rolled back.
 */
let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

const folder = (files: Record<string, string>) => folderOf(files, 'astra-statements-');

const up = (dir: string) => astra(['--migrations-dir', dir, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });

describe('a migration sent in one message, and statements that go outside it', () => {
  it('a run-time error without a position (division by zero) names the statement, its line, and keeps nothing of the migration', async () => {
    const dir = folder({
      '001_base.sql': 'CREATE TABLE base (id int);\n',
      '002_bad.sql': 'CREATE TABLE made (id int);\nINSERT INTO made VALUES (1);\nSELECT 1 / 0;\nCREATE TABLE after_it (id int);\n',
    });
    const result = await up(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Migration 2 (002_bad.sql) failed at statement 3 of 4, line 3');
    expect(result.stderr).toContain('division by zero');
    expect(result.stderr).toContain('none of its changes were kept');
    expect(await ledgerVersions(db)).toEqual([1]);
    expect(await tableNames(db)).toEqual(['astra_migrations', 'base']);
  });

  it('an error the server finds parsing (syntax newer than the server) names the statement that has it, though none ran', async () => {
    const version = Number((await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v"))[0]!.v);
    // JSON_TABLE came with PostgreSQL 17: an older server rejects the whole message before running any of it.
    const newer = version >= 170000 ? 'SELECT * FROM no_such_table_anywhere' : "SELECT * FROM JSON_TABLE('[1]'::jsonb, '$[*]' COLUMNS (a int PATH '$'))";
    const dir = folder({ '001_newer.sql': `CREATE TABLE first_one (id int);\nCREATE TABLE second_one (id int);\n${newer};\n` });
    const result = await up(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Migration 1 (001_newer.sql) failed at statement 3 of 3, line 3');
    expect(await tableNames(db)).toEqual(['astra_migrations']);
  });

  it('a statement that ends in a -- comment does not swallow the next one', async () => {
    const dir = folder({ '001_comments.sql': 'CREATE TABLE one (id int) -- the first\n;\nCREATE TABLE two (id int); -- the second\n' });
    const result = await up(dir);
    expect(result.exitCode).toBe(0);
    expect(await tableNames(db)).toEqual(['astra_migrations', 'one', 'two']);
    const [row] = await db.query<{ duration_ms: number }>('SELECT duration_ms FROM astra_migrations WHERE version = 1');
    expect(row?.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('a deferred constraint that fails at COMMIT leaves the migration unrecorded and its table absent', async () => {
    const dir = folder({
      '001_parent.sql': 'CREATE TABLE parent (id int PRIMARY KEY);\n',
      '002_child.sql': 'CREATE TABLE child (parent_id int REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO child VALUES (42);\n',
    });
    const result = await up(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Migration 2 (002_child.sql) failed at its COMMIT, where deferred constraints are checked (COMMIT)');
    expect(result.stderr).toContain('violates foreign key constraint');
    expect(result.stderr).toContain('none of its changes were kept');
    expect(result.stderr).not.toContain('Unexpected error');
    expect(await ledgerVersions(db)).toEqual([1]);
    expect(await tableNames(db)).toEqual(['astra_migrations', 'parent']);
  });

  it("DETACH PARTITION CONCURRENTLY, which cannot run in a transaction block, runs outside the migration's transaction", async () => {
    await db.query(`CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      INSERT INTO events VALUES (1, '2026-03-01')`);
    const dir = folder({ '001_detach.sql': 'CREATE TABLE archive_note (id int);\nALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY;\n' });
    const result = await up(dir);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await db.query('SELECT count(*)::int AS n FROM events')).toEqual([{ n: 0 }]);
    expect(await db.query('SELECT count(*)::int AS n FROM events_2026')).toEqual([{ n: 1 }]);
    expect(await ledgerVersions(db)).toEqual([1]);
  });

  it("REINDEX SCHEMA, which cannot run in a transaction block, runs outside the migration's transaction", async () => {
    await db.query('CREATE TABLE accounts (id int PRIMARY KEY, email text); CREATE INDEX accounts_email_idx ON accounts (email)');
    const before = await db.query<{ node: number }>("SELECT relfilenode::int AS node FROM pg_class WHERE relname = 'accounts_email_idx'");
    const dir = folder({ '001_reindex.sql': 'CREATE TABLE audit_note (id int);\nREINDEX SCHEMA public;\n' });
    const result = await up(dir);
    expect(result.exitCode, result.stderr).toBe(0);
    const after = await db.query<{ node: number }>("SELECT relfilenode::int AS node FROM pg_class WHERE relname = 'accounts_email_idx'");
    expect(after[0]?.node).not.toBe(before[0]?.node);
    expect(await ledgerVersions(db)).toEqual([1]);
  });

  it('a DETACH PARTITION CONCURRENTLY left pending by an earlier cut-off attempt is finished (FINALIZE), not failed', async () => {
    await db.query(`CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      INSERT INTO events VALUES (1, '2026-03-01')`);
    // A reader of the partition keeps the detach's second transaction waiting until its lock_timeout: the partition stays pending.
    const reader = await db.connect();
    const detacher = await db.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM events_2026');
      await detacher.query("SET lock_timeout = '300ms'");
      await expect(detacher.query('ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY')).rejects.toThrow(/lock timeout/);
      await reader.query('COMMIT');
    } finally {
      await reader.end();
      await detacher.end();
    }
    expect(await db.query("SELECT inhdetachpending AS pending FROM pg_inherits WHERE inhrelid = 'events_2026'::regclass")).toEqual([{ pending: true }]);

    const dir = folder({ '001_detach.sql': 'ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY;\n' });
    const result = await up(dir);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await db.query("SELECT count(*)::int AS n FROM pg_inherits WHERE inhrelid = 'events_2026'::regclass")).toEqual([{ n: 0 }]);
    expect(await ledgerVersions(db)).toEqual([1]);
  });

  it('a migration that sets standard_conforming_strings goes statement by statement, and its failing statement is still named', async () => {
    const dir = folder({ '001_strings.sql': 'SET standard_conforming_strings = on;\nCREATE TABLE kept_not (id int);\nSELECT 1 / 0;\n' });
    const result = await up(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Migration 1 (001_strings.sql) failed at statement 3 of 3, line 3');
    expect(await tableNames(db)).toEqual(['astra_migrations']);
  });
});
