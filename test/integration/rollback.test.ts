import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ASTRA_LOCK_KEY } from '../../src/db/advisory-lock.js';
import { cliWith, fixturesDir, waitForStderr } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, serverConfig, sessionRunning, tableNames, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';
import { parseJson, readJson, type BackupCreateReport, type BackupManifest, type RollbackReport } from '../helpers/reports.js';

const fixture = join(fixturesDir, 'backup-releases');
let db: TestDatabase;
let backupDir: string;
let backupId: string;
let atBackup: DatabaseContents;

const { run, start } = cliWith(() => ({
  args: ['--migrations-dir', join(fixture, 'migrations'), '--release-notes-dir', join(fixture, 'release-notes'), '--backup-dir', backupDir],
  env: { DATABASE_URL: db.url },
}));

interface DatabaseContents {
  tables: string[];
  accounts: unknown[];
  notes: unknown[];
}

async function contents(): Promise<DatabaseContents> {
  const tables = await tableNames(db);
  return {
    tables,
    accounts: await db.query('SELECT * FROM accounts ORDER BY id'),
    notes: tables.includes('notes') ? await db.query('SELECT * FROM notes ORDER BY id') : [],
  };
}

/** Databases of the server whose names start with the test database's, besides itself. */
async function siblingDatabases(): Promise<string[]> {
  const rows = await db.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1 || '__') ORDER BY datname", [db.name]);
  return rows.map((row) => row.datname);
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client(serverConfig());
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-rollback-'));
  // Release 1.0.0 (migration 1) with data, backed up; then release 1.1.0 (migration 2) and new writes.
  expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
  await db.query("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 300) g");
  await db.query("INSERT INTO notes (account_id, body) SELECT g, 'note ' || g FROM generate_series(1, 120) g");
  const created = await run('backup', 'create', '--json');
  expect(created.exitCode).toBe(0);
  backupId = parseJson<BackupCreateReport>(created.stdout).backup.id;
  atBackup = await contents();
  expect((await run('migrate', 'up')).exitCode).toBe(0);
  await db.query("INSERT INTO accounts (name) VALUES ('after the backup')");
  await db.query('DELETE FROM accounts WHERE id BETWEEN 200 AND 250');
  await db.query('INSERT INTO orders (account_id) VALUES (1), (2)');
  await db.query('DROP TABLE notes');
});
afterEach(async () => {
  for (const name of await siblingDatabases()) await dropDatabase(name);
  await db.drop();
  rmSync(backupDir, { recursive: true, force: true });
});

describe('astra rollback', () => {
  it('brings back the data of the backup and keeps the database it replaced', async () => {
    const changed = await contents();
    const result = await run('rollback', '--to', '1.0.0');
    expect(result.exitCode).toBe(0);
    expect(await contents()).toEqual(atBackup);
    expect(await ledgerVersions(db)).toEqual([1]);

    const [kept, ...others] = await siblingDatabases();
    expect(others).toEqual([]);
    expect(kept).toMatch(new RegExp(`^${db.name}__pre_rollback_\\d{14}$`));
    const keptClient = new pg.Client(serverConfig(kept));
    await keptClient.connect();
    try {
      const { rows } = await keptClient.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
      expect(rows[0]!.n).toBe(2);
      expect((await keptClient.query('SELECT * FROM accounts ORDER BY id')).rows).toEqual(changed.accounts);
    } finally {
      await keptClient.end();
    }
    expect(result.stdout).toContain(`Rolled back ${db.name} to backup ${backupId}`);
    expect(result.stdout).toMatch(/Discarded: every write to \S+ made after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(result.stdout).toContain(`now named ${kept}`);
    // pg_restore brings back no planner statistics: the database comes back analyzed (by astra, not autovacuum).
    expect(result.stderr).toContain(`Gathered the planner's statistics of the restored ${db.name} (ANALYZE of 3 table(s)).`);
    const analyzed = await db.query<{ table: string; by_astra: boolean; estimate: number }>(
      "SELECT s.relname AS table, s.last_analyze IS NOT NULL AS by_astra, c.reltuples::int AS estimate FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname IN ('accounts', 'notes') ORDER BY 1",
    );
    expect(analyzed).toEqual([
      { table: 'accounts', by_astra: true, estimate: 300 },
      { table: 'notes', by_astra: true, estimate: 120 },
    ]);
  });

  it('gives the restored database the settings, grants and comment of the one it replaces', async () => {
    const quoted = `"${db.name}"`;
    await db.query(`ALTER DATABASE ${quoted} SET search_path = "$user", public, extensions`);
    await db.query(`ALTER DATABASE ${quoted} SET work_mem = '8MB'`);
    await db.query(`REVOKE ALL ON DATABASE ${quoted} FROM PUBLIC`);
    await db.query(`COMMENT ON DATABASE ${quoted} IS 'the shop''s data'`);
    const properties = async () =>
      db.query(
        `SELECT d.datacl::text AS acl, shobj_description(d.oid, 'pg_database') AS comment,
                (SELECT setconfig::text FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole = 0) AS settings
           FROM pg_database d WHERE d.datname = $1`,
        [db.name],
      );
    const before = await properties();
    expect(before[0]).toMatchObject({ comment: "the shop's data", settings: match.stringContaining('work_mem=8MB') });
    expect((await run('rollback', '--to', '1.0.0')).exitCode).toBe(0);
    expect(await contents()).toEqual(atBackup);
    expect(await properties()).toEqual(before);
  });

  it('reports the rollback with --json', async () => {
    const result = await run('rollback', '--to', '1.0.0', '--json');
    expect(result.exitCode).toBe(0);
    const report = parseJson<RollbackReport>(result.stdout);
    expect(report).toMatchObject({ ok: true, backupId, database: db.name, method: 'swap', schemaVersion: 1, safetyBackupId: null });
    expect(report.statistics).toEqual({ gathered: true, tables: 3, skipped: [], failed: [] });
    expect(report.keptDatabase).toMatch(/__pre_rollback_/);
  });

  it('rolls back all the same when ANALYZE fails on a table, analyzes the others and warns with the command for that one', async () => {
    // An index whose expression raises only while ANALYZE runs: pg_restore builds it, ANALYZE cannot sample it.
    await db.query(`CREATE FUNCTION refuses_analyze(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN
        IF current_query() ILIKE 'ANALYZE%' THEN RAISE EXCEPTION 'no statistics today'; END IF;
        RETURN t;
      END $$`);
    await db.query('CREATE INDEX accounts_refusing ON accounts (refuses_analyze(name))');
    const created = await run('backup', 'create', '--json');
    expect(created.exitCode, created.stderr).toBe(0);
    const id = parseJson<BackupCreateReport>(created.stdout).backup.id;
    const atThatBackup = await contents();
    await db.query("INSERT INTO accounts (name) VALUES ('after that backup')");

    const result = await run('rollback', '--backup', id, '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Gathered the planner's statistics of the restored ${db.name} (ANALYZE of 2 of 3 table(s)).`);
    expect(result.stderr).toContain(
      `ANALYZE failed on 1 table(s) (public.accounts: no statistics today): once the cause is fixed, run vacuumdb --analyze-only --dbname=${db.name} --table=public.accounts;`,
    );
    expect(parseJson<RollbackReport>(result.stdout).statistics).toEqual({
      gathered: true,
      tables: 3,
      skipped: [],
      failed: [{ table: 'public.accounts', problem: 'no statistics today' }],
    });
    expect(await contents()).toEqual(atThatBackup);
    // The tables after it are analyzed all the same.
    const analyzed = await db.query<{ table: string; done: boolean }>(
      "SELECT relname AS table, last_analyze IS NOT NULL AS done FROM pg_stat_user_tables WHERE relname IN ('accounts', 'orders') ORDER BY 1",
    );
    expect(analyzed).toEqual([
      { table: 'accounts', done: false },
      { table: 'orders', done: true },
    ]);
  });

  it('restores a backup named with --backup', async () => {
    const result = await run('rollback', '--backup', backupId);
    expect(result.exitCode).toBe(0);
    expect(await contents()).toEqual(atBackup);
  });

  // 'grown': bytes added at the end, which pg_restore reads past without a word; only the checks see it (they run while the copy is restored).
  it.each(['truncated', 'byte-flipped', 'grown'] as const)('refuses a %s backup and changes nothing', async (how) => {
    const archive = join(backupDir, `${backupId}.dump`);
    if (how === 'truncated') truncateSync(archive, Math.floor(statSync(archive).size / 2));
    else if (how === 'grown') appendFileSync(archive, Buffer.alloc(4096, 7));
    else {
      const bytes = readFileSync(archive);
      bytes[100] = (bytes[100] ?? 0) ^ 0xff;
      writeFileSync(archive, bytes);
    }
    const before = await contents();
    const result = await run('rollback', '--to', '1.0.0');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Backup ${backupId} failed verification, so it is not restored: checksum:`);
    expect(result.stderr).toContain('Nothing was changed');
    expect(await contents()).toEqual(before);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await siblingDatabases()).toEqual([]);
  });

  it('exits 2 for a version without release notes', async () => {
    const result = await run('rollback', '--to', '9.9.9');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('There are no release notes for version 9.9.9');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('exits 1, changing nothing, when no backup was taken at that release', async () => {
    const result = await run('rollback', '--to', '1.1.0');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`There is no backup of ${db.name} taken at release 1.1.0 (migrations up to 2)`);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('exits 2 for a backup id that is not there, and without --to or --backup', async () => {
    expect((await run('rollback', '--backup', '20200101T000000Z-000000')).exitCode).toBe(2);
    const neither = await run('rollback');
    expect(neither.exitCode).toBe(2);
    expect(neither.stderr).toContain('--to <version>');
  });

  it('waits for other sessions, then gives up naming them, changing nothing', async () => {
    const other = new pg.Client({ ...db.config, application_name: 'shop-worker' });
    await other.connect();
    try {
      const before = await contents();
      const result = await run('rollback', '--to', '1.0.0', '--wait', '1s');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/1 session\(s\) are still connected to .* after 1\.0 s/);
      expect(result.stderr).toMatch(/pid \d+ \(shop-worker, /);
      expect(result.stderr).toContain('--force');
      expect(await contents()).toEqual(before);
      expect(await siblingDatabases()).toEqual([]);
      const allowed = await db.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db.name]);
      expect(allowed[0]?.datallowconn).toBe(true);
      expect((await other.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await other.end().catch(() => {});
    }
  });

  it.each([
    { signal: 'SIGINT', times: 1, how: 'SIGINT' },
    { signal: 'SIGTERM', times: 1, how: 'SIGTERM' },
    // The second comes while the first one's undo (connections allowed again, the copy dropped) runs: it must not cut it short.
    { signal: 'SIGINT', times: 2, how: 'SIGINT twice in a row' },
  ] as const)('stopped by $how while it waits for sessions: drops the restored copy and changes nothing', async ({ signal, times }) => {
    const other = new pg.Client({ ...db.config, application_name: 'shop-worker' });
    await other.connect();
    try {
      const before = await contents();
      const child = start('rollback', '--to', '1.0.0', '--wait', '60s');
      await waitForStderr(child, 'Waiting up to');
      // The backup has been restored into a copy by now, which waits for the swap.
      expect(await siblingDatabases()).toHaveLength(1);
      child.kill(signal);
      if (times === 2) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        child.kill(signal);
      }
      const result = await child;
      expect(result.exitCode).toBe(1);
      expect(String(result.stderr)).toMatch(
        new RegExp(
          `Interrupted \\(${signal}\\) while ${db.name} was being rolled back to backup ${backupId}: the restore was stopped and \\S+ dropped; ${db.name} is as it was and accepts connections`,
        ),
      );
      expect(await contents()).toEqual(before);
      expect(await siblingDatabases()).toEqual([]);
      const allowed = await db.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db.name]);
      expect(allowed[0]?.datallowconn).toBe(true);
      expect((await other.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await other.end().catch(() => {});
    }
  });

  it('stopped by Ctrl-C while pg_restore fills the new database: drops it and changes nothing', async () => {
    // A backup big enough that its restore is still running when the signal comes.
    await db.query("INSERT INTO accounts (name) SELECT 'bulk account ' || g FROM generate_series(1, 400000) g");
    const created = await run('backup', 'create', '--json');
    expect(created.exitCode).toBe(0);
    const bigId = parseJson<BackupCreateReport>(created.stdout).backup.id;
    await db.query("INSERT INTO accounts (name) VALUES ('after the big backup')");
    const before = await contents();
    const child = start('rollback', '--backup', bigId);
    await sessionRunning(db.name, ' pg_restore', child);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(
      new RegExp(
        `Interrupted \\(SIGINT\\) while ${db.name} was being rolled back to backup ${bigId}: the restore was stopped and \\S+ dropped; ${db.name} is as it was and accepts connections`,
      ),
    );
    expect(await contents()).toEqual(before);
    expect(await siblingDatabases()).toEqual([]);
  });

  it('--force without a terminal needs --yes: exit 2 naming it, nothing changed', async () => {
    const result = await run('rollback', '--to', '1.0.0', '--force');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('--force --yes ends the other sessions and rolls back', async () => {
    const other = new pg.Client({ ...db.config, application_name: 'shop-worker' });
    other.on('error', () => {});
    await other.connect();
    try {
      const result = await run('rollback', '--to', '1.0.0', '--force', '--yes');
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toMatch(/Ending 1 session\(s\)[^\n]*\n\s+pid \d+ \(shop-worker/);
      expect(await contents()).toEqual(atBackup);
      await expect(other.query('SELECT 1')).rejects.toThrow();
    } finally {
      await other.end().catch(() => {});
    }
  });

  it('waits for the run lock another astra run holds, then gives up changing nothing', async () => {
    const other = await db.connect();
    await other.query('SELECT pg_advisory_lock($1::bigint)', [ASTRA_LOCK_KEY]);
    const before = await contents();
    const result = await run('rollback', '--to', '1.0.0', '--lock-wait', '1s');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Another astra run holds the lock on this database');
    expect(result.stderr).toContain('Nothing was changed');
    expect(await contents()).toEqual(before);
    expect(await siblingDatabases()).toEqual([]);
    expect((await other.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('refuses when the newest backup of the release fails verification, naming the older one that passes, and changes nothing', async () => {
    // A newer backup of the same release whose archive was damaged on disk.
    const manifest = readJson<BackupManifest>(join(backupDir, `${backupId}.json`));
    const newerId = `${backupId.slice(0, 8)}T235959Z-ffffff`;
    const bytes = readFileSync(join(backupDir, `${backupId}.dump`));
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(join(backupDir, `${newerId}.dump`), bytes, { mode: 0o600 });
    writeFileSync(
      join(backupDir, `${newerId}.json`),
      JSON.stringify({ ...manifest, id: newerId, archive: `${newerId}.dump`, createdAt: new Date(Date.now() + 60_000).toISOString() }),
      { mode: 0o600 },
    );

    const before = await contents();
    const result = await run('rollback', '--to', '1.0.0');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Backup ${newerId} failed verification, so it is not restored: checksum:`);
    expect(result.stderr).toContain(
      `An older backup of that release, ${backupId} (taken ${manifest.createdAt}), passes verification: astra rollback --backup ${backupId} restores it`,
    );
    expect(await contents()).toEqual(before);
    expect(await siblingDatabases()).toEqual([]);

    const chosen = await run('rollback', '--backup', backupId);
    expect(chosen.exitCode).toBe(0);
    expect(await contents()).toEqual(atBackup);
  });
});
