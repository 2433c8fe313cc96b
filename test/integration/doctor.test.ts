import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { astra, fixturesDir } from '../helpers/cli.js';
import { entry } from '../helpers/doctor-report.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';
import { parseJson, type DoctorReport } from '../helpers/reports.js';

let db: TestDatabase;
let backupDir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-doctor-backups-'));
});
afterEach(async () => {
  await db.drop();
});

const appDir = join(fixturesDir, 'doctor-app');
/** Runs astra on the test database; `shipped` uses the migrations of the package instead of the fixture. */
const cli = (args: string[], migrations: 'fixture' | 'shipped' = 'fixture') =>
  astra([...(migrations === 'fixture' ? ['--migrations-dir', appDir] : []), '--backup-dir', backupDir, ...args], { env: { DATABASE_URL: db.url } });

describe('astra doctor on a healthy database', () => {
  it('passes every check but the expected pgvector and backup warnings, grouped by area, without colour when not a terminal', async () => {
    expect((await cli(['migrate', 'up'])).exitCode).toBe(0);
    const result = await cli(['doctor']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stdout).toMatch(/^Health of .*\n\nDatabase\n/);
    for (const title of [
      'Connection',
      'Server version',
      'Privileges',
      'Connections',
      'Sessions',
      'Migrations',
      'Schema drift',
      'Invalid indexes',
      'pg_dump and pg_restore',
      'Room for a backup',
    ]) {
      expect(entry(result.stdout, title).status, title).toBe('ok');
    }
    expect(entry(result.stdout, 'Migrations').detail).toBe('3 applied, none pending (newest 3)');
    // Dropped and renamed objects (000003) are not expected; what the migrations left is all there.
    expect(entry(result.stdout, 'Schema drift').detail).toBe('2 tables, 8 columns and 2 indexes made by the applied migrations are in place');
    expect(entry(result.stdout, 'Extensions')).toMatchObject({
      status: 'warn',
      detail: 'pgvector is not available on this server: semantic memory is disabled',
    });
    expect(entry(result.stdout, 'Backups')).toMatchObject({ status: 'warn', fix: match.stringContaining('astra backup create') });
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('10 ok, 2 warnings, 0 failures');
  });

  it('prints the report as the one JSON document on stdout with --json', async () => {
    expect((await cli(['migrate', 'up'])).exitCode).toBe(0);
    const result = await cli(['doctor', '--json']);
    expect(result.exitCode).toBe(0);
    const report = parseJson<DoctorReport>(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.summary).toEqual({ ok: 10, warn: 2, fail: 0 });
    expect(report.checks.map((check) => check.id)).toEqual([
      'connection',
      'server-version',
      'privileges',
      'connections',
      'sessions',
      'extensions',
      'migrations',
      'schema-drift',
      'invalid-indexes',
      'client-tools',
      'backup-room',
      'backups',
    ]);
    for (const check of report.checks) expect(Object.keys(check)).toEqual(['id', 'title', 'area', 'status', 'detail', 'fix']);
    expect(report.checks.find((check) => check.id === 'extensions')).toMatchObject({ status: 'warn', fix: match.any(String) });
    expect(report.checks.find((check) => check.id === 'connection')).toMatchObject({ status: 'ok', fix: null });
  });

  it('--strict fails on warnings, naming them in one line after the report', async () => {
    expect((await cli(['migrate', 'up'])).exitCode).toBe(0);
    const result = await cli(['doctor', '--strict']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('10 ok, 2 warnings, 0 failures');
    expect(result.stderr).toContain('error: doctor: 2 checks warned (--strict): extensions, backups');
  });

  it('warns about pending migrations, exit 0', async () => {
    expect((await cli(['migrate', 'up', '--to', '2'])).exitCode).toBe(0);
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(0);
    expect(entry(result.stdout, 'Migrations')).toEqual({
      status: 'warn',
      detail: '1 pending: 3 (000003_tidy.up.sql)',
      fix: 'Apply them with astra upgrade (backup first) or astra migrate up.',
    });
  });

  it('passes on a database upgraded with the migrations shipped in the package', async () => {
    const migrated = await cli(['migrate', 'up'], 'shipped');
    expect(migrated.exitCode, migrated.stderr).toBe(0);
    const result = await cli(['doctor'], 'shipped');
    expect(result.exitCode, result.stdout).toBe(0);
    expect(entry(result.stdout, 'Migrations').status).toBe('ok');
    expect(entry(result.stdout, 'Schema drift')).toMatchObject({
      status: 'ok',
      detail: match.stringMatching(/^\d+ tables, \d+ columns and \d+ indexes made by the applied migrations are in place$/),
    });
    expect(entry(result.stdout, 'Invalid indexes').status).toBe('ok');
    expect(entry(result.stdout, 'Migrations').detail).toMatch(/^\d+ applied, none pending \(newest \d+\)$/);
    expect(result.stdout).toMatch(/\n10 ok, 2 warnings, 0 failures$/);
  });

  it('with a failure and --json, prints the report as the only JSON document and exits 1', async () => {
    expect((await cli(['migrate', 'up'])).exitCode).toBe(0);
    await db.query('DROP INDEX orders_account_id_idx');
    const result = await cli(['doctor', '--json']);
    expect(result.exitCode).toBe(1);
    const report = parseJson<DoctorReport>(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.id === 'schema-drift')!.status).toBe('fail');
    expect(result.stderr).toContain('doctor: 1 check failed: schema-drift');
  });
});
