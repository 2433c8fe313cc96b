import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliWith, fixturesDir } from '../helpers/cli.js';
import { admin, serverConfig } from '../helpers/database.js';
import { parseJson, type BackupCreateReport } from '../helpers/reports.js';

// A role that may open three sessions, as hosted databases often give an
// application. astra holds two during a rollback; pg_restore's default jobs
// must fit in what is left, or the way back fails when it is needed.
const role = `limited_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
const database = `${role}_db`;
const fixture = join(fixturesDir, 'backup-releases');
let backupDir: string;

const { run } = cliWith(() => {
  const server = serverConfig();
  return {
    args: ['--migrations-dir', join(fixture, 'migrations'), '--release-notes-dir', join(fixture, 'release-notes'), '--backup-dir', backupDir],
    env: { DATABASE_URL: `postgresql://${role}:${password}@${server.host}:${server.port}/${database}` },
  };
});

beforeAll(async () => {
  backupDir = mkdtempSync(join(tmpdir(), 'astra-connlimit-'));
  await admin((client) => client.query(`CREATE ROLE ${role} LOGIN CREATEDB CONNECTION LIMIT 3 PASSWORD '${password}'`));
  await admin((client) => client.query(`CREATE DATABASE ${database} OWNER ${role}`));
});

afterAll(async () => {
  await admin(async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [database]);
    for (const row of rows) await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
    await client.query(`DROP ROLE IF EXISTS ${role}`);
  });
  rmSync(backupDir, { recursive: true, force: true });
});

describe('astra rollback as a role with a connection limit', () => {
  it('restores with the jobs the limit leaves room for, and rolls back', async () => {
    expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
    const created = await run('backup', 'create', '--json');
    expect(created.exitCode, created.stderr).toBe(0);
    const { id } = parseJson<BackupCreateReport>(created.stdout).backup;
    expect((await run('migrate', 'up')).exitCode).toBe(0);

    const result = await run('rollback', '--backup', id, '--yes');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Rolled back ${database} to backup ${id}`);
    const status = parseJson<{ schemaVersion: number | null }>((await run('status', '--json')).stdout);
    expect(status.schemaVersion).toBe(1);
  });
});
