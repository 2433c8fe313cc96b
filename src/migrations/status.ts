import { existsSync } from 'node:fs';
import type { MigrationVersion } from '../migration-version.js';
import { Ledger } from '../db/ledger.js';
import type { Context } from '../engine/context.js';
import { withDatabaseWhile } from '../engine/run-lock.js';
import type { ReleaseNotes } from '../release/notes.js';
import { databaseVersion } from '../release/versions.js';
import { astraVersion } from '../version.js';
import { readMigrationFiles, readRepeatableFiles } from './load.js';
import { RepeatableLedger, type RepeatableRow } from '../db/repeatable-ledger.js';
import { migrationStatuses, type MigrationStatus } from './plan.js';

export interface StatusReport {
  database: string;
  applicationVersion: string;
  /** The highest release whose migrations are all applied; null when none is, or without release notes. */
  databaseVersion: string | null;
  /** Highest applied migration version, or null when none is. */
  schemaVersion: MigrationVersion | null;
  migrationsDir: string;
  applied: number;
  pending: number;
  dirty: number;
  migrations: (Omit<MigrationStatus, 'appliedAt'> & { appliedAt: string | null })[];
  /**
   * Repeatable migrations (Flyway's R__ files), by description: `applied` as
   * the file is, `changed` (applied, then the file changed: the next
   * `migrate up` runs it again) or `pending`; absent when the folder has none
   * and none is recorded.
   */
  repeatables?: { name: string; file: string; state: 'applied' | 'changed' | 'pending' | 'no file'; appliedAt: string | null }[];
}

/** `astra status` and the library's `status()`: application version, database version, applied and pending migrations. Changes nothing. */
export async function statusReport(context: Context): Promise<StatusReport> {
  // Without a release notes folder there is no release to name; invalid notes are an input error, met after the database's.
  let reading: Promise<ReleaseNotes[]> = Promise.resolve([]);
  // The connection opens while the release notes (their code too) and the files are read.
  const files = async () => {
    if (existsSync(context.releaseNotesDir)) {
      reading = import('../release/notes.js').then(({ loadReleaseNotes }) => loadReleaseNotes(context.releaseNotesDir, context.versions));
      reading.catch(() => {});
    }
    return { migrations: await readMigrationFiles(context.migrationsDir, context.versions), repeatables: readRepeatableFiles(context.migrationsDir) };
  };
  const { statuses, label, recorded: repeatableRows, repeatables } = await withDatabaseWhile(context, files, async (db, { migrations, repeatables }) => {
    const ledger = await Ledger.open(db, { create: false });
    const statuses = migrationStatuses(migrations, await ledger.rows());
    return { statuses, label: db.target.label, recorded: await (await RepeatableLedger.open(db, ledger)).rows(), repeatables };
  });
  const releases = await reading;
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
  if (repeatables.length > 0 || repeatableRows.length > 0) report.repeatables = repeatableStatuses(repeatables, repeatableRows);
  return report;
}

function repeatableStatuses(files: { name: string; file: string; checksum: string }[], rows: RepeatableRow[]): NonNullable<StatusReport['repeatables']> {
  const byName = new Map(rows.map((row) => [row.name, row]));
  const statuses: NonNullable<StatusReport['repeatables']> = files.map((file) => {
    const row = byName.get(file.name);
    return {
      name: file.name,
      file: file.file,
      state: !row ? 'pending' : row.checksum === file.checksum ? 'applied' : 'changed',
      appliedAt: row ? row.appliedAt.toISOString() : null,
    };
  });
  const known = new Set(files.map((file) => file.name));
  for (const row of rows) if (!known.has(row.name)) statuses.push({ name: row.name, file: row.file, state: 'no file', appliedAt: row.appliedAt.toISOString() });
  return statuses;
}

