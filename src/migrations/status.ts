import { existsSync } from 'node:fs';
import { Ledger } from '../db/ledger.js';
import type { Context } from '../engine/context.js';
import { withDatabase } from '../engine/run-lock.js';
import { loadReleaseNotes } from '../release/notes.js';
import { databaseVersion } from '../release/versions.js';
import { astraVersion } from '../version.js';
import { readMigrationFiles } from './load.js';
import { migrationStatuses, type MigrationStatus } from './plan.js';

export interface StatusReport {
  database: string;
  applicationVersion: string;
  /** The highest release whose migrations are all applied; null when none is, or without release notes. */
  databaseVersion: string | null;
  /** Highest applied migration version, or null when none is. */
  schemaVersion: number | null;
  migrationsDir: string;
  applied: number;
  pending: number;
  dirty: number;
  migrations: (Omit<MigrationStatus, 'appliedAt'> & { appliedAt: string | null })[];
}

/** `astra status` and the library's `status()`: application version, database version, applied and pending migrations. Changes nothing. */
export async function statusReport(context: Context): Promise<StatusReport> {
  const migrations = readMigrationFiles(context.migrationsDir, context.versions);
  const { statuses, label } = await withDatabase(context, async (db) => {
    const ledger = await Ledger.open(db, { create: false });
    return { statuses: migrationStatuses(migrations, await ledger.rows()), label: db.target.label };
  });
  // Without a release notes folder there is no release to name; invalid notes are an input error.
  const releases = existsSync(context.releaseNotesDir) ? await loadReleaseNotes(context.releaseNotesDir, context.versions) : [];
  const appliedFiles = statuses.filter((entry) => entry.state === 'applied' && entry.file).map((entry) => entry.file!);
  const count = (state: MigrationStatus['state']) => statuses.filter((entry) => entry.state === state).length;
  const recorded = statuses.filter((entry) => entry.state !== 'pending');
  const report: StatusReport = {
    database: label,
    applicationVersion: astraVersion,
    databaseVersion: databaseVersion(releases, appliedFiles),
    schemaVersion: recorded.at(-1)?.version ?? null,
    migrationsDir: context.migrationsDir,
    applied: count('applied'),
    pending: count('pending'),
    dirty: count('dirty'),
    migrations: statuses.map((entry) => ({ ...entry, appliedAt: entry.appliedAt ? entry.appliedAt.toISOString() : null })),
  };
  return report;
}

