import * as semver from '../semver.js';
import { parseMigrationFileName } from '../migrations/discover.js';
import { compareVersions, type MigrationVersion } from '../migration-version.js';
import { versionOfFileName } from './file-name.js';
import { sortReleases, type ReleaseNotes } from './notes.js';
import { validateReleaseMetadata } from './schema.js';
import { inputError, type AstraError } from '../errors.js';

/** One thing wrong with the bundle: which file, which field of it, and what. */
export interface BundleProblem {
  /** A release notes file (its `file`), or a migration file name. */
  file: string;
  /** The field of a release notes file, e.g. `migrations[1].file`. */
  field?: string;
  /** A sentence that stands on its own after `file: `. */
  message: string;
}

export function formatProblem(problem: BundleProblem): string {
  return `${problem.file}: ${problem.message}`;
}

/**
 * Up migrations only: a `.down.sql` (or Flyway `U…__` file) belongs with its
 * up file, not to a release, and a repeatable migration (`R__`) runs after
 * every release's migrations, in none of them.
 */
function isUpMigration(name: string): boolean {
  return parseMigrationFileName(name)?.direction === 'up';
}

/**
 * Checks that a set of release notes and a migrations folder agree:
 *
 * - every release's metadata is valid and its file is named for its version;
 * - no two releases have one version;
 * - every (up) migration file belongs to exactly one release;
 * - no release names a file that is not in the folder;
 * - versions increase with migration numbers: each release holds only
 *   migrations numbered above every migration of the releases before it;
 * - `upgrade_from` names an existing, earlier version.
 *
 * Returns every problem found (an empty list when the bundle is sound).
 */
export function checkBundle(releases: readonly ReleaseNotes[], migrationFileNames: readonly string[]): BundleProblem[] {
  const problems: BundleProblem[] = [];

  // A release with invalid metadata is reported, and still takes part in the
  // other checks when its version and file names can be read: otherwise one
  // typo would also show every migration it lists as belonging to no release.
  const valid: ReleaseNotes[] = [];
  for (const release of releases) {
    const result = validateReleaseMetadata(release.metadata);
    if (!result.ok) {
      for (const issue of result.issues) problems.push({ file: release.file, ...(issue.field ? { field: issue.field } : {}), message: issue.message });
    }
    const readable = usableForCrossChecks(release);
    if (!readable) continue;
    const named = versionOfFileName(release.file);
    if (named !== release.metadata.version) {
      problems.push({ file: release.file, field: 'version', message: `version is ${release.metadata.version} but the file is named for ${named}` });
    }
    valid.push(readable);
  }

  const sorted = sortReleases(valid);
  const byVersion = new Map<string, ReleaseNotes>();
  for (const release of sorted) {
    const other = byVersion.get(release.metadata.version);
    if (other) problems.push({ file: release.file, field: 'version', message: `version ${release.metadata.version} is also the version of ${other.file}` });
    else byVersion.set(release.metadata.version, release);
  }

  problems.push(...checkOwnership(sorted, migrationFileNames));
  problems.push(...checkOrder(sorted));

  for (const release of sorted) {
    const stop = release.metadata.upgrade_from;
    if (stop !== undefined && !byVersion.has(stop)) {
      problems.push({ file: release.file, field: 'upgrade_from', message: `upgrade_from names ${stop}, which has no release notes` });
    }
  }
  return problems;
}

/**
 * Whether the release notes describe another migrations folder altogether:
 * both have migrations, and not one file the notes name is in the folder
 * (typically --migrations-dir given without its --release-notes-dir). Then
 * the per-file problems of checkBundle would be a long list saying one thing.
 */
export function describesAnotherFolder(releases: readonly ReleaseNotes[], migrationFileNames: readonly string[]): boolean {
  const onDisk = new Set(migrationFileNames.filter(isUpMigration));
  const named = releases.flatMap((release) => usableForCrossChecks(release)?.metadata.migrations.map((migration) => migration.file) ?? []);
  return onDisk.size > 0 && named.length > 0 && !named.some((file) => onDisk.has(file));
}

/** The input error for describesAnotherFolder. */
export function anotherFolderError(folders: { migrationsDir: string; releaseNotesDir: string }): AstraError {
  return inputError(
    `The release notes in ${folders.releaseNotesDir} name none of the migrations in ${folders.migrationsDir}: they describe another application's migrations.`,
    'Pass --release-notes-dir with the release notes that go with --migrations-dir (or neither, for the bundle astra ships).',
  );
}

/** The release with only what can be read of it, or undefined when even its version cannot. */
function usableForCrossChecks(release: ReleaseNotes): ReleaseNotes | undefined {
  const metadata: unknown = release.metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { version, migrations, upgrade_from: upgradeFrom } = metadata as Record<string, unknown>;
  if (typeof version !== 'string' || semver.valid(version) !== version || !Array.isArray(migrations)) return undefined;
  const readable = migrations.filter(
    (entry): entry is ReleaseNotes['metadata']['migrations'][number] => typeof (entry as { file?: unknown } | null)?.file === 'string',
  );
  return {
    ...release,
    metadata: {
      ...release.metadata,
      migrations: readable,
      upgrade_from: typeof upgradeFrom === 'string' && semver.valid(upgradeFrom) === upgradeFrom ? upgradeFrom : undefined,
    },
  };
}

function checkOwnership(releases: readonly ReleaseNotes[], migrationFileNames: readonly string[]): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const onDisk = new Set(migrationFileNames.filter(isUpMigration));
  const owners = new Map<string, string[]>();
  for (const release of releases) {
    release.metadata.migrations.forEach((migration, index) => {
      if (!onDisk.has(migration.file)) {
        problems.push({
          file: release.file,
          field: `migrations[${index}].file`,
          message: `migrations[${index}].file names ${migration.file}, which is not in the migrations folder`,
        });
        return;
      }
      const list = owners.get(migration.file) ?? [];
      if (!list.includes(release.metadata.version)) list.push(release.metadata.version);
      owners.set(migration.file, list);
    });
  }
  for (const file of [...onDisk].sort()) {
    const list = owners.get(file) ?? [];
    if (list.length === 0) {
      problems.push({ file, message: `${file} belongs to no release: list it in the migrations of the release notes of the version that ships it` });
    } else if (list.length > 1) {
      problems.push({ file, message: `${file} is listed by ${list.join(' and ')}: a migration belongs to exactly one release` });
    }
  }
  return problems;
}

function checkOrder(releases: readonly ReleaseNotes[]): BundleProblem[] {
  const problems: BundleProblem[] = [];
  let highest: { number: MigrationVersion; file: string; version: string } | undefined;
  for (const release of releases) {
    const numbered = release.metadata.migrations
      .map((migration) => ({ file: migration.file, number: parseMigrationFileName(migration.file)?.version }))
      .filter((entry): entry is { file: string; number: MigrationVersion } => entry.number !== undefined);
    if (numbered.length === 0) continue;
    const lowest = numbered.reduce((a, b) => (compareVersions(b.number, a.number) < 0 ? b : a));
    if (highest && compareVersions(lowest.number, highest.number) <= 0 && semver.gt(release.metadata.version, highest.version)) {
      problems.push({
        file: release.file,
        field: 'migrations',
        message: `${release.metadata.version} holds ${lowest.file}, but the earlier release ${highest.version} already holds ${highest.file}: each release must hold only migrations numbered above those of earlier releases`,
      });
    }
    const top = numbered.reduce((a, b) => (compareVersions(b.number, a.number) > 0 ? b : a));
    if (!highest || compareVersions(top.number, highest.number) > 0) highest = { number: top.number, file: top.file, version: release.metadata.version };
  }
  return problems;
}
