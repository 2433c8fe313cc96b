import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gatherStatistics, type StatisticsOutcome } from '../../src/backup/restored-check.js';
import type { ConnectionTarget } from '../../src/db/target.js';
import { admin, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';
import { waitUntil } from '../helpers/wait.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** Three tables, the middle one locked as autovacuum locks what it works on, by a session the server never cancels; released with COMMIT. */
async function lockTheMiddleOne(): Promise<{ holder: Awaited<ReturnType<TestDatabase['connect']>>; target: ConnectionTarget }> {
  for (const table of ['a_first', 'b_locked', 'c_last']) {
    // Autovacuum kept away: its own lock would decide which pass a table falls in.
    await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text) WITH (autovacuum_enabled = false)`);
    await db.query(`INSERT INTO ${table} SELECT g, md5(g::text) FROM generate_series(1, 500) AS g`);
  }
  const holder = await db.connect();
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE b_locked IN SHARE UPDATE EXCLUSIVE MODE');
  return { holder, target: { source: 'flag', config: db.config, label: db.name } };
}

const analyzeCount = async (table: string) =>
  Number((await db.query<{ n: string }>('SELECT analyze_count AS n FROM pg_stat_user_tables WHERE relname = $1', [table]))[0]?.n);

const analyzed = async (table: string) =>
  (await db.query<{ done: boolean }>('SELECT last_analyze IS NOT NULL AS done FROM pg_stat_user_tables WHERE relname = $1', [table]))[0]?.done === true;

describe('gathering the statistics of a restored database', () => {
  it('analyzes the other tables while one is locked (as autovacuum locks them), then that one once its lock is free', async () => {
    const { holder, target } = await lockTheMiddleOne();
    let outcome: StatisticsOutcome | undefined;
    const gathering = gatherStatistics(target).then((result) => (outcome = result));

    // The table after the locked one is analyzed without waiting for the lock.
    await waitUntil('c_last analyzed while b_locked is locked', () => analyzed('c_last'), { timeoutMs: 20_000, ended: gathering });
    expect(await analyzed('a_first')).toBe(true);
    expect(await analyzed('b_locked')).toBe(false);
    expect(outcome).toBeUndefined();

    await holder.query('COMMIT');
    expect(await gathering).toEqual({ gathered: true, tables: 3, skipped: [], failed: [] });
    expect(await analyzed('b_locked')).toBe(true);
  });

  it("analyzes the tables after one whose ANALYZE fails, and names that one with the server's error", async () => {
    // ANALYZE evaluates an expression index on its sample: this one raises once the flag is set, after the rows are in.
    await db.query('CREATE TABLE flag (on_ boolean)');
    await db.query(
      `CREATE FUNCTION trips(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
         BEGIN IF EXISTS (SELECT 1 FROM flag) THEN RAISE EXCEPTION 'trips on %', $1; END IF; RETURN $1; END $$`,
    );
    for (const table of ['a_first', 'b_fails', 'c_last']) {
      await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY) WITH (autovacuum_enabled = false)`);
      await db.query(`INSERT INTO ${table} SELECT generate_series(1, 200)`);
    }
    await db.query('CREATE INDEX b_fails_trips ON b_fails (trips(id))');
    await db.query('INSERT INTO flag VALUES (true)');
    const target: ConnectionTarget = { source: 'flag', config: db.config, label: db.name };

    const outcome = await gatherStatistics(target);
    expect(outcome).toEqual({
      gathered: true,
      tables: 4,
      skipped: [],
      failed: [{ table: 'public.b_fails', problem: match.stringContaining('trips on') }],
    });
    expect([await analyzed('a_first'), await analyzed('b_fails'), await analyzed('c_last'), await analyzed('flag')]).toEqual([true, false, true, true]);
  });

  it('gathers them as a role that may not set deadlock_timeout (not a superuser), owner of the tables', async () => {
    const role = `owner_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await admin((client) => client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}'`));
    try {
      await db.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      await db.query(
        `SET ROLE ${role}; CREATE TABLE owned (id int PRIMARY KEY) WITH (autovacuum_enabled = false); INSERT INTO owned SELECT generate_series(1, 100)`,
      );
      const target: ConnectionTarget = { source: 'flag', config: { ...db.config, user: role, password }, label: db.name };
      expect(await gatherStatistics(target)).toEqual({ gathered: true, tables: 1, skipped: [], failed: [] });
      expect(await analyzed('owned')).toBe(true);
    } finally {
      await db.query(`DROP OWNED BY ${role}`);
      await admin((client) => client.query(`DROP ROLE ${role}`));
    }
  });

  it('stops at Ctrl-C while the second pass waits for a lock, and says it was interrupted', async () => {
    const { holder, target } = await lockTheMiddleOne();
    const stop = new AbortController();
    const gathering = gatherStatistics(target, stop.signal);
    await waitUntil('c_last analyzed while b_locked is locked', () => analyzed('c_last'), { timeoutMs: 20_000, ended: gathering });
    stop.abort(new Error('interrupted'));
    expect(await gathering).toEqual({ gathered: false, problem: 'interrupted' });
    expect(await analyzed('b_locked')).toBe(false);
    await holder.query('COMMIT');
  });

  it('analyzes a partitioned table once with its partitions, and lists tables the role may not analyze', async () => {
    await db.query('CREATE TABLE events (id int, at date) PARTITION BY RANGE (at)');
    await db.query("CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') WITH (autovacuum_enabled = false)");
    await db.query("CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') WITH (autovacuum_enabled = false)");
    await db.query("INSERT INTO events SELECT g, date '2025-06-01' + (g % 400) FROM generate_series(1, 1000) AS g");
    const role = `owner_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await admin((client) => client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}'`));
    try {
      // The role owns one table; the partitioned one is the superuser's.
      await db.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      await db.query(`SET ROLE ${role}; CREATE TABLE notes (id int) WITH (autovacuum_enabled = false); INSERT INTO notes SELECT generate_series(1, 100)`);
      const asRole: ConnectionTarget = { source: 'flag', config: { ...db.config, user: role, password }, label: db.name };
      const outcome = await gatherStatistics(asRole);
      expect(outcome).toMatchObject({ gathered: true, tables: 2 });
      // The server names the partitioned table and each partition it would have analyzed with it.
      expect(outcome.gathered && outcome.skipped).toEqual([
        expect.stringContaining('"events"'),
        expect.stringContaining('"events_2025"'),
        expect.stringContaining('"events_2026"'),
      ]);
      expect(await analyzed('notes')).toBe(true);

      const superuser: ConnectionTarget = { source: 'flag', config: db.config, label: db.name };
      expect(await gatherStatistics(superuser)).toEqual({ gathered: true, tables: 2, skipped: [], failed: [] });
      expect([await analyzeCount('events_2025'), await analyzeCount('events_2026')]).toEqual([1, 1]);
    } finally {
      await db.query(`DROP OWNED BY ${role}`);
      await admin((client) => client.query(`DROP ROLE ${role}`));
    }
  });
});
