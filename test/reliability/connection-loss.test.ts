import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { astra, startAstra } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/database.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * The connection lost in the middle of a run: the runner's session ended by
 * pg_terminate_backend, and the server itself restarted (pg_ctl stop -m fast,
 * then start) while an upgrade applies a migration. Each time: a sentence,
 * not a crash; the database at a version astra can name; a rerun converges.
 */

/** A folder of three migrations; the second waits as long as sleep_for says (set to 0 for the rerun). */
function slowFolder(): { migrations: string; releaseNotes: string } {
  const dir = mkdtempSync(join(tmpdir(), 'astra-connection-loss-'));
  const migrations = join(dir, 'migrations');
  const releaseNotes = join(dir, 'release-notes');
  mkdirSync(migrations);
  mkdirSync(releaseNotes);
  writeFileSync(
    join(migrations, '001_base.sql'),
    'CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a SELECT generate_series(1, 1000);\nCREATE TABLE sleep_for (seconds int NOT NULL);\nINSERT INTO sleep_for VALUES (60);\n',
  );
  writeFileSync(join(migrations, '002_slow.sql'), 'CREATE TABLE b (id int);\nSELECT pg_sleep((SELECT seconds FROM sleep_for));\n');
  writeFileSync(join(migrations, '003_c.sql'), 'CREATE TABLE c (id int);\n');
  const release = (version: string, date: string, files: string[]) =>
    `---\nversion: ${version}\ndate: ${date}\nstop_application: false\nmigrations:\n${files.map((file) => `  - file: ${file}\n    safety: safe\n`).join('')}---\n\n# ${version}\n`;
  writeFileSync(join(releaseNotes, '1.0.0.md'), release('1.0.0', '2026-01-10', ['001_base.sql']));
  writeFileSync(join(releaseNotes, '1.1.0.md'), release('1.1.0', '2026-02-10', ['002_slow.sql', '003_c.sql']));
  return { migrations, releaseNotes };
}

type Query = (sql: string, params?: unknown[]) => Promise<pg.QueryResultRow[]>;

/** Waits until the slow migration's pg_sleep runs in `database`; returns its server pid. */
async function sleeping(query: Query, database: string, ended: Promise<unknown>): Promise<number> {
  let pid = 0;
  await waitUntil(
    `the slow migration sleeps in ${database}`,
    async () => {
      const rows = await query(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep((SELECT seconds%'",
        [database],
      );
      pid = Number(rows[0]?.pid ?? 0);
      return pid > 0;
    },
    { ended, intervalMs: 50 },
  );
  return pid;
}

describe('the runner connection ended by pg_terminate_backend in the middle of a migration', () => {
  it('exits 1 with a sentence, leaves the migration unapplied and the rest as they were, and a rerun converges', async () => {
    const db = await createTestDatabase();
    const { migrations } = slowFolder();
    const env = { DATABASE_URL: db.url };
    const run = startAstra(['migrate', 'up', '--migrations-dir', migrations], { env });
    const pid = await sleeping((sql, params) => db.query(sql, params), db.name, run);
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    const result = await run;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toContain('Unexpected error');
    expect(result.stderr).toMatch(/error: Migration 2 \(002_slow\.sql\) failed at statement 2 of 2.*: terminating connection due to administrator command\./);
    expect(await db.query('SELECT version::int AS version, dirty FROM astra_migrations ORDER BY version')).toEqual([{ version: 1, dirty: false }]);
    expect(await db.query(`SELECT to_regclass('b') AS b, to_regclass('c') AS c`)).toEqual([{ b: null, c: null }]);
    expect(await db.query('SELECT count(*)::int AS n FROM a')).toEqual([{ n: 1000 }]);

    await db.query('UPDATE sleep_for SET seconds = 0');
    const rerun = await astra(['migrate', 'up', '--migrations-dir', migrations], { env });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(await db.query('SELECT version::int AS version FROM astra_migrations ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });
});

describe('the server restarted while an upgrade applies a migration', () => {
  let baseDir: string;
  let cluster: LocalCluster;
  beforeAll(async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'astra-restart-'));
    cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false });
    await cluster.init();
    await cluster.start();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(baseDir, { recursive: true, force: true });
  });

  it('exits 1 with a sentence, the database is at the release it had (its data whole), and the same upgrade then converges', async () => {
    await cluster.ensureDatabase('app');
    const query: Query = async (sql, params) => {
      const client = new pg.Client(cluster.connectionConfig('app'));
      await client.connect();
      try {
        return (await client.query<pg.QueryResultRow>(sql, params)).rows;
      } finally {
        await client.end();
      }
    };
    const { migrations, releaseNotes } = slowFolder();
    const backups = mkdtempSync(join(tmpdir(), 'astra-restart-backups-'));
    const args = ['--migrations-dir', migrations, '--release-notes-dir', releaseNotes, '--backup-dir', backups];
    const env = { DATABASE_URL: cluster.connectionUrl('app') };
    const first = await astra(['upgrade', '--to', '1.0.0', '--yes', ...args], { env });
    expect(first.exitCode, first.stderr).toBe(0);

    const run = startAstra(['upgrade', '--yes', ...args], { env });
    await sleeping(query, 'app', run);
    await cluster.stop();
    await cluster.start();
    const result = await run;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toContain('Unexpected error');
    expect(result.stderr).toMatch(
      /The upgrade failed during apply: migration 002_slow\.sql failed at line 2 .*: terminating connection due to administrator command/,
    );
    // The rollback may or may not reach the server as it comes back; either way the sentence says where the database is.
    if (result.stderr.includes('failed too')) {
      expect(result.stderr).toContain('No migration was applied.');
      expect(result.stderr).toMatch(/fix: The database is as it was before the upgrade \(1\.0\.0\); once the cause is fixed, run astra upgrade again\./);
    } else {
      expect(result.stderr).toContain('Rolled back: ');
    }

    // Whether the automatic rollback reached the server or not, the database is at 1.0.0 with its data.
    expect(await query('SELECT version::int AS version, dirty FROM astra_migrations ORDER BY version')).toEqual([{ version: 1, dirty: false }]);
    expect(await query('SELECT count(*)::int AS n FROM a')).toEqual([{ n: 1000 }]);
    const status = await astra(['status', '--json', ...args], { env });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ databaseVersion: '1.0.0' });

    await query('UPDATE sleep_for SET seconds = 0');
    const rerun = await astra(['upgrade', '--yes', ...args], { env });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(await query('SELECT version::int AS version FROM astra_migrations ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    expect(await query('SELECT count(*)::int AS n FROM a')).toEqual([{ n: 1000 }]);
  });
});
