import * as semver from '../semver.js';
import { type MigrationVersion, byVersion } from '../migration-version.js';
import type { LedgerRow } from '../db/ledger.js';
import { inputError, operationError } from '../errors.js';
import type { Migration } from '../migrations/load.js';
import { migrationStatuses, refuseLedgerHoles } from '../migrations/plan.js';
import { sortReleases, type ReleaseNotes } from '../release/notes.js';
import { databaseVersion, releasesBetween, requiredStops, unknownMigrations } from '../release/versions.js';
import { tablesTouched } from './tables.js';

export interface PlannedMigration {
  version: MigrationVersion;
  file: string;
  name: string;
  release: string;
  safety: 'safe' | 'breaking';
  reason: string | null;
  /** Statements that run outside a transaction (index builds...), by kind. */
  outsideTransaction: string[];
  tables: string[];
}

export interface PlannedRelease {
  version: string;
  date: string;
  stopApplication: boolean;
  upgradeFrom: string | null;
  migrations: PlannedMigration[];
}

export interface UpgradePlan {
  /** The database version now: the highest release fully applied, null for an empty database. */
  from: string | null;
  /**
   * A fresh install: astra's ledger records nothing, applied or unfinished.
   * Not the same as `from` null, which a database with part of its first
   * release applied also has: that one may hold data a breaking migration breaks.
   */
  fresh: boolean;
  to: string;
  releases: PlannedRelease[];
  /** Migrations to apply, in order (including ones of releases the database has partly applied). */
  pending: PlannedMigration[];
  breaking: PlannedMigration[];
  stopApplication: boolean;
  /** Tables the pending migrations change that exist before the upgrade. */
  tables: string[];
  /**
   * A dry run's target behind required upgrade stops: every step of the path,
   * one per stop, the first being this plan. Absent when one step reaches it.
   */
  steps?: UpgradePlan[];
  /**
   * Seed catalogs (sync) that would delete rows, as read before the upgrade:
   * breaking like a breaking migration. Absent when the database declares no
   * catalogs.
   */
  catalogDeletions?: { catalog: string; table: string; rows: number }[];
}

export interface PlanInput {
  releases: ReleaseNotes[];
  migrations: Migration[];
  ledger: LedgerRow[];
  packageVersion: string;
  /** --to; when not given, the newest release (for the shipped bundle, the package's version). */
  target?: string;
  /**
   * A target behind required upgrade stops is planned as a path, one step per
   * stop (each step's plan in `steps`), instead of refused. For the dry run
   * and the checklist: the upgrade itself still refuses the jump.
   */
  path?: boolean;
}

/**
 * The path over required upgrade stops: each step planned on the ledger as the
 * steps before it leave it. The first step's plan, with every step in `steps`.
 */
function planUpgradePath(input: PlanInput, stops: string[]): UpgradePlan {
  const steps: UpgradePlan[] = [];
  let ledger = input.ledger;
  const byFile = new Map(input.migrations.map((migration) => [migration.file, migration]));
  for (const stop of stops) {
    const step = planUpgrade({ ...input, ledger, target: stop, path: false });
    steps.push(step);
    // As the step would leave the ledger: each of its migrations applied, with the file's checksum.
    ledger = [
      ...ledger,
      ...step.pending.map((pending) => ({
        version: pending.version,
        name: pending.name,
        checksum: byFile.get(pending.file)!.checksum,
        appliedAt: new Date(0),
        durationMs: 0,
        astraVersion: input.packageVersion,
        dirty: false,
        nextStatement: null,
        failedStatement: null,
        error: null,
      })),
    ];
  }
  return { ...steps[0]!, steps };
}

/**
 * Decides what `upgrade` does: the releases crossed from the database's version
 * to the target, each pending migration with its label. Refuses a database
 * newer than the package, a target that is not a release, a downgrade, and a
 * jump over a required upgrade stop (naming the path to take), unless
 * `path` asks for the path itself.
 */
export function planUpgrade(input: PlanInput): UpgradePlan {
  const releases = sortReleases(input.releases);
  const newest = releases.at(-1)?.metadata.version;
  if (!newest) throw inputError('There are no release notes, so there is no version to upgrade to.', 'Check --release-notes-dir.');
  const to = input.target ?? newest;
  if (!releases.some((release) => release.metadata.version === to)) {
    const known = releases.map((release) => release.metadata.version);
    throw inputError(`--to ${to}: there is no release ${to}.`, `Choose one of: ${known.join(', ') || 'none (no release notes)'}.`);
  }

  const statuses = migrationStatuses(input.migrations, input.ledger);
  const appliedFiles = statuses.filter((status) => status.state !== 'pending' && status.file).map((status) => status.file!);
  const noFile = statuses.filter((status) => status.state === 'no file');
  const unknown = unknownMigrations(releases, appliedFiles);
  if (noFile.length > 0 || unknown.length > 0) {
    const names = [...noFile.map((status) => `${status.version} (${status.name})`), ...unknown];
    throw operationError(
      `The database is newer than astra ${input.packageVersion}: it has migration(s) ${names.join(', ')} that this version does not know.`,
      'Run the astra version that applied them (npx astra@latest upgrade), or restore an older backup with astra rollback.',
    );
  }

  refuseLedgerHoles(statuses);
  const from = databaseVersion(releases, appliedFiles);
  if (from !== null && semver.gt(from, to)) {
    throw operationError(
      `The database is at ${from}, newer than the target ${to}; upgrade does not go backwards.`,
      `To go back, restore the backup taken before ${from}: astra rollback --to ${to}.`,
    );
  }

  const stops = requiredStops(releases, from, to);
  if (stops.length > 1 && input.path) return planUpgradePath(input, stops);
  if (stops.length > 1) {
    const blocked = releases.find((release) => release.metadata.upgrade_from === stops[0]);
    throw operationError(
      `${from ?? 'an empty database'} cannot upgrade straight to ${to}: ${blocked ? `release ${blocked.metadata.version} requires upgrading from ${blocked.metadata.upgrade_from} or later` : `it must stop at ${stops[0]} first`}.`,
      `Upgrade in steps, starting each step only after the application of the previous one has run: ${stops.map((stop) => `astra upgrade --to ${stop}`).join(', then ')}.`,
    );
  }

  const applied = new Set(appliedFiles);
  const byFile = new Map(input.migrations.map((migration) => [migration.file, migration]));
  const crossed =
    from === null
      ? releasesBetween(releases, null, to)
      : releasesBetween(releases, null, to).filter(
          (release) => semver.gt(release.metadata.version, from) || release.metadata.migrations.some((entry) => !applied.has(entry.file)),
        );
  const createdBefore = new Set<string>();
  const plannedReleases: PlannedRelease[] = crossed.map((release) => ({
    version: release.metadata.version,
    date: release.metadata.date,
    stopApplication: release.metadata.stop_application,
    upgradeFrom: release.metadata.upgrade_from ?? null,
    migrations: release.metadata.migrations
      .filter((entry) => !applied.has(entry.file))
      .map((entry) => {
        const migration = byFile.get(entry.file);
        if (!migration) {
          throw inputError(`${release.file}: names ${entry.file}, which is not in the migrations folder.`, 'Run astra lint to check the release bundle.');
        }
        return {
          version: migration.version,
          file: migration.file,
          name: migration.name,
          release: release.metadata.version,
          safety: entry.safety,
          reason: entry.reason ?? null,
          outsideTransaction: migration.statements.flatMap((statement) => (statement.outsideTransaction ? [statement.outsideTransaction] : [])),
          tables: tablesTouched(migration.statements, createdBefore),
        };
      }),
  }));
  const pending = plannedReleases.flatMap((release) => release.migrations).sort(byVersion);
  const breaking = pending.filter((migration) => migration.safety === 'breaking');
  return {
    from,
    fresh: input.ledger.length === 0,
    to,
    releases: plannedReleases,
    pending,
    breaking,
    stopApplication: plannedReleases.some((release) => release.stopApplication && release.migrations.length > 0),
    tables: [...new Set(pending.flatMap((migration) => migration.tables))].sort(),
  };
}
