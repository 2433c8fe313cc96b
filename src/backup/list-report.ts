import { join } from 'node:path';
import type { MigrationVersion } from '../migration-version.js';
import type { Context } from '../engine/context.js';
import { inputError } from '../errors.js';
import { listBackups } from './folder.js';
import type { BackupFormat, BackupManifest } from './manifest.js';

/** One backup as `backup list --json` and the library's `backup.list()` report it. */
export interface BackupListEntry {
  id: string;
  createdAt: string;
  database: BackupManifest['database'];
  schemaVersion: MigrationVersion | null;
  appVersion: string;
  format: BackupFormat;
  archive: string;
  sizeBytes: number;
  /** The last verification passed (true), failed (false), or none was made (null). */
  verified: boolean | null;
  verification: BackupManifest['verification'] | null;
  /** Migrations that were unfinished (dirty) when it was taken. */
  unfinishedMigrations?: MigrationVersion[];
  fromVersion?: string;
  toVersion?: string;
}

export interface BackupListReport {
  backupDir: string;
  /** Newest first. */
  backups: BackupListEntry[];
}

/** The backups of the context's backup folder, newest first; a manifest that cannot be read is left out with a warning. */
export async function backupListReport(context: Pick<Context, 'backupDir' | 'log'>): Promise<{ report: BackupListReport; manifests: BackupManifest[] }> {
  const { manifests, unreadable } = await listBackups(context.backupDir);
  for (const entry of unreadable) context.log.warn(`${join(context.backupDir, entry.file)} is not a readable manifest (${entry.problem}); it is left out.`);
  const backups = manifests.map((manifest): BackupListEntry => ({
    id: manifest.id,
    createdAt: manifest.createdAt,
    database: manifest.database,
    schemaVersion: manifest.schemaVersion,
    appVersion: manifest.appVersion,
    format: manifest.format,
    archive: manifest.archive,
    sizeBytes: manifest.sizeBytes,
    verified: manifest.verification ? manifest.verification.ok : null,
    verification: manifest.verification ?? null,
    ...(manifest.unfinishedMigrations !== undefined ? { unfinishedMigrations: manifest.unfinishedMigrations } : {}),
    ...(manifest.fromVersion !== undefined ? { fromVersion: manifest.fromVersion } : {}),
    ...(manifest.toVersion !== undefined ? { toVersion: manifest.toVersion } : {}),
  }));
  return { report: { backupDir: context.backupDir, backups }, manifests };
}

/**
 * The archive format of a new backup: custom (one file) unless jobs are asked
 * for, which need the directory format. `names` are what the caller calls the
 * two settings (flags for the CLI, options for the library).
 */
export function chooseBackupFormat(
  wanted: { format?: string | undefined; jobs?: number | undefined },
  names: { format: string; jobs: string },
): { format: BackupFormat; jobs?: number } {
  const { jobs } = wanted;
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1))
    throw inputError(`${names.jobs} must be 1 or more.`, `Give ${names.jobs} a number such as 2.`);
  const format = wanted.format ?? (jobs !== undefined ? 'directory' : 'custom');
  if (format !== 'custom' && format !== 'directory') {
    throw inputError(
      `${names.format} ${format}: astra writes custom or directory archives.`,
      `Use ${names.format} custom (the default) or ${names.format} directory.`,
    );
  }
  if (format === 'custom' && jobs !== undefined && jobs > 1) {
    throw inputError(
      `${names.jobs} needs the directory format: pg_dump writes a custom archive with one job.`,
      `Drop ${names.format} custom, or drop ${names.jobs}.`,
    );
  }
  return { format, ...(jobs !== undefined ? { jobs } : {}) };
}
