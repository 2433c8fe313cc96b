import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherStatistics, type StatisticsOutcome } from '../../src/backup/restored-check.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import type { ConnectionTarget } from '../../src/db/target.js';
import { withClient } from '../helpers/database.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * ANALYZE against a real autovacuum worker, on a server of its own: one
 * whose autovacuum wakes every second (the shared server's must not), and
 * whose deadlock_timeout is an hour, so that a worker holding a table is
 * cancelled only if astra's session asks for it.
 */
let baseDir: string;
let cluster: LocalCluster;

/** Runs `work` on a session of the server's superuser, in `database`, closed afterwards. */
const on = <T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> => withClient(cluster.connectionConfig(database), work);

beforeAll(async () => {
  baseDir = mkdtempSync(join(tmpdir(), 'astra-autovacuum-'));
  cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false });
  await cluster.init();
  await cluster.start();
  await on('postgres', async (admin) => {
    await admin.query("ALTER SYSTEM SET autovacuum_naptime = '1s'");
    await admin.query("ALTER SYSTEM SET deadlock_timeout = '1h'");
    await admin.query('SELECT pg_reload_conf()');
  });
  await cluster.ensureDatabase('app');
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(baseDir, { recursive: true, force: true });
});

describe('gathering statistics while autovacuum works on a table', () => {
  it('has the server cancel the worker rather than wait for it, when the role may set deadlock_timeout', async () => {
    // A vacuum that sleeps 100 ms per page read, on 3,000 pages: it would hold the table for minutes.
    await on('app', async (client) => {
      await client.query(
        `CREATE TABLE slow (id int, pad text) WITH (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1,
           autovacuum_vacuum_insert_threshold = 1, autovacuum_vacuum_insert_scale_factor = 0, autovacuum_analyze_threshold = 2000000000)`,
      );
      await client.query("INSERT INTO slow SELECT g, repeat('x', 200) FROM generate_series(1, 100000) AS g");
    });
    await waitUntil(
      'autovacuum works on the table',
      () =>
        on(
          'app',
          async (client) =>
            (await client.query("SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%slow%'")).rows.length > 0,
        ),
      { timeoutMs: 60_000, intervalMs: 100 },
    );

    const target: ConnectionTarget = { source: 'flag', config: cluster.connectionConfig('app'), label: 'app' };
    // Without astra's own deadlock_timeout, ANALYZE would wait the hour the server's says, or for the worker's minutes.
    const outcome = await Promise.race([
      gatherStatistics(target),
      new Promise<StatisticsOutcome>((resolve) => setTimeout(() => resolve({ gathered: false, problem: 'still waiting after 30 s' }), 30_000)),
    ]);
    expect(outcome).toEqual({ gathered: true, tables: 1, skipped: [], failed: [] });
    const { rows } = await on('app', (client) =>
      client.query<{ analyzed: boolean }>("SELECT last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'slow'"),
    );
    expect(rows[0]?.analyzed).toBe(true);
  }, 120_000);
});
