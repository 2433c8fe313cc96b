import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { astra, fixturesDir } from '../helpers/cli.js';
import { entry } from '../helpers/doctor-report.js';
import { createTestDatabase, serverConfig, sessionWaitingForLock, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let backupDir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-doctor-backups-'));
});
afterEach(async () => {
  await db.drop();
});

const cli = (args: string[], env: Record<string, string> = {}, url = db.url) =>
  astra(['--migrations-dir', join(fixturesDir, 'doctor-app'), '--backup-dir', backupDir, ...args], { env: { DATABASE_URL: url, ...env } });

describe('sessions', () => {
  it('warns about a session waiting on a lock, naming the pid that blocks it, which sits idle in a transaction', async () => {
    expect((await cli(['migrate', 'up'])).exitCode).toBe(0);
    const holder = await db.connect();
    const waiter = await db.connect();
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const waiterPid = (await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const blocked = waiter.query('SELECT count(*) FROM accounts').catch(() => undefined);
    await sessionWaitingForLock(db, waiterPid);

    const result = await cli(['doctor']);
    await holder.query('ROLLBACK');
    await blocked;

    expect(result.exitCode, result.stdout).toBe(0);
    const sessions = entry(result.stdout, 'Sessions');
    expect(sessions.status).toBe('warn');
    expect(sessions.detail).toContain(`waiting on locks: pid ${waiterPid} is blocked by pid ${holderPid} (SELECT count(*) FROM accounts)`);
    expect(sessions.detail).toContain(`idle in transaction: pid ${holderPid} for `);
    expect(sessions.fix).toContain(`SELECT pg_terminate_backend(${holderPid});`);
    expect(sessions.fix).not.toContain(`pg_terminate_backend(${waiterPid})`);
  });
});

describe('privileges', () => {
  it('fails a role that may not create in the schema, and warns while it lacks CREATEDB', async () => {
    const role = `doctor_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const admin = new pg.Client(serverConfig(db.name));
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      const server = inject('postgres');
      const url = `postgresql://${role}:${password}@${server.host}:${server.port}/${db.name}`;

      const denied = await cli(['doctor'], {}, url);
      expect(denied.exitCode).toBe(1);
      expect(entry(denied.stdout, 'Privileges')).toEqual({
        status: 'fail',
        detail: `"${role}" may not create objects in schema "public", so migrations cannot run; "${role}" has neither CREATEDB nor superuser, so a rollback cannot restore into a new database and swap it in: it restores over this one in place`,
        fix: `As the schema owner or a superuser: GRANT CREATE ON SCHEMA "public" TO "${role}"; As a superuser: ALTER ROLE "${role}" CREATEDB;`,
      });

      await admin.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      const granted = await cli(['doctor'], {}, url);
      expect(entry(granted.stdout, 'Privileges')).toMatchObject({ status: 'warn', fix: `As a superuser: ALTER ROLE "${role}" CREATEDB;` });
      await admin.query(`REVOKE CREATE ON SCHEMA public FROM ${role}`);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      await admin.end();
    }
  });
});
