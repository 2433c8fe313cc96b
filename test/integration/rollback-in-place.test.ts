import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { astra, fixturesDir } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, serverConfig, tableNames, type TestDatabase } from '../helpers/database.js';

const fixture = join(fixturesDir, 'backup-releases');
let db: TestDatabase;
let backupDir: string;
let role: string;
let roleUrl: string;

async function asSuperuser(sql: string): Promise<void> {
  const admin = new pg.Client(serverConfig());
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

const run = (...args: string[]) =>
  astra(['--migrations-dir', join(fixture, 'migrations'), '--release-notes-dir', join(fixture, 'release-notes'), '--backup-dir', backupDir, ...args], {
    env: { DATABASE_URL: roleUrl },
  });

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

    const listed = JSON.parse((await run('backup', 'list', '--json')).stdout).backups as { id: string; schemaVersion: number }[];
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
    await db.query("CREATE FUNCTION refuse_create() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'creating tables is refused here'; END $$");
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
});
