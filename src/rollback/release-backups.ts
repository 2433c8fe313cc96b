import * as semver from '../semver.js';
import { type MigrationVersion, compareVersions } from '../migration-version.js';
import { inputError } from '../errors.js';
import { parseMigrationFileName } from '../migrations/discover.js';
import type { VersionedRelease } from '../release/versions.js';
import type { BackupManifest } from '../backup/manifest.js';

/** The migration versions a database at release `version` has applied: those of every release up to it. */
export function migrationVersionsOfRelease(releases: readonly VersionedRelease[], version: string): MigrationVersion[] {
  if (!releases.some((release) => release.metadata.version === version)) {
    const known =
      releases
        .map((release) => release.metadata.version)
        .sort(semver.compare)
        .join(', ') || 'none';
    throw inputError(`There are no release notes for version ${version}.`, `Choose one of the known versions: ${known}.`);
  }
  const versions = releases
    .filter((release) => semver.lte(release.metadata.version, version))
    .flatMap((release) => release.metadata.migrations.map((migration) => parseMigrationFileName(migration.file)?.version))
    .filter((number): number is MigrationVersion => number !== undefined);
  return [...new Set(versions)].sort(compareVersions);
}

/** Whether a backup holds exactly the migrations `versions`: it was taken of a database at that release. */
export function backupHoldsMigrations(manifest: Pick<BackupManifest, 'appliedMigrations'>, versions: readonly MigrationVersion[]): boolean {
  const applied = [...new Set(manifest.appliedMigrations)].sort(compareVersions);
  return applied.length === versions.length && applied.every((version, index) => version === versions[index]);
}

/** The backups of `database` taken at release `version`, newest first (`manifests` are newest first). */
export function backupsOfRelease(
  manifests: readonly BackupManifest[],
  releases: readonly VersionedRelease[],
  version: string,
  database: string,
): BackupManifest[] {
  const versions = migrationVersionsOfRelease(releases, version);
  return manifests.filter((manifest) => manifest.database.name === database && backupHoldsMigrations(manifest, versions));
}
