import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gatherStatistics, type StatisticsOutcome } from '../../src/backup/restored-check.js';
import type { ConnectionTarget } from '../../src/db/target.js';
import { admin, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { waitUntil } from '../helpers/wait.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

const analyzed = async (table: string) =>
  (await db.query<{ done: boolean }>('SELECT last_analyze IS NOT NULL AS done FROM pg_stat_user_tables WHERE relname = $1', [table]))[0]?.done === true;

describe('gathering the statistics of a restored database', () => {
  it('analyzes the other tables while one is locked (as autovacuum locks them), then that one once its lock is free', async () => {
    for (const table of ['a_first', 'b_locked', 'c_last']) {
      await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
      await db.query(`INSERT INTO ${table} SELECT g, md5(g::text) FROM generate_series(1, 500) AS g`);
    }
    // The lock a VACUUM (autovacuum's own) takes, held by a session that is not autovacuum: the server never cancels it.
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE b_locked IN SHARE UPDATE EXCLUSIVE MODE');
    const target: ConnectionTarget = { source: 'flag', config: db.config, label: db.name };
    let outcome: StatisticsOutcome | undefined;
    const gathering = gatherStatistics(target).then((result) => (outcome = result));

    // The table after the locked one is analyzed without waiting for the lock.
    await waitUntil('c_last analyzed while b_locked is locked', () => analyzed('c_last'), { timeoutMs: 20_000, ended: gathering });
    expect(await analyzed('a_first')).toBe(true);
    expect(await analyzed('b_locked')).toBe(false);
    expect(outcome).toBeUndefined();

    await holder.query('COMMIT');
    expect(await gathering).toEqual({ gathered: true, tables: 3, skipped: [] });
    expect(await analyzed('b_locked')).toBe(true);
  });

  it('gathers them as a role that may not set deadlock_timeout (not a superuser), owner of the tables', async () => {
    const role = `owner_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await admin((client) => client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}'`));
    try {
      await db.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      await db.query(`SET ROLE ${role}; CREATE TABLE owned (id int PRIMARY KEY); INSERT INTO owned SELECT generate_series(1, 100)`);
      const target: ConnectionTarget = { source: 'flag', config: { ...db.config, user: role, password }, label: db.name };
      expect(await gatherStatistics(target)).toEqual({ gathered: true, tables: 1, skipped: [] });
      expect(await analyzed('owned')).toBe(true);
    } finally {
      await db.query(`DROP OWNED BY ${role}`);
      await admin((client) => client.query(`DROP ROLE ${role}`));
    }
  });
});
