import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { astra, fixturesDir } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';
import {
  parseJson,
  readJson,
  type BackupCreateReport,
  type BackupListReport,
  type BackupManifest,
  type BackupPruneReport,
  type BackupVerifyReport,
} from '../helpers/reports.js';

const fixture = join(fixturesDir, 'backup-releases');
let db: TestDatabase;
let backupDir: string;

const run = (...args: string[]) =>
  astra(['--migrations-dir', join(fixture, 'migrations'), '--backup-dir', backupDir, ...args], { env: { DATABASE_URL: db.url } });

async function createBackup(): Promise<{ id: string; archive: string }> {
  const result = await run('backup', 'create', '--json');
  expect(result.exitCode).toBe(0);
  return parseJson<BackupCreateReport>(result.stdout).backup;
}

const manifestOf = (id: string) => readJson<BackupManifest>(join(backupDir, `${id}.json`));

/** Damages an archive: cut to half its size, or one byte in its middle inverted. */
function damage(path: string, how: 'truncated' | 'byte-flipped'): void {
  const size = statSync(path).size;
  if (how === 'truncated') {
    truncateSync(path, Math.floor(size / 2));
  } else {
    const bytes = readFileSync(path);
    const middle = Math.floor(size / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
  }
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await db.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'astra\\_verify\\_%'");
  return rows.map((row) => row.datname);
}

beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-verify-'));
  expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
  await db.query("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 200) g");
  await db.query("INSERT INTO notes (account_id, body) SELECT g, 'note ' || g FROM generate_series(1, 50) g");
});
afterEach(async () => {
  await db.drop();
  rmSync(backupDir, { recursive: true, force: true });
});

describe('astra backup verify', () => {
  it('passes a sound backup and records it in the manifest', async () => {
    const { id } = await createBackup();
    const result = await run('backup', 'verify', id, '--json');
    expect(result.exitCode).toBe(0);
    const report = parseJson<BackupVerifyReport>(result.stdout);
    expect(report).toMatchObject({ ok: true, id, deep: false });
    expect(report.checks.map((check) => `${check.check} ${check.status}`)).toEqual(['checksum ok', 'archive ok']);
    expect(manifestOf(id).verification).toMatchObject({ ok: true, deep: false, failedChecks: [] });
    const listed = parseJson<BackupListReport>((await run('backup', 'list', '--json')).stdout);
    expect(listed.backups[0]!.verified).toBe(true);
  });

  it('--deep restores into a scratch database, compares row counts, and drops it', async () => {
    const { id } = await createBackup();
    const result = await run('backup', 'verify', id, '--deep');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('row-counts 3 table(s) hold the recorded rows');
    expect(result.stderr).toMatch(/scratch database astra_verify_[0-9a-f]{12}/);
    expect(await scratchDatabases()).toEqual([]);
    expect(manifestOf(id).verification).toMatchObject({ ok: true, deep: true });
  });

  it.each(['truncated', 'byte-flipped'] as const)('fails a %s archive, exit 1, naming the check', async (how) => {
    const { id, archive } = await createBackup();
    damage(join(backupDir, archive), how);
    const result = await run('backup', 'verify', id);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Backup ${id} failed verification: checksum check failed`);
    expect(result.stdout).toContain('✖ checksum');
    expect(manifestOf(id).verification).toMatchObject({ ok: false, failedChecks: match.arrayContaining(['checksum']) });
    const json = await run('backup', 'verify', id, '--json');
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      id,
      checks: match.arrayContaining([{ check: 'checksum', status: 'fail', detail: match.any(String) }]),
      error: { exitCode: 1 },
    });
  });

  it('fails an archive cut inside its table of contents at pg_restore --list too, and --deep restores nothing', async () => {
    const { id, archive } = await createBackup();
    truncateSync(join(backupDir, archive), 64);
    const result = await run('backup', 'verify', id, '--deep', '--json');
    expect(result.exitCode).toBe(1);
    expect(parseJson<BackupVerifyReport>(result.stdout).error?.message).toMatch(/checksum check failed .*; archive check failed \(pg_restore --list failed/);
    expect(await scratchDatabases()).toEqual([]);
  });

  it.each([
    ['an id that is not there', '20200101T000000Z-000000'],
    ['text that is no id', '../../etc/passwd'],
  ])('exits 2 for %s', async (_, id) => {
    await createBackup();
    const result = await run('backup', 'verify', id);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('astra backup list');
  });
});

describe('astra backup prune', () => {
  it('keeps the newest N backups and deletes the others, archives and manifests', async () => {
    const ids = [];
    for (let index = 0; index < 3; index += 1) ids.push((await createBackup()).id);
    const result = await run('backup', 'prune', '--keep', '1', '--json');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, kept: [ids[2]] });
    expect(readdirSync(backupDir).sort()).toEqual([`${ids[2]}.dump`, `${ids[2]}.json`]);
  });

  it('refuses --keep 0 as bad input and deletes nothing', async () => {
    const { id } = await createBackup();
    const result = await run('backup', 'prune', '--keep', '0');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('at least one backup must be kept');
    expect(readdirSync(backupDir).sort()).toEqual([`${id}.dump`, `${id}.json`]);
  });
});

describe('a manifest whose archive leaves the backup folder', () => {
  it('is reported as invalid, and neither pruned (deleting outside the folder) nor restored', async () => {
    const older = await createBackup();
    await createBackup();
    // A file beside the backup folder stands for what "../.." would reach.
    const outside = join(backupDir, '..', `keep-me-${older.id}`);
    writeFileSync(outside, 'not a backup\n');
    const manifestPath = join(backupDir, `${older.id}.json`);
    writeFileSync(manifestPath, JSON.stringify({ ...manifestOf(older.id), archive: `../keep-me-${older.id}` }));
    try {
      const pruned = await run('backup', 'prune', '--keep', '1', '--json');
      expect(pruned.exitCode).toBe(0);
      expect(parseJson<BackupPruneReport>(pruned.stdout).removed).toEqual([]);
      expect(readFileSync(outside, 'utf8')).toBe('not a backup\n');
      expect(readdirSync(backupDir)).toContain(`${older.id}.json`);
      const listed = await run('backup', 'list');
      expect(listed.stderr).toContain(`${older.id}.json is not a readable manifest (archive: must be the backup id followed by .dump`);
      const restored = await run('rollback', '--backup', older.id);
      expect(restored.exitCode).toBe(1);
      expect(restored.stderr).toContain(`The manifest of backup ${older.id}`);
      expect(readFileSync(outside, 'utf8')).toBe('not a backup\n');
    } finally {
      rmSync(outside, { force: true });
    }
  });
});
