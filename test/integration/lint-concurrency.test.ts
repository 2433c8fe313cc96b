import { join } from 'node:path';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rewriteForConcurrency } from '../../src/analysis/concurrency.js';
import { statementGroups } from '../../src/migrations/apply.js';
import { parseStatements } from '../../src/migrations/parse.js';
import { loadMigrations } from '../../src/migrations/load.js';
import type { Statement } from '../../src/migrations/parse.js';
import { fixturesDir } from '../helpers/cli.js';
import { createTestDatabase, sessionWaitingForLock, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** Runs statements as the runner groups them: consecutive transactional ones in one transaction, the others alone. */
async function runAsTheRunnerDoes(client: pg.Client, statements: Statement[]): Promise<void> {
  for (const group of statementGroups(statements)) {
    if (group[0]!.outsideTransaction) {
      await client.query(group[0]!.text);
      continue;
    }
    await client.query('BEGIN');
    for (const statement of group) await client.query(statement.text);
    await client.query('COMMIT');
  }
}

async function pidOf(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

describe('rewriteForConcurrency on a real migration', () => {
  it('builds the index on an existing table CONCURRENTLY: writers go on while it builds, and the index ends valid', async () => {
    const [first, second] = await loadMigrations(join(fixturesDir, 'lint-concurrency'));
    const builder = await db.connect();
    await runAsTheRunnerDoes(builder, first!.statements);

    const statements = rewriteForConcurrency(second!.statements);
    expect(statements.map((statement) => statement.text)).toEqual([
      'ALTER TABLE items ADD COLUMN IF NOT EXISTS checked_at timestamptz',
      "COMMENT ON TABLE items IS 'things with a unique code'",
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_code_key ON items (code)',
    ]);
    expect(statements.at(-1)!.outsideTransaction).toBe('CREATE INDEX CONCURRENTLY');
    await runAsTheRunnerDoes(builder, statements.slice(0, -1));

    // The application is writing when the index build starts.
    const app = await db.connect();
    await app.query('BEGIN');
    await app.query("INSERT INTO items (code) VALUES ('code-app-1')");

    const builderPid = await pidOf(builder);
    const building = runAsTheRunnerDoes(builder, statements.slice(-1));
    building.catch(() => undefined);
    const observer = await db.connect();
    // A concurrent build waits for the application's transaction to end, holding only SHARE UPDATE EXCLUSIVE.
    await sessionWaitingForLock(observer, builderPid, 'virtualxid');
    const { rows: locks } = await observer.query<{ mode: string }>("SELECT mode FROM pg_locks WHERE pid = $1 AND relation = 'items'::regclass AND granted", [
      builderPid,
    ]);
    expect(locks.map((lock) => lock.mode)).toEqual(['ShareUpdateExclusiveLock']);

    // Another writer gets its lock at once: nothing that blocks writes is held or queued.
    const writer = await db.connect();
    await writer.query('BEGIN');
    await writer.query('LOCK TABLE items IN ROW EXCLUSIVE MODE NOWAIT');
    await writer.query("INSERT INTO items (code) VALUES ('code-app-2')");
    await writer.query('COMMIT');

    await app.query('COMMIT');
    await building;
    const [index] = await db.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'items_code_key'::regclass");
    expect(index).toEqual({ valid: true });
    const [comment] = await db.query<{ text: string }>("SELECT obj_description('items'::regclass, 'pg_class') AS text");
    expect(comment?.text).toBe('things with a unique code');
  });

  it('as written, the same build queues a lock that stops other writers', async () => {
    const [first, second] = await loadMigrations(join(fixturesDir, 'lint-concurrency'));
    const builder = await db.connect();
    await runAsTheRunnerDoes(builder, first!.statements);
    // The file as written, before the runner's rewrite.
    const plainBuild = parseStatements(second!.sql, second!.file).find((statement) => statement.kind === 'IndexStmt')!;
    expect(plainBuild.outsideTransaction).toBeUndefined();

    const app = await db.connect();
    await app.query('BEGIN');
    await app.query("INSERT INTO items (code) VALUES ('code-app-1')");
    const builderPid = await pidOf(builder);
    const building = runAsTheRunnerDoes(builder, [plainBuild]);
    building.catch(() => undefined);
    const observer = await db.connect();
    await sessionWaitingForLock(observer, builderPid, 'relation');

    const writer = await db.connect();
    await writer.query('BEGIN');
    await expect(writer.query('LOCK TABLE items IN ROW EXCLUSIVE MODE NOWAIT')).rejects.toThrow(/could not obtain lock/);
    await writer.query('ROLLBACK');
    await app.query('COMMIT');
    await building;
  });
});
