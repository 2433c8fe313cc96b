import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { astra, copyFixture, fixturesDir, startAstra } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';
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

  it('builds an index on a partitioned table without blocking writes: ON ONLY, each partition CONCURRENTLY, then ATTACH', async () => {
    const parted = join(fixturesDir, 'partitioned');
    const first = await astra(['--migrations-dir', parted, 'migrate', 'up', '--to', '1'], { env: { DATABASE_URL: db.url } });
    expect(first.exitCode, first.stderr).toBe(0);
    await db.query("CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')");
    await db.query("INSERT INTO events SELECT g, '2026-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 10000) g");
    // A transaction that wrote to a partition (directly: it holds no lock on the parent): the concurrent
    // build of that partition's index waits for it to end.
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query("INSERT INTO events_2026 VALUES (0, '2026-06-01')");
    const child = startAstra(['--migrations-dir', parted, 'migrate', 'up', '--lock-timeout', '30s'], { env: { DATABASE_URL: db.url } });
    const writer = await db.connect();
    try {
      await waitUntil(
        'the concurrent build of a partition index waits for the open transaction',
        async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'")).length > 0,
        { ended: child },
      );
      // Meanwhile the application writes to the partitioned table; a plain CREATE INDEX on it would hold SHARE on every partition.
      await writer.query("SET statement_timeout = '2s'");
      await writer.query("INSERT INTO events VALUES (1, '2027-03-01'), (2, '2026-03-01')");
    } finally {
      await holder.query('COMMIT');
      await holder.end();
      await writer.end();
    }
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stderr).toContain('CREATE INDEX "events_at_idx" ON ONLY "public"."events"');
    expect(result.stderr).toContain('CREATE INDEX CONCURRENTLY "events_2027_at_idx" ON "public"."events_2027"');
    expect(result.stderr).toContain('ALTER INDEX "public"."events_at_idx" ATTACH PARTITION "public"."events_2026_at_idx"');
    expect(result.stderr).toContain('CREATE INDEX CONCURRENTLY outside the transaction: CREATE INDEX CONCURRENTLY IF NOT EXISTS plain_log_at_idx');
    const indexes = await db.query<{ relname: string; indisvalid: boolean }>(
      "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'events%' ORDER BY 1",
    );
    expect(indexes).toEqual([
      { relname: 'events_2026_at_idx', indisvalid: true },
      { relname: 'events_2027_at_idx', indisvalid: true },
      { relname: 'events_at_idx', indisvalid: true },
    ]);
  });

  it('gives partition indexes whose derived names clash names of their own, and leaves no parent index INVALID', async () => {
    const parted = copyFixture('partitioned');
    try {
      writeFileSync(join(parted, '003-clash.sql'), 'CREATE INDEX events_x_idx ON events (at);\nCREATE INDEX x_idx ON events (id);\n');
      expect((await astra(['--migrations-dir', parted, 'migrate', 'up', '--to', '1'], { env: { DATABASE_URL: db.url } })).exitCode).toBe(0);
      const result = await astra(['--migrations-dir', parted, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
      expect(result.exitCode, result.stderr).toBe(0);
      const indexes = await db.query<{ parent: string; child: string; valid: boolean }>(
        `SELECT h.inhparent::regclass::text AS parent, h.inhrelid::regclass::text AS child, i.indisvalid AS valid
           FROM pg_inherits h JOIN pg_index i ON i.indexrelid = h.inhparent
          WHERE h.inhparent::regclass::text IN ('events_x_idx', 'x_idx') ORDER BY 1`,
      );
      expect(indexes).toEqual([
        { parent: 'events_x_idx', child: 'events_2026_x_idx', valid: true },
        { parent: 'x_idx', child: 'events_2026_x_idx1', valid: true },
      ]);
    } finally {
      rmSync(parted, { recursive: true, force: true });
    }
  });

  it("runs a migration's own ON ONLY as written: the partitions' indexes are left to the statements that build and attach them", async () => {
    const dir = copyFixture('partitioned');
    expect((await astra(['--migrations-dir', dir, 'migrate', 'up', '--to', '1'], { env: { DATABASE_URL: db.url } })).exitCode).toBe(0);
    rmSync(join(dir, '002-indexes.sql'));
    writeFileSync(join(dir, '002-at-only.sql'), 'CREATE INDEX events_at_only_idx ON ONLY events (at);\n');
    const result = await astra(['--migrations-dir', dir, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    const indexes = await db.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE '%at_only%' ORDER BY 1`,
    );
    // The parent's index alone, invalid until its author attaches the partitions' indexes.
    expect(indexes).toEqual([{ name: 'events_at_only_idx', valid: false }]);
  });

  it('finishes an interrupted partitioned index build: an INVALID partition index is built again, attached ones are left alone', async () => {
    const parted = join(fixturesDir, 'partitioned');
    expect((await astra(['--migrations-dir', parted, 'migrate', 'up', '--to', '1'], { env: { DATABASE_URL: db.url } })).exitCode).toBe(0);
    await db.query("CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')");
    // What a run cut off part way leaves: the parent's index, one partition's attached, another's INVALID.
    await db.query('CREATE INDEX events_at_idx ON ONLY events (at)');
    await db.query('CREATE INDEX events_2026_at_idx ON events_2026 (at)');
    await db.query('ALTER INDEX events_at_idx ATTACH PARTITION events_2026_at_idx');
    await db.query('CREATE INDEX events_2027_at_idx ON events_2027 (at)');
    await db.query("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'events_2027_at_idx'::regclass");
    const result = await astra(['--migrations-dir', parted, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('dropped the INVALID index public.events_2027_at_idx');
    expect(result.stderr).not.toContain('ON ONLY');
    expect(result.stderr).not.toContain('"events_2026_at_idx" ON');
    const valid = await db.query<{ relname: string }>(
      "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indisvalid AND c.relname LIKE 'events%' ORDER BY 1",
    );
    expect(valid.map((row) => row.relname)).toEqual(['events_2026_at_idx', 'events_2027_at_idx', 'events_at_idx']);
  });
});
