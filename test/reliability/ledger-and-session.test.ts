import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { astra, fixturesDir, startAstra, waitForStderr } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';
import { waitUntil } from '../helpers/wait.js';
import { parseJson } from '../helpers/reports.js';

/**
 * A damaged ledger is never read as a fresh install, a migration's session
 * state never reaches the next one, and a file's bytes are taken as they are.
 */
let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

const app = join(fixturesDir, 'upgrade-app');
const withApp = ['--migrations-dir', join(app, 'migrations'), '--release-notes-dir', join(app, 'release-notes')];
const run = (...args: string[]) =>
  astra([...args, ...withApp, '--backup-dir', mkdtempSync(join(tmpdir(), 'astra-backups-'))], { env: { DATABASE_URL: db.url } });

async function usersAndColumns(): Promise<unknown[]> {
  return [
    await db.query(`SELECT email, legacy_token FROM users ORDER BY email`),
    await db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1`),
  ];
}

describe('a damaged ledger is drift, not a fresh install', () => {
  it('a hole (a row deleted by hand) stops upgrade and migrate up with exit 1, naming the migration, and changes nothing', async () => {
    expect((await run('upgrade', '--to', '1.1.0', '--yes')).exitCode).toBe(0);
    await db.query(`INSERT INTO users (email, legacy_token) VALUES ('a@example.com', 'tok-a')`);
    await db.query(`DELETE FROM astra_migrations WHERE version = 1`);
    const before = await usersAndColumns();

    const upgrade = await run('upgrade', '--yes', '--allow-breaking');
    expect(upgrade.exitCode).toBe(1);
    expect(upgrade.stderr).toContain('The ledger has a hole: migration 1 (users) is not recorded as applied, yet later migrations are (up to 4)');
    expect(upgrade.stderr).toContain('astra migrate force 4');
    const up = await run('migrate', 'up');
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toContain('The ledger has a hole');
    expect(await usersAndColumns()).toEqual(before);
    expect(await ledgerVersions(db)).toEqual([2, 3, 4]);

    // The repair the message names: record 1 as applied, then the upgrade asks for --allow-breaking as for any database with data.
    expect((await run('migrate', 'force', '4')).exitCode).toBe(0);
    const refused = await run('upgrade', '--yes');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--yes alone does not accept');
  });

  it('a ledger dropped by hand on a database with the tables stops upgrade and migrate up, and does not create a new ledger', async () => {
    expect((await run('upgrade', '--to', '1.1.0', '--yes')).exitCode).toBe(0);
    await db.query(`INSERT INTO users (email, legacy_token) VALUES ('a@example.com', 'tok-a')`);
    await db.query(`DROP TABLE astra_migrations`);
    const before = await usersAndColumns();

    for (const args of [
      ['upgrade', '--yes', '--allow-breaking'],
      ['migrate', 'up'],
    ]) {
      const result = await run(...args);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /astra's ledger records no migration, yet .* already has 2 table\(s\) the migrations create \("posts", "users"\): this is not a fresh install/,
      );
      expect(result.stderr).toContain('astra migrate force <version>');
    }
    expect(await usersAndColumns()).toEqual(before);
    expect(await db.query(`SELECT to_regclass('astra_migrations') AS t`)).toEqual([{ t: null }]);
  });

  it('an empty database is still a fresh install', async () => {
    const result = await run('upgrade', '--yes');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('no session state leaks from one migration into the next', () => {
  it('role, session authorization, search_path, settings, prepared statements, cursors, temp tables and advisory locks are reset before the next migration of the same run', async () => {
    const role = `app_owner_${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE ROLE ${role} NOLOGIN`);
    await db.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    const folder = mkdtempSync(join(tmpdir(), 'astra-session-'));
    const check = (what: string, condition: string) => `DO $$ BEGIN IF ${condition} THEN RAISE EXCEPTION 'leaked: ${what}'; END IF; END $$;`;
    writeFileSync(
      join(folder, '001_dirty_session.sql'),
      [
        'CREATE SCHEMA IF NOT EXISTS elsewhere;',
        // The role has no right on astra's ledger: the ledger is still written, as the role that logged in.
        `SET ROLE ${role};`,
        'CREATE TABLE a (id int);',
        'SET search_path = elsewhere;',
        "SET statement_timeout = '1s';",
        'PREPARE leaked_statement AS SELECT 1;',
        'CREATE TEMP TABLE leaked_temp (id int);',
        'SELECT pg_advisory_lock(4242);',
        'SELECT pg_advisory_lock(7, 8);',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(folder, '002_clean_session.sql'),
      [
        'CREATE TABLE public.b (id int);',
        check('role', 'current_user <> session_user'),
        check('search_path', "current_setting('search_path') <> '\"$user\", public'"),
        check('statement_timeout', "current_setting('statement_timeout') <> '0'"),
        check('prepared statement', "EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = 'leaked_statement')"),
        check('temp table', "to_regclass('pg_temp.leaked_temp') IS NOT NULL"),
        check('advisory lock', "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid IN (4242, 8))"),
        '',
      ].join('\n'),
    );
    const result = await astra(['migrate', 'up', '--migrations-dir', folder], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    const owners = await db.query<{ table: string; owner: string; login: string }>(
      `SELECT tablename AS table, tableowner AS owner, session_user AS login FROM pg_tables WHERE tablename IN ('a', 'b') AND schemaname = 'public' ORDER BY 1`,
    );
    expect(owners.map((row) => [row.table, row.owner === role ? 'role' : row.owner === row.login ? 'login' : row.owner])).toEqual([
      ['a', 'role'],
      ['b', 'login'],
    ]);
  });
});

describe('bytes stay bytes', () => {
  it('a migration file that is not UTF-8 is bad input: exit 2, naming the file and the byte offset, nothing applied', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'astra-bytes-'));
    writeFileSync(join(folder, '001_t.sql'), 'CREATE TABLE t (v text);\n');
    writeFileSync(
      join(folder, '002_bad.sql'),
      Buffer.concat([Buffer.from("INSERT INTO t VALUES ('"), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from("');\n")]),
    );
    const result = await astra(['migrate', 'up', '--migrations-dir', folder], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`The migration file ${join(folder, '002_bad.sql')} is not valid UTF-8: byte 23 (0xff)`);
    expect(await db.query(`SELECT to_regclass('t') AS t`)).toEqual([{ t: null }]);
  });
});

describe('a rerun after astra was killed finishes the job', () => {
  const resumeApp = join(fixturesDir, 'upgrade-resume');
  const backupDir = () => mkdtempSync(join(tmpdir(), 'astra-backups-'));
  const withResumeApp = ['--migrations-dir', join(resumeApp, 'migrations'), '--release-notes-dir', join(resumeApp, 'release-notes')];

  it('kill -9 during a concurrent index build: the same astra upgrade resumes it, says so, and converges', async () => {
    const backups = backupDir();
    const env = { DATABASE_URL: db.url };
    expect((await astra(['upgrade', '--to', '1.0.0', '--yes', ...withResumeApp, '--backup-dir', backups], { env })).exitCode).toBe(0);
    await db.query(`INSERT INTO items SELECT g, g % 97 FROM generate_series(1, 3000) g`);
    const child = startAstra(['upgrade', '--yes', ...withResumeApp, '--backup-dir', backups], { env });
    await waitForStderr(child, '002-items-slow-index.sql: CREATE INDEX CONCURRENTLY:');
    child.kill('SIGKILL');
    await child;
    const [row] = await db.query<{ dirty: boolean }>(`SELECT dirty FROM astra_migrations WHERE version = 2`);
    expect(row?.dirty).toBe(true);

    const rerun = await astra(['upgrade', '--yes', ...withResumeApp, '--backup-dir', backups, '--lock-wait', '2m'], { env });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/002-items-slow-index\.sql was stopped at statement 1 with nothing failed, and is finished first/);
    expect(rerun.stderr).toContain('002-items-slow-index.sql: finishing it from statement 1, where astra was stopped');
    expect(await ledgerVersions(db)).toEqual([1, 2, 3]);
    expect(await db.query(`SELECT count(*)::int AS n FROM astra_migrations WHERE dirty`)).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'items_slow_key'`)).toEqual([
      { valid: true },
    ]);
    expect(await db.query(`SELECT count(*)::int AS n FROM items`)).toEqual([{ n: 3000 }]);
    const doctor = await astra(['doctor', ...withResumeApp, '--backup-dir', backups], { env });
    expect(doctor.exitCode, doctor.stdout).toBe(0);
  });

  it('a migration that failed for a reason is still left for a person', async () => {
    const backups = backupDir();
    const env = { DATABASE_URL: db.url };
    expect((await astra(['upgrade', '--to', '1.0.0', '--yes', ...withResumeApp, '--backup-dir', backups], { env })).exitCode).toBe(0);
    expect((await astra(['migrate', 'up', '--to', '1', ...withResumeApp], { env })).exitCode).toBe(0);
    await db.query(
      `INSERT INTO astra_migrations (version, name, checksum, astra_version, dirty, next_statement, error) VALUES (2, 'items-slow-index', 'x', 'test', true, 0, 'could not create unique index')`,
    );
    const rerun = await astra(['upgrade', '--yes', ...withResumeApp, '--backup-dir', backups], { env });
    expect(rerun.exitCode).toBe(1);
    expect(rerun.stderr).toContain('The pre-upgrade checklist failed (ledger)');
  });
});

describe('two upgrades at once', () => {
  it('the one that waited for the lock plans again: nothing left to do, no backup, exit 0', async () => {
    const slow = join(fixturesDir, 'upgrade-slow');
    const backups = mkdtempSync(join(tmpdir(), 'astra-backups-'));
    const args = [
      'upgrade',
      '--yes',
      '--migrations-dir',
      join(slow, 'migrations'),
      '--release-notes-dir',
      join(slow, 'release-notes'),
      '--backup-dir',
      backups,
    ];
    const env = { DATABASE_URL: db.url };
    const first = startAstra(args, { env });
    await waitForStderr(first, '002-slow-step.sql');
    const second = startAstra([...args, '--json'], { env });
    await waitForStderr(second, 'Waiting for another astra run to finish');
    const [one, two] = await Promise.all([first, second]);
    expect(one.exitCode, String(one.stderr)).toBe(0);
    expect(two.exitCode, String(two.stderr)).toBe(0);
    expect(String(two.stderr)).toContain('Another run took the database to 1.0.0 while this one waited for the lock; nothing to do.');
    // Its report says where the database stands, not the plan made before the wait.
    expect(parseJson<{ from: string; applied: unknown[]; backup: unknown; plan: { pending: unknown[] } }>(String(two.stdout))).toMatchObject({
      from: '1.0.0',
      applied: [],
      backup: null,
      plan: { pending: [] },
    });
    expect(readdirSync(backups).filter((name) => name.endsWith('.json'))).toHaveLength(1);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3]);
  });
});

describe('a database with part of its first release applied', () => {
  it('is no fresh install: a breaking migration still needs --allow-breaking', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'astra-partial-'));
    const migrations = join(folder, 'migrations');
    const notes = join(folder, 'release-notes');
    mkdirSync(migrations);
    mkdirSync(notes);
    writeFileSync(join(migrations, '001_accounts.sql'), 'CREATE TABLE accounts (id int PRIMARY KEY, nickname text);\n');
    writeFileSync(join(migrations, '002_drop_nickname.sql'), 'ALTER TABLE accounts DROP COLUMN nickname;\n');
    writeFileSync(
      join(notes, '1.0.0.md'),
      '---\nversion: 1.0.0\ndate: 2026-01-10\nstop_application: true\nmigrations:\n  - file: 001_accounts.sql\n    safety: safe\n  - file: 002_drop_nickname.sql\n    safety: breaking\n    reason: drops a column\n---\n\n# 1.0.0\n',
    );
    const env = { DATABASE_URL: db.url, ASTRA_BACKUP_DIR: join(folder, 'backups') };
    const dirs = ['--migrations-dir', migrations, '--release-notes-dir', notes];
    expect((await astra(['migrate', 'up', '--to', '1', ...dirs], { env })).exitCode).toBe(0);
    await db.query("INSERT INTO accounts VALUES (1, 'kept')");
    const upgrade = await astra(['upgrade', '--yes', ...dirs], { env });
    expect(upgrade.exitCode).toBe(2);
    expect(upgrade.stderr).toContain('1 breaking migration(s) (002_drop_nickname.sql), which --yes alone does not accept');
    expect(await db.query('SELECT nickname FROM accounts')).toEqual([{ nickname: 'kept' }]);
  });
});

describe('a backup taken in the middle of a migration', () => {
  it('is marked with the unfinished migration, said when taken and listed', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'astra-unfinished-'));
    writeFileSync(join(folder, '001_t.sql'), 'CREATE TABLE t (x int);\nINSERT INTO t VALUES (1), (1);\n');
    // Fails outside the transaction: the ledger keeps migration 2 as unfinished.
    writeFileSync(join(folder, '002_t_unique.sql'), 'CREATE UNIQUE INDEX CONCURRENTLY t_x_key ON t (x);\n');
    const env = { DATABASE_URL: db.url, ASTRA_BACKUP_DIR: join(folder, 'backups') };
    const up = await astra(['migrate', 'up', '--migrations-dir', folder], { env });
    expect(up.exitCode).toBe(1);
    const backup = await astra(['backup', 'create', '--json', '--migrations-dir', folder], { env });
    expect(backup.exitCode, backup.stderr).toBe(0);
    const manifest = parseJson<{ backup: { id: string; schemaVersion: number; unfinishedMigrations?: number[] } }>(backup.stdout).backup;
    expect(manifest).toMatchObject({ schemaVersion: 1, unfinishedMigrations: [2] });
    expect(backup.stderr).toContain(`Backup ${manifest.id} was taken while migration(s) 2 were unfinished (dirty)`);
    const list = await astra(['backup', 'list', '--json'], { env });
    expect(parseJson<{ backups: { unfinishedMigrations?: number[] }[] }>(list.stdout).backups[0]!.unfinishedMigrations).toEqual([2]);
    // Restoring it brings the unfinished migration back: the rollback says so too.
    const rollback = await astra(['rollback', '--backup', manifest.id, '--yes', '--migrations-dir', folder], { env });
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    expect(rollback.stderr).toContain(`Backup ${manifest.id} was taken while migration(s) 2 were unfinished (dirty)`);
  });
});

describe('a down migration that fails', () => {
  it('says the migration is still applied, and how to go on', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'astra-down-'));
    writeFileSync(join(folder, '000001_t.up.sql'), 'CREATE TABLE t (id int);\n');
    writeFileSync(join(folder, '000001_t.down.sql'), 'DROP TABLE t;\nSELECT 1 / 0;\n');
    const env = { DATABASE_URL: db.url };
    expect((await astra(['migrate', 'up', '--migrations-dir', folder], { env })).exitCode).toBe(0);
    const down = await astra(['migrate', 'down', '--migrations-dir', folder, '--yes'], { env });
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toContain('none of its changes were kept, and migration 1 is still recorded as applied.');
    expect(down.stderr).toContain('run astra migrate down again');
    expect(down.stderr).not.toContain('not recorded as applied');
    expect(await ledgerVersions(db)).toEqual([1]);
    expect(await db.query(`SELECT to_regclass('t')::text AS t`)).toEqual([{ t: 't' }]);
  });
});

describe('Ctrl-C while the upgrade plans', () => {
  it('stops before anything changes and says where the database is, instead of ending silently', async () => {
    const backups = mkdtempSync(join(tmpdir(), 'astra-backups-'));
    const args = ['upgrade', '--to', '1.1.0', '--yes', ...withApp, '--backup-dir', backups];
    const env = { DATABASE_URL: db.url };
    expect((await astra(['upgrade', '--to', '1.0.0', '--yes', ...withApp, '--backup-dir', backups], { env })).exitCode).toBe(0);
    const before = await ledgerVersions(db);
    // A session that holds the ledger keeps the plan waiting: a window to press Ctrl-C in.
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE astra_migrations IN ACCESS EXCLUSIVE MODE');
    const child = startAstra(args, { env });
    await waitUntil('astra waits for the ledger lock', async () => {
      const rows = await db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'astra %' AND wait_event_type = 'Lock'`,
      );
      return rows.length > 0;
    });
    child.kill('SIGINT');
    await waitForStderr(child, 'stopping before the upgrade begins');
    await holder.query('ROLLBACK');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toContain('Stopped before the upgrade began, as asked; nothing was changed.');
    expect(await ledgerVersions(db)).toEqual(before);
    expect(readdirSync(backups).filter((name) => name.endsWith('.json'))).toHaveLength(1);
  });
});

describe('Ctrl-C during the final doctor check', () => {
  it('says the upgrade itself is done, the release the database is at and the backup, and exits 1', async () => {
    // Once the last migration is in, a session takes the ledger: the doctor's migrations check waits on it, a window for Ctrl-C.
    // The doctor may read the ledger before the lock is granted; then the upgrade ends on its own, and the attempt is made again on a new database.
    for (let attempt = 1; ; attempt++) {
      const target = attempt === 1 ? db : await createTestDatabase();
      const backups = mkdtempSync(join(tmpdir(), 'astra-backups-'));
      const env = { DATABASE_URL: target.url };
      expect((await astra(['upgrade', '--to', '1.0.0', '--yes', ...withApp, '--backup-dir', backups], { env })).exitCode).toBe(0);
      const child = startAstra(['upgrade', '--to', '1.1.0', '--yes', ...withApp, '--backup-dir', backups], { env });
      await waitForStderr(child, 'Applied 2 migration(s)');
      const holder = await target.connect();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE astra_migrations IN ACCESS EXCLUSIVE MODE');
      const waiting = await waitUntil(
        'the doctor check waits for the ledger',
        async () =>
          (
            await target.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'astra %' AND wait_event_type = 'Lock'`,
            )
          ).length > 0,
        { ended: child, timeoutMs: 5_000 },
      ).then(
        () => true,
        () => false,
      );
      if (waiting) child.kill('SIGINT');
      const result = await child;
      await holder.query('ROLLBACK');
      await holder.end();
      if (target !== db) await target.drop();
      if (!waiting) {
        expect(result.exitCode, result.stderr).toBe(0);
        expect(attempt).toBeLessThan(5);
        continue;
      }
      expect(result.exitCode).toBe(1);
      expect(String(result.stderr)).toMatch(
        /Interrupted during the final doctor check: the upgrade itself is done, and the database is at 1\.1\.0 \(backup \S+ was taken first\)\./,
      );
      expect(String(result.stderr)).toMatch(/fix: Run astra doctor to check it; to go back: astra rollback --to 1\.0\.0 --backup \S+/);
      if (target === db) expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
      return;
    }
  });
});

describe('migrations that turn on the ledger, and names astra cannot hold', () => {
  it('a migration that drops the ledger is rolled back with a sentence, not an unexpected error', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'astra-drop-ledger-'));
    writeFileSync(join(folder, '001_t.sql'), 'CREATE TABLE t (id int);\n');
    writeFileSync(join(folder, '002_drop_ledger.sql'), 'CREATE TABLE u (id int);\nDROP TABLE astra_migrations;\n');
    const result = await astra(['migrate', 'up', '--migrations-dir', folder], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Migration 2 (002_drop_ledger.sql) left astra's ledger unwritable");
    expect(result.stderr).not.toContain('Unexpected error');
    expect(await ledgerVersions(db)).toEqual([1]);
    expect(await db.query(`SELECT to_regclass('u') AS u`)).toEqual([{ u: null }]);
  });

  it('a version too large for astra is named as such (exit 2)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'astra-big-version-'));
    writeFileSync(join(folder, '99999999999999999999_huge.sql'), 'SELECT 1;\n');
    const result = await astra(['migrate', 'up', '--migrations-dir', folder], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('99999999999999999999_huge.sql: the version 99999999999999999999 is too large (at most 9007199254740991)');
  });

  it('a server that asks for a password when none is given gets a sentence, not the driver text', async () => {
    const url = new URL(db.url);
    url.password = '';
    const result = await astra(['status', '--migrations-dir', join(app, 'migrations')], { env: { DATABASE_URL: url.toString() } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/asks user ".*" for a password, and none was given\./);
    expect(result.stderr).not.toContain('SASL');
  });
});
