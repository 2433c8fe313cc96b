import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { astra, fixturesDir } from '../helpers/cli.js';
import { entry } from '../helpers/doctor-report.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';
import { parseJson, type BackupListReport } from '../helpers/reports.js';

/**
 * A backup folder on a small disk: a tmpfs of a few megabytes, mounted for
 * the test. Mounting needs root (CI runs as root); elsewhere these tests are
 * skipped, and say so.
 */
const isRoot = process.getuid?.() === 0;

let db: TestDatabase;
let work: string;
let mounts: string[] = [];

async function smallDisk(name: string, size: string): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

beforeEach(async () => {
  db = await createTestDatabase();
  work = mkdtempSync(join(tmpdir(), 'astra-disk-'));
  // Rows that do not compress away: the archive needs more room than the small disk has.
  await db.query('CREATE TABLE payload (id bigserial PRIMARY KEY, body text NOT NULL)');
  await db.query(
    "INSERT INTO payload (body) SELECT string_agg(md5(g::text || '-' || i::text), '') FROM generate_series(1, 4000) g, generate_series(1, 40) i GROUP BY g",
  );
});
afterEach(async () => {
  await db.drop();
  // Lazy: a mount still busy is detached now and freed when its last user goes.
  for (const dir of mounts) await execa('umount', ['--lazy', dir], { reject: false });
  mounts = [];
  rmSync(work, { recursive: true, force: true });
});

const cli = (backupDir: string, args: string[]) =>
  astra(['--migrations-dir', join(fixturesDir, 'doctor-app'), '--backup-dir', backupDir, ...args], { env: { DATABASE_URL: db.url } });

describe.runIf(isRoot)('a backup folder on a disk too small for the backup', () => {
  it('backup create fails with the cause, exit 1, and leaves nothing behind that lists or takes room', async () => {
    const disk = await smallDisk('tiny', '1m');
    const result = await cli(disk, ['backup', 'create']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/No space left on device/i);
    expect(readdirSync(disk)).toEqual([]);
    const listed = await cli(disk, ['backup', 'list', '--json']);
    expect(parseJson<BackupListReport>(listed.stdout).backups).toEqual([]);
  });

  it('doctor fails the room check, naming the folder and the sizes', async () => {
    const disk = await smallDisk('tiny', '1m');
    const result = await cli(disk, ['doctor']);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Room for a backup')).toMatchObject({
      status: 'fail',
      detail: match.stringMatching(new RegExp(`^database [\\d.]+ MB, [\\d.]+ (KB|MB) free for backups in ${disk}: less than 1.2× the database`)),
      fix: match.stringContaining('astra backup prune'),
    });
  });

  it('upgrade stops at the preflight, before any change', async () => {
    const disk = await smallDisk('tiny', '1m');
    const app = join(fixturesDir, 'upgrade-app');
    const result = await astra(
      ['--migrations-dir', join(app, 'migrations'), '--release-notes-dir', join(app, 'release-notes'), '--backup-dir', disk, 'upgrade', '--yes'],
      {
        env: { DATABASE_URL: db.url },
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr + result.stdout).toContain('room for the backup');
    expect(await ledgerVersions(db).catch(() => [])).toEqual([]);
    expect(readdirSync(disk)).toEqual([]);
  });
});

describe.skipIf(isRoot)('a backup folder on a small disk', () => {
  it.skip('needs root to mount a small tmpfs; run the tests as root (as CI does) to exercise it', () => {});
});
