import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { astra, fixturesDir, startAstra, waitForStderr } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';
import { parseJson, type MigrateReport } from '../helpers/reports.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

describe('locks', () => {
  it('retries DDL that hits lock_timeout behind another session, then succeeds once the lock is released', async () => {
    const dir = join(fixturesDir, 'locking');
    expect((await astra(['--migrations-dir', dir, 'migrate', 'up', '--to', '1'], { env: { DATABASE_URL: db.url } })).exitCode).toBe(0);

    // A long transaction of the application holds a lock on the table.
    const app = await db.connect();
    await app.query('BEGIN');
    await app.query('SELECT * FROM accounts FOR UPDATE');
    await app.query('LOCK TABLE accounts IN ROW EXCLUSIVE MODE');

    const child = startAstra(['--migrations-dir', dir, 'migrate', 'up', '--lock-timeout', '200ms', '--lock-retries', '20'], {
      env: { DATABASE_URL: db.url },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForStderr(child, 'attempt 2 of 21');
    // While astra waits between attempts, the application is not queued behind it.
    await app.query('UPDATE accounts SET balance = balance + 1');
    await app.query('COMMIT');

    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(stderr).toContain('lock not granted within lock_timeout for "ALTER TABLE accounts ADD COLUMN IF NOT EXISTS note text"');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('gives up after the retries, exit 1, and leaves the migration unapplied', async () => {
    const dir = join(fixturesDir, 'locking');
    expect((await astra(['--migrations-dir', dir, 'migrate', 'up', '--to', '1'], { env: { DATABASE_URL: db.url } })).exitCode).toBe(0);
    const app = await db.connect();
    await app.query('BEGIN');
    await app.query('LOCK TABLE accounts IN ROW EXCLUSIVE MODE');
    const result = await astra(['--migrations-dir', dir, 'migrate', 'up', '--lock-timeout', '100ms', '--lock-retries', '1'], {
      env: { DATABASE_URL: db.url },
    });
    await app.query('ROLLBACK');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('canceling statement due to lock timeout, 2 times with lock_timeout 100ms');
    expect(await ledgerVersions(db)).toEqual([1]);
    const columns = await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'");
    expect(columns).toHaveLength(0);
  });

  it('a second runner waits for the advisory lock with a message, or gives up after --lock-wait', async () => {
    const dir = join(fixturesDir, 'naming-dash');
    const other = await db.connect();
    await other.query('SELECT pg_advisory_lock($1::bigint)', [0x6173747261]);

    const gaveUp = await astra(['--migrations-dir', dir, 'migrate', 'up', '--lock-wait', '1s'], { env: { DATABASE_URL: db.url } });
    expect(gaveUp.exitCode).toBe(1);
    expect(gaveUp.stderr).toContain('Waiting for another astra run to finish');
    expect(gaveUp.stderr).toContain('Another astra run holds the lock on this database');
    expect(await ledgerVersions(db)).toEqual([]);

    const waiter = startAstra(['--migrations-dir', dir, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    await waitForStderr(waiter, 'Waiting for another astra run to finish');
    await other.query('SELECT pg_advisory_unlock($1::bigint)', [0x6173747261]);
    const result = await waiter;
    expect(result.exitCode).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('four runners at once apply each migration exactly once', async () => {
    const dir = join(fixturesDir, 'counter');
    const runs = await Promise.all([1, 2, 3, 4].map(() => astra(['--migrations-dir', dir, 'migrate', 'up', '--json'], { env: { DATABASE_URL: db.url } })));
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    const appliedCounts = runs.map((run) => parseJson<MigrateReport>(run.stdout).applied.length);
    expect(appliedCounts.reduce((sum, count) => sum + count, 0)).toBe(6);
    const rows = await db.query<{ version: number; n: string }>('SELECT version, count(*) AS n FROM runs GROUP BY version ORDER BY version');
    expect(rows.map((row) => [row.version, Number(row.n)])).toEqual([2, 3, 4, 5, 6].map((version) => [version, 1]));
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
