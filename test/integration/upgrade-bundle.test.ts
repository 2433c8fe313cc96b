import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { astra, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { loadReleaseNotes } from '../../src/release/notes.js';
import { parseMigrationFileName } from '../../src/migrations/discover.js';
import { parseJson, type DoctorReport, type StatusReport } from '../helpers/reports.js';

const releases = await loadReleaseNotes(join(repoRoot, 'release-notes'));
const latest = releases.at(-1)!.metadata.version;
const { version: packageVersion } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };

let db: TestDatabase;
let backupDir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-bundle-backups-'));
});
afterEach(async () => {
  await db.drop();
});

const run = (...args: string[]) => astra(['--backup-dir', backupDir, ...args], { env: { DATABASE_URL: db.url } });
const databaseVersion = async () => parseJson<StatusReport>((await run('status', '--json')).stdout).databaseVersion;

describe('upgrading with the shipped bundle', () => {
  it('the newest release is the package version', () => {
    expect(latest).toBe(packageVersion);
  });

  it('takes an empty database to the package version, and doctor passes', async () => {
    const result = await run('upgrade', '--yes', '--allow-breaking');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`to ${packageVersion}`);
    expect(await databaseVersion()).toBe(packageVersion);
    const doctor = await run('doctor', '--json');
    expect(doctor.exitCode, doctor.stdout).toBe(0);
    expect(parseJson<DoctorReport>(doctor.stdout).ok).toBe(true);
  });

  it.each(releases.slice(0, -1).map((release) => release.metadata.version))(
    'takes a database at %s to the package version, through the required stops',
    async (from) => {
      const release = releases.find((candidate) => candidate.metadata.version === from)!;
      const lastMigration = parseMigrationFileName(release.metadata.migrations.at(-1)!.file)!.version;
      expect((await run('migrate', 'up', '--to', String(lastMigration))).exitCode).toBe(0);
      expect(await databaseVersion()).toBe(from);

      const stop = releases.find((candidate) => candidate.metadata.upgrade_from && semver.lt(from, candidate.metadata.upgrade_from))?.metadata.upgrade_from;
      if (stop) {
        const refused = await run('upgrade', '--yes', '--allow-breaking');
        expect(refused.exitCode).toBe(1);
        expect(refused.stderr).toContain(`astra upgrade --to ${stop}, then astra upgrade --to ${latest}`);
        const toStop = await run('upgrade', '--to', stop, '--yes', '--allow-breaking');
        expect(toStop.exitCode, toStop.stderr).toBe(0);
        expect(await databaseVersion()).toBe(stop);
      }
      const result = await run('upgrade', '--yes', '--allow-breaking');
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await databaseVersion()).toBe(latest);
    },
  );
});
