import * as semver from '../semver.js';
import { inputError } from '../errors.js';
import { sortReleases } from './notes.js';

/**
 * Pure answers about versions, over the release notes' metadata. A release is
 * anything with `metadata.version`, `metadata.migrations[].file` and optionally
 * `metadata.upgrade_from`; the list need not be sorted.
 */
export interface VersionedRelease {
  metadata: { version: string; upgrade_from?: string | undefined; migrations: readonly { file: string }[] };
}

function knownVersion<T extends VersionedRelease>(sorted: readonly T[], version: string, role: string): T {
  const release = sorted.find((candidate) => candidate.metadata.version === version);
  if (!release) {
    const known = sorted.map((candidate) => candidate.metadata.version).join(', ') || 'none';
    throw inputError(`There are no release notes for ${role} version ${version}.`, `Choose one of the known versions: ${known}.`);
  }
  return release;
}

/**
 * The database version: the highest release whose migrations, and those of
 * every release before it, are all applied. null when no migration is applied
 * or the first release is incomplete. A release with no migrations counts as
 * applied once everything before it is.
 */
export function databaseVersion(releases: readonly VersionedRelease[], appliedMigrationFileNames: Iterable<string>): string | null {
  const applied = new Set(appliedMigrationFileNames);
  if (applied.size === 0) return null;
  let version: string | null = null;
  for (const release of sortReleases(releases)) {
    if (!release.metadata.migrations.every((migration) => applied.has(migration.file))) break;
    version = release.metadata.version;
  }
  return version;
}

/** Applied migrations that no release names: the database is newer than these release notes. */
export function unknownMigrations(releases: readonly VersionedRelease[], appliedMigrationFileNames: Iterable<string>): string[] {
  const known = new Set(releases.flatMap((release) => release.metadata.migrations.map((migration) => migration.file)));
  return [...new Set(appliedMigrationFileNames)].filter((file) => !known.has(file)).sort();
}

/**
 * The releases an upgrade from `from` to `to` goes through: later than `from`,
 * up to and including `to`, in version order. `from` null is an empty database
 * (every release up to `to`). Empty when `to` is not later than `from`.
 * Unknown versions are input errors.
 */
export function releasesBetween<T extends VersionedRelease>(releases: readonly T[], from: string | null, to: string): T[] {
  const sorted = sortReleases(releases);
  knownVersion(sorted, to, 'the target');
  if (from !== null) knownVersion(sorted, from, 'the current');
  return sorted.filter((release) => (from === null || semver.gt(release.metadata.version, from)) && semver.lte(release.metadata.version, to));
}

/**
 * The versions to upgrade to, in order, to go from `from` to `to` without
 * skipping a required stop: the last element is always `to`. A release with
 * `upgrade_from: U` may be reached only from U or later, so a jump from below
 * U that reaches or passes that release stops at U first (like GitLab's
 * required upgrade stops); stops can chain. Empty when `to` is not later than
 * `from`. An empty database (`from` null) is a fresh install and takes no stops.
 */
export function requiredStops(releases: readonly VersionedRelease[], from: string | null, to: string): string[] {
  const sorted = sortReleases(releases);
  const path = (start: string | null, target: string): string[] => {
    const passed = releasesBetween(sorted, start, target);
    if (passed.length === 0) return [];
    if (start === null) return [target];
    // upgrade_from not earlier than its own release is invalid metadata (checkBundle reports it): ignored here.
    const stops = passed.flatMap(({ metadata }) =>
      metadata.upgrade_from !== undefined && semver.gt(metadata.upgrade_from, start) && semver.lt(metadata.upgrade_from, metadata.version)
        ? [metadata.upgrade_from]
        : [],
    );
    if (stops.length === 0) return [target];
    const first = stops.reduce((a, b) => (semver.lt(b, a) ? b : a));
    knownVersion(sorted, first, 'the upgrade_from');
    return [...path(start, first), ...path(first, target)];
  };
  return path(from, to);
}
