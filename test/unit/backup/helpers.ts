import type { BackupManifest } from '../../../src/backup/manifest.js';

/** A valid manifest; `overrides` replace its fields. */
export function manifestWith(overrides: Partial<BackupManifest> = {}): BackupManifest {
  return {
    manifestVersion: 1,
    id: '20261102T143015Z-a1b2c3',
    createdAt: '2026-11-02T14:30:15.123Z',
    database: { name: 'shop', host: 'db.internal', port: 5432, user: 'app' },
    serverVersion: '15.18',
    serverVersionNum: 150018,
    pgDumpVersion: '15.18',
    appVersion: '0.10.0',
    schemaVersion: 2,
    appliedMigrations: [1, 2],
    format: 'custom',
    archive: '20261102T143015Z-a1b2c3.dump',
    sizeBytes: 2048,
    sha256: 'a'.repeat(64),
    durationMs: 1200,
    tables: [{ schema: 'public', name: 'users', rows: 3, estimated: false }],
    ...overrides,
  };
}

/** What `work` throws (a test failure when it throws nothing). */
export function thrownBy(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}
