import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { astra, cliWith, fixturesDir, waitForStderr } from '../helpers/cli.js';
import { admin, createTestDatabase, ledgerVersions, sessionRunning, tableNames, type TestDatabase } from '../helpers/database.js';
import { parseJson, readJson, type BackupCreateReport, type BackupListReport, type BackupManifest } from '../helpers/reports.js';

const fixture = join(fixturesDir, 'backup-releases');
let db: TestDatabase;
let backupDir: string;
let role: string;
let roleUrl: string;

async function asSuperuser(sql: string): Promise<void> {
  await admin((client) => client.query(sql));
}

const { run, start } = cliWith(() => ({
  args: ['--migrations-dir', join(fixture, 'migrations'), '--release-notes-dir', join(fixture, 'release-notes'), '--backup-dir', backupDir],
  env: { DATABASE_URL: roleUrl },
}));

beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-rollback-in-place-'));
  // An application role that owns its database but may not create databases.
  role = `app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await asSuperuser(`CREATE ROLE ${role} LOGIN NOCREATEDB PASSWORD '${password}'`);
  await asSuperuser(`ALTER DATABASE ${db.name} OWNER TO ${role}`);
  const server = inject('postgres');
  roleUrl = `postgresql://${role}:${password}@${server.host}:${server.port}/${db.name}`;
});
afterEach(async () => {
  await db.drop();
  await asSuperuser(`DROP ROLE IF EXISTS ${role}`);
  rmSync(backupDir, { recursive: true, force: true });
});

describe('astra rollback by a role that cannot create databases', () => {
  it('restores in place after a safety backup, dropping what was created since', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    await db.query("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 80) g");
    await db.query("INSERT INTO notes (account_id, body) SELECT g, 'note ' || g FROM generate_series(1, 40) g");
    expect((await run('backup', 'create')).exitCode).toBe(0);
    const accounts = await db.query('SELECT * FROM accounts ORDER BY id');
    const notes = await db.query('SELECT * FROM notes ORDER BY id');

    expect((await run('migrate', 'up')).exitCode).toBe(0);
    const client = await db.connect();
    await client.query(`SET ROLE ${role}`);
    await client.query("INSERT INTO accounts (name) VALUES ('after the backup')");
    await client.query('INSERT INTO orders (account_id) VALUES (1)');
    await client.query('DROP TABLE notes');
    await client.end();

    const result = await run('rollback', '--to', '1.0.0');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`The role ${role} cannot create and rename databases`);
    expect(result.stderr).toMatch(/Dropping 4 object\(s\) created after the backup: .*table public\.orders/);
    expect(await db.query('SELECT * FROM accounts ORDER BY id')).toEqual(accounts);
    expect(await db.query('SELECT * FROM notes ORDER BY id')).toEqual(notes);
    expect(await tableNames(db)).toEqual(['accounts', 'astra_migrations', 'notes']);
    expect(await db.query("SELECT 1 FROM pg_type WHERE typname = 'order_state'")).toEqual([]);
    expect(await ledgerVersions(db)).toEqual([1]);
    // pg_restore brings back no planner statistics: the database comes back analyzed (by astra, not autovacuum).
    expect(result.stderr).toContain(`Gathered the planner's statistics of the restored ${db.name} (ANALYZE of 3 table(s)).`);
    expect(
      await db.query(
        "SELECT s.relname AS table, s.last_analyze IS NOT NULL AS by_astra, c.reltuples::int AS estimate FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname IN ('accounts', 'notes') ORDER BY 1",
      ),
    ).toEqual([
      { table: 'accounts', by_astra: true, estimate: 80 },
      { table: 'notes', by_astra: true, estimate: 40 },
    ]);

    const listed = parseJson<BackupListReport>((await run('backup', 'list', '--json')).stdout).backups;
    expect(listed.map((backup) => backup.schemaVersion)).toEqual([2, 1]);
    expect(result.stdout).toContain(`Kept: the safety backup ${listed[0]?.id}`);
  });

  it('changes nothing when the restore fails part-way: it runs in one transaction', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    await db.query("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 30) g");
    expect((await run('backup', 'create')).exitCode).toBe(0);
    expect((await run('migrate', 'up')).exitCode).toBe(0);
    await db.query("INSERT INTO accounts (name) VALUES ('after the backup')");
    // An event trigger refuses CREATE TABLE: the restore fails after it has dropped everything it restores.
    await db.query(
      "CREATE FUNCTION refuse_create() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'creating tables is refused here'; END $$",
    );
    await db.query("CREATE EVENT TRIGGER refuse_create ON ddl_command_start WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION refuse_create()");
    const accounts = await db.query('SELECT * FROM accounts ORDER BY id');

    const result = await run('rollback', '--to', '1.0.0');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('The restore failed and was rolled back');
    expect(result.stderr).toContain('creating tables is refused here');
    expect(result.stderr).toContain('Nothing was changed');
    expect(await db.query('SELECT * FROM accounts ORDER BY id')).toEqual(accounts);
    expect(await tableNames(db)).toEqual(['accounts', 'astra_migrations', 'notes', 'orders']);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('changes nothing, and says so truly, when pg_restore stops part-way through an archive whose table of contents is sound', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    await db.query("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 500) g");
    const created = await run('backup', 'create', '--json');
    expect(created.exitCode).toBe(0);
    const { backup } = parseJson<BackupCreateReport>(created.stdout);
    expect((await run('migrate', 'up')).exitCode).toBe(0);
    await db.query("INSERT INTO accounts (name) VALUES ('after the backup')");
    // The data block of accounts is damaged, and the manifest made to agree
    // with the damaged file: the checksum and pg_restore --list both pass, and
    // pg_restore fails only once it has written part of the script.
    damageTableData(join(backupDir, `${backup.id}.dump`), 'accounts');
    const manifestPath = join(backupDir, `${backup.id}.json`);
    const bytes = readFileSync(join(backupDir, `${backup.id}.dump`));
    const manifest = readJson<BackupManifest>(manifestPath);
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length }));
    const accounts = await db.query('SELECT * FROM accounts ORDER BY id');

    const result = await run('rollback', '--to', '1.0.0');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`pg_restore failed while reading backup ${backup.id}, before anything was sent to ${db.name}`);
    expect(result.stderr).toContain('Nothing was changed');
    expect(await db.query('SELECT * FROM accounts ORDER BY id')).toEqual(accounts);
    expect(await tableNames(db)).toEqual(['accounts', 'astra_migrations', 'notes', 'orders']);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await publicMayConnect()).toBe(true);
  });

  it('keeps PUBLIC out during the restore, grants CONNECT back afterwards, and verifies the safety backup', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    expect((await run('backup', 'create')).exitCode).toBe(0);
    expect((await run('migrate', 'up')).exitCode).toBe(0);
    const result = await run('rollback', '--to', '1.0.0');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`New connections to ${db.name} are refused to PUBLIC until the restore ends`);
    expect(result.stderr).toMatch(/Safety backup \S+ taken and verified/);
    expect(await publicMayConnect()).toBe(true);
    const listed = parseJson<BackupListReport>((await run('backup', 'list', '--json')).stdout).backups;
    expect(listed[0]).toMatchObject({ schemaVersion: 2, verified: true });
  });

  it('does not commit while another client is connected at its end, naming it, and changes nothing', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    // Enough rows that the restore takes a moment.
    await db.query("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 200000) g");
    expect((await run('backup', 'create')).exitCode).toBe(0);
    expect((await run('migrate', 'up')).exitCode).toBe(0);
    const child = start('rollback', '--to', '1.0.0');
    await waitForStderr(child, 'taken and verified');
    // A client of another role (whose sessions astra's role cannot inspect) connects while the restore runs, and writes.
    const late = await db.connect();
    const write = late.query("INSERT INTO accounts (name) VALUES ('written during the rollback')").catch((error: unknown) => error);
    try {
      const result = await child;
      expect(result.exitCode).toBe(1);
      expect(String(result.stderr)).toMatch(
        /The restore was rolled back, not committed: another client \(pid \d+\) is connected to the database, and may have written since the safety backup\./,
      );
      expect(String(result.stderr)).toContain('Nothing was changed');
      expect(await write).not.toBeInstanceOf(Error);
      expect(await db.query("SELECT count(*)::int AS n FROM accounts WHERE name = 'written during the rollback'")).toEqual([{ n: 1 }]);
      expect(await ledgerVersions(db)).toEqual([1, 2]);
      expect(await publicMayConnect()).toBe(true);
    } finally {
      await late.end();
    }
  });

  it('stopped by Ctrl-C while it waits for sessions: grants CONNECT back, takes no safety backup, changes nothing', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    expect((await run('backup', 'create')).exitCode).toBe(0);
    expect((await run('migrate', 'up')).exitCode).toBe(0);
    const backupsBefore = parseJson<BackupListReport>((await run('backup', 'list', '--json')).stdout).backups;
    const other = await db.connect();
    try {
      const child = start('rollback', '--to', '1.0.0', '--wait', '60s');
      await waitForStderr(child, 'Waiting up to');
      expect(await publicMayConnect()).toBe(false);
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(1);
      expect(String(result.stderr)).toContain(`Interrupted (SIGINT) while waiting for sessions to leave: nothing was restored; ${db.name} is as it was.`);
      expect(await publicMayConnect()).toBe(true);
      expect(await ledgerVersions(db)).toEqual([1, 2]);
      expect(await tableNames(db)).toEqual(['accounts', 'astra_migrations', 'notes', 'orders']);
      expect(parseJson<BackupListReport>((await run('backup', 'list', '--json')).stdout).backups).toHaveLength(backupsBefore.length);
    } finally {
      await other.end().catch(() => {});
    }
  });

  /** At release 1.0.0, a backup big enough that its restore is still running when a signal comes, then the upgrade past it. */
  async function bigBackupThenUpgrade(): Promise<void> {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    await db.query("INSERT INTO accounts (name) SELECT 'bulk account ' || g FROM generate_series(1, 400000) g");
    expect((await run('backup', 'create')).exitCode).toBe(0);
    expect((await run('migrate', 'up')).exitCode).toBe(0);
  }

  /** What a rollback stopped by Ctrl-C during its restore says. */
  const cancelledRestore = () =>
    new RegExp(
      `Interrupted \\(SIGINT\\) while backup \\S+ was being restored over ${db.name}: the restore was cancelled and rolled back; ${db.name} is as it was\\.`,
    );

  it('stopped by Ctrl-C while psql restores: the transaction is rolled back, CONNECT granted back, nothing changed', async () => {
    await bigBackupThenUpgrade();
    await db.query("INSERT INTO accounts (name) VALUES ('after the backup')");
    // How many accounts there are, and the name of the newest.
    const accountsNow = () =>
      db.query<{ n: number; newest: string }>(
        'SELECT count(*)::int AS n, max(name) FILTER (WHERE id = (SELECT max(id) FROM accounts)) AS newest FROM accounts',
      );
    const accounts = await accountsNow();
    const child = start('rollback', '--to', '1.0.0');
    await sessionRunning(db.name, ' restore', child);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(cancelledRestore());
    expect(await accountsNow()).toEqual(accounts);
    expect(accounts[0]?.newest).toBe('after the backup');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await tableNames(db)).toEqual(['accounts', 'astra_migrations', 'notes', 'orders']);
    expect(await publicMayConnect()).toBe(true);
  });

  it('a psql that does not stop after the interrupt (held stopped, as a deadlocked one would be) has its session ended and is killed: nothing changed', async () => {
    await bigBackupThenUpgrade();
    const accounts = await db.query('SELECT count(*)::int AS n FROM accounts');
    const child = start('rollback', '--to', '1.0.0');
    await sessionRunning(db.name, ' restore', child);
    const psql = Number((await execa('pgrep', ['-P', String(child.pid), '-x', 'psql'])).stdout.trim());
    process.kill(psql, 'SIGSTOP');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(cancelledRestore());
    expect(() => process.kill(psql, 0)).toThrow();
    expect(await db.query('SELECT count(*)::int AS n FROM accounts')).toEqual(accounts);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await publicMayConnect()).toBe(true);
  });

  it("takes a failed upgrade back in place, on the connection that holds the upgrade's lock: the data is as before", async () => {
    const failing = join(fixturesDir, 'upgrade-failing');
    const upgrade = (...args: string[]) =>
      astra(
        ['--migrations-dir', join(failing, 'migrations'), '--release-notes-dir', join(failing, 'release-notes'), '--backup-dir', backupDir, 'upgrade', ...args],
        {
          env: { DATABASE_URL: roleUrl },
        },
      );
    expect((await upgrade('--to', '1.0.0', '--yes')).exitCode).toBe(0);
    await db.query("INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com')");
    await db.query(
      "INSERT INTO posts (user_id, body) VALUES ('00000000-0000-0000-0000-000000000001', 'same'), ('00000000-0000-0000-0000-000000000001', 'same')",
    );
    const posts = await db.query('SELECT * FROM posts ORDER BY id');
    const versions = await ledgerVersions(db);

    const result = await upgrade('--yes');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('could not create unique index "posts_body_key"');
    expect(result.stderr).toMatch(/Rolled back: \S+ was restored in place from backup \S+ taken at \S+ \(safety backup \S+ holds the failed state\)/);
    expect(await db.query('SELECT * FROM posts ORDER BY id')).toEqual(posts);
    expect(await ledgerVersions(db)).toEqual(versions);
    expect(await publicMayConnect()).toBe(true);
  });

  it('refuses, changing nothing, when the role cannot keep clients out, unless --force', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    expect((await run('backup', 'create')).exitCode).toBe(0);
    expect((await run('migrate', 'up')).exitCode).toBe(0);
    // The role now only has the privileges on the database's objects, not the database itself.
    await asSuperuser(`ALTER DATABASE ${db.name} OWNER TO ${inject('postgres').user}`);
    const refused = await run('rollback', '--to', '1.0.0');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`The role ${role} does not own ${db.name}, so it cannot keep other clients out`);
    expect(refused.stderr).toContain('--force');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await publicMayConnect()).toBe(true);
    await asSuperuser(`ALTER DATABASE ${db.name} OWNER TO ${role}`);
  });
});

async function publicMayConnect(): Promise<boolean> {
  const rows = await db.query<{ allowed: boolean }>("SELECT has_database_privilege('public', $1, 'CONNECT') AS allowed", [db.name]);
  return rows[0]?.allowed === true;
}

/**
 * Overwrites the dump id in the header of `table`'s data block of a custom
 * archive: the table of contents still lists, and pg_restore fails when it
 * reaches that block, after it has written the statements before it.
 */
function damageTableData(archive: string, table: string): void {
  const bundled = join(inject('postgres').binDir, 'pg_restore');
  const listing = execFileSync(existsSync(bundled) ? bundled : 'pg_restore', ['--list', archive], { encoding: 'utf8' });
  const line = listing.split('\n').find((entry) => new RegExp(`^\\d+; \\d+ \\d+ TABLE DATA public ${table} `).test(entry));
  const dumpId = Number(line?.split(';')[0]);
  expect(dumpId).toBeGreaterThan(0);
  const bytes = readFileSync(archive);
  // A data block starts with its type (1 = data) and the dump id as a sign byte and four little-endian bytes.
  const header = Buffer.from([1, 0, dumpId & 0xff, (dumpId >> 8) & 0xff, (dumpId >> 16) & 0xff, (dumpId >> 24) & 0xff]);
  const at = bytes.lastIndexOf(header);
  expect(at).toBeGreaterThan(0);
  bytes[at + 2] = (bytes[at + 2] ?? 0) ^ 0x5a;
  writeFileSync(archive, bytes);
}
