import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { astra, fixturesDir } from '../helpers/cli.js';
import { entry } from '../helpers/doctor-report.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';
import { parseJson, type BackupCreateReport } from '../helpers/reports.js';

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

describe('client-tools', () => {
  it('fails when --pg-bin-dir holds no pg_dump or pg_restore, and honours ASTRA_PG_BIN_DIR the same way', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'astra-empty-bin-'));
    const major = inject('postgres').major;
    const expected = {
      status: 'fail',
      detail:
        `No pg_dump was found in ${empty}; astra needs pg_dump ${major} or newer for this PostgreSQL ${major} server. ` +
        `No pg_restore was found in ${empty}; astra needs pg_restore ${major} or newer for this PostgreSQL ${major} server. Without them astra can neither back up nor restore.`,
      fix: `Install it: apt-get install postgresql-client-${major} (or the PostgreSQL ${major} client for your system), or fix --pg-bin-dir.`,
    };
    const flag = await cli(['doctor', '--pg-bin-dir', empty]);
    expect(flag.exitCode).toBe(1);
    expect(entry(flag.stdout, 'pg_dump and pg_restore')).toEqual(expected);
    expect(flag.stderr).toContain('client-tools');

    const env = await cli(['doctor'], { ASTRA_PG_BIN_DIR: empty });
    expect(env.exitCode).toBe(1);
    expect(entry(env.stdout, 'pg_dump and pg_restore')).toEqual(expected);
  });
});

describe('backups', () => {
  it('warns that there is no backup, with the command that takes one', async () => {
    const result = await cli(['doctor']);
    expect(entry(result.stdout, 'Backups')).toEqual({
      status: 'warn',
      detail: `no backup of database "${db.name}" in ${backupDir}`,
      fix: `Take one: astra backup create, then astra backup verify <id> (keep --backup-dir pointing at ${backupDir}).`,
    });
  });

  it('warns while the newest backup is unverified, and passes once it is verified', async () => {
    const created = await cli(['backup', 'create', '--json']);
    expect(created.exitCode, created.stderr).toBe(0);
    const id = parseJson<BackupCreateReport>(created.stdout).backup.id;

    const unverified = await cli(['doctor']);
    expect(entry(unverified.stdout, 'Backups')).toMatchObject({
      status: 'warn',
      detail: match.stringContaining(`1 backup(s) of "${db.name}" but none verified: the newest, ${id}, is `),
      fix: `Verify it with astra backup verify ${id}, or take a new one: astra backup create.`,
    });

    expect((await cli(['backup', 'verify', id])).exitCode).toBe(0);
    const verified = await cli(['doctor']);
    expect(entry(verified.stdout, 'Backups')).toMatchObject({
      status: 'ok',
      detail: match.stringMatching(new RegExp(`^newest verified backup ${id}, .+ old$`)),
    });
  });
});
