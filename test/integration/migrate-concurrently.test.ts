import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { astra, fixturesDir } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';
import { parseJson, type StatusReport } from '../helpers/reports.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

const dir = join(fixturesDir, 'concurrently');
const run = (...args: string[]) => astra(['--migrations-dir', dir, ...args], { env: { DATABASE_URL: db.url } });

async function indexState(): Promise<{ valid: boolean } | undefined> {
  const rows = await db.query<{ indisvalid: boolean }>(
    "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'items_code_key'",
  );
  return rows[0] ? { valid: rows[0].indisvalid } : undefined;
}

describe('statements that cannot run in a transaction', () => {
  it('runs CREATE INDEX CONCURRENTLY outside the transaction, in order with the others', async () => {
    const result = await run('migrate', 'up');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('CREATE INDEX CONCURRENTLY outside the transaction');
    expect(await indexState()).toEqual({ valid: true });
    const [comment] = await db.query<{ description: string }>("SELECT obj_description('items_code_key'::regclass, 'pg_class') AS description");
    expect(comment?.description).toBe('one item per code');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('records a failed concurrent build as dirty, drops its INVALID index, and resumes once the cause is fixed', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    await db.query("INSERT INTO items (code) VALUES ('code-7'), ('code-8')");

    const failed = await run('migrate', 'up');
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('Migration 2 (000002_unique_code.up.sql) failed at statement 2 of 3, line 3');
    expect(failed.stderr).toContain('could not create unique index "items_code_key"');
    expect(failed.stderr).toContain('recorded as unfinished (dirty)');
    expect(failed.stderr).toContain('dropped the INVALID index public.items_code_key');
    expect(await indexState()).toBeUndefined();
    // The statement before the index build committed and is kept.
    expect(await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'checked_at'")).toHaveLength(1);

    const status = parseJson<StatusReport>((await run('status', '--json')).stdout);
    const dirty = status.migrations.find((entry) => entry.version === 2)!;
    expect(dirty.state).toBe('dirty');
    expect(dirty.failedStatement).toContain('CREATE UNIQUE INDEX CONCURRENTLY');

    const stillBroken = await run('migrate', 'up');
    expect(stillBroken.exitCode).toBe(1);
    expect(stillBroken.stderr).toContain('finishing it from statement 2');

    await db.query('DELETE FROM items WHERE id IN (SELECT max(id) FROM items GROUP BY code HAVING count(*) > 1)');
    const resumed = await run('migrate', 'up');
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('finishing it from statement 2');
    expect(await indexState()).toEqual({ valid: true });
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('rebuilds an INVALID index left by an interrupted build instead of letting IF NOT EXISTS keep it', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    // What an interrupted build leaves behind: an INVALID index with the migration's index name.
    await db.query("INSERT INTO items (code) VALUES ('code-9')");
    await expect(db.query('CREATE UNIQUE INDEX CONCURRENTLY items_code_key ON items (code)')).rejects.toThrow(/could not create unique index/);
    expect(await indexState()).toEqual({ valid: false });
    await db.query("DELETE FROM items WHERE id = (SELECT max(id) FROM items WHERE code = 'code-9')");

    const result = await run('migrate', 'up');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('dropped the INVALID index public.items_code_key');
    expect(await indexState()).toEqual({ valid: true });
  });

  it('builds indexes on existing tables CONCURRENTLY, except on a partitioned table, which PostgreSQL cannot', async () => {
    const parted = join(fixturesDir, 'partitioned');
    const first = await astra(['--migrations-dir', parted, 'migrate', 'up', '--to', '1'], { env: { DATABASE_URL: db.url } });
    expect(first.exitCode, first.stderr).toBe(0);
    const result = await astra(['--migrations-dir', parted, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('CREATE INDEX CONCURRENTLY outside the transaction: CREATE INDEX CONCURRENTLY IF NOT EXISTS plain_log_at_idx');
    expect(result.stderr).not.toContain('CONCURRENTLY IF NOT EXISTS events_at_idx');
    const indexes = await db.query<{ relname: string }>(
      "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indisvalid AND c.relname IN ('events_at_idx', 'plain_log_at_idx') ORDER BY 1",
    );
    expect(indexes.map((row) => row.relname)).toEqual(['events_at_idx', 'plain_log_at_idx']);
  });
});
