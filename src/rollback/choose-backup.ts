import type { Context } from '../engine/context.js';
import { inputError, operationError } from '../errors.js';
import { loadReleaseNotes } from '../release/notes.js';
import { listBackups, readBackup } from '../backup/folder.js';
import type { BackupManifest } from '../backup/manifest.js';
import { backupHoldsMigrations, backupsOfRelease, migrationVersionsOfRelease } from './release-backups.js';

export interface BackupChoice {
  /** The application release to go back to. */
  to?: string;
  /** A backup chosen by id. */
  backupId?: string;
  /** The database being rolled back. */
  database: string;
}

/**
 * The backups a rollback may restore, in the order to try them: `backupId`
 * alone when given (checked against `to` when both are), else every backup of
 * `database` whose applied migrations are exactly those of the releases up to
 * `to`, newest first. Only the first is restored; when it fails
 * verification, the first of the others that passes is named to the operator
 * (`firstVerifiedBackup`).
 */
export async function rollbackCandidates(context: Context, choice: BackupChoice): Promise<BackupManifest[]> {
  if (choice.to === undefined && choice.backupId === undefined) {
    throw inputError(
      'Say what to roll back to: --to <version> (an application release) or --backup <id>.',
      'Run astra backup list to see the backups and their schema versions.',
    );
  }
  const dir = context.backupDir;
  const releases = choice.to === undefined ? [] : await loadReleaseNotes(context.releaseNotesDir, context.versions);
  const versions = choice.to === undefined ? undefined : migrationVersionsOfRelease(releases, choice.to);
  const last = versions?.at(-1) ?? null;
  if (choice.backupId !== undefined) {
    const manifest = await readBackup(dir, choice.backupId);
    if (versions && !backupHoldsMigrations(manifest, versions)) {
      throw inputError(
        `Backup ${manifest.id} was taken at schema version ${manifest.schemaVersion ?? 'none'}, not at release ${choice.to} (migrations up to ${last ?? 'none'}).`,
        'Drop --to to restore that backup anyway, or drop --backup to take the newest backup of that release.',
      );
    }
    return [manifest];
  }
  const to = choice.to as string;
  const { manifests } = await listBackups(dir);
  const ofRelease = backupsOfRelease(manifests, releases, to, choice.database);
  if (ofRelease.length === 0) {
    const ofDatabase = manifests.filter((manifest) => manifest.database.name === choice.database);
    throw operationError(
      `There is no backup of ${choice.database} taken at release ${to} (migrations up to ${last ?? 'none'}) in ${dir}; nothing was changed.`,
      ofDatabase.length > 0
        ? `The backups of ${choice.database} there are at schema versions ${[...new Set(ofDatabase.map((manifest) => manifest.schemaVersion ?? 'none'))].join(', ')}: pick one with --backup <id> (astra backup list).`
        : `There is no backup of ${choice.database} there at all: check --backup-dir.`,
    );
  }
  return ofRelease;
}

export interface VerifiedChoice {
  /** The first candidate that passed; undefined when none did. */
  chosen: BackupManifest | undefined;
  /** The candidates tried before it, each with what failed. */
  rejected: { manifest: BackupManifest; problems: string[] }[];
}

/**
 * Tries `candidates` in order with `verify` (which returns the failed checks,
 * empty when the backup passes) and stops at the first that passes.
 */
export async function firstVerifiedBackup(
  candidates: readonly BackupManifest[],
  verify: (manifest: BackupManifest) => Promise<string[]>,
): Promise<VerifiedChoice> {
  const rejected: VerifiedChoice['rejected'] = [];
  for (const manifest of candidates) {
    const problems = await verify(manifest);
    if (problems.length === 0) return { chosen: manifest, rejected };
    rejected.push({ manifest, problems });
  }
  return { chosen: undefined, rejected };
}
