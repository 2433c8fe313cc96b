/**
 * astra as a library: the engine behind the CLI, callable from an application
 * (migrate on start-up), a server or a script. Every function takes typed
 * options (see AstraOptions) and returns the same report object that the
 * matching command prints with --json (the CLI adds `ok: true` around it).
 *
 * The library never writes to stdout or stderr (progress goes to `logger`, if
 * given), never calls process.exit and installs no signal handlers: pass an
 * AbortSignal to stop work at its next safe point. Failures are thrown as
 * AstraError, which carries the message, the fix and the exit code the CLI
 * would use.
 */
import { libraryCall, type AstraOptions } from './api/context.js';
import { lintMigrations } from './analysis/lint.js';
import type { LintOutcome } from './analysis/outcome.js';
import { backupListReport, chooseBackupFormat, createBackup, pruneBackups, verifyBackup, type BackupListReport } from './backup/index.js';
import type { BackupManifest, PruneResult, VerifyResult } from './backup/index.js';
import { rollbackTo, type RollbackResult } from './rollback/index.js';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_HEALTH_TIMEOUT_MS, runDoctor } from './doctor/runner.js';
import type { DoctorReport } from './doctor/types.js';
import { withDatabase } from './engine/run-lock.js';
import type { Context } from './engine/context.js';
import { awaitDatabase } from './engine/wait-for-database.js';
import { inputError } from './errors.js';
import { lockSettings } from './defaults.js';
import { migrateUp, type UpResult } from './migrations/runner.js';
import type { MigrationVersion } from './migration-version.js';
import { statusReport, type StatusReport } from './migrations/status.js';
import { createUpgradePorts } from './upgrade/default-ports.js';
import { planUpgradeRun, runUpgrade, type UpgradeOptions, type UpgradeReport } from './upgrade/run.js';

export type { AstraOptions, Logger } from './api/context.js';
export { AstraError, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, type DatabaseOutcome } from './errors.js';
export { MigrationsStoppedError, type AppliedEntry, type UpResult } from './migrations/runner.js';
export { MigrationFailedError } from './migrations/apply.js';
export type { StatusReport } from './migrations/status.js';
/** One migration of a status report. */
export type StatusEntry = StatusReport['migrations'][number];
export type { MigrationState } from './migrations/plan.js';
export { compareVersions, type MigrationVersion } from './migration-version.js';
export type { UpgradeReport } from './upgrade/run.js';
export type { UpgradePlan } from './upgrade/plan.js';
export type { ChecklistItem } from './upgrade/checks.js';
export type { DoctorReport, CheckResult as DoctorCheckResult } from './doctor/types.js';
export type { LintOutcome, LintFinding } from './analysis/outcome.js';
export type { BackupListEntry, BackupListReport, BackupManifest, PruneResult, VerifyResult } from './backup/index.js';
export type { RollbackResult } from './rollback/index.js';

/** How long to wait for another run's lock, and the lock_timeout policy of migrations. */
export interface LockOptions {
  /** How long to wait for another astra run on the same database (default 10 minutes). */
  lockWaitMs?: number;
  /** lock_timeout of each statement (default 3 s). */
  lockTimeoutMs?: number;
  /** Retries, with backoff, of a statement that hit lock_timeout (default 5). */
  lockRetries?: number;
  /**
   * Wait this long for the database to accept connections before starting
   * (a container starting beside the application), retrying with backoff.
   * A wrong password or a missing database is not waited out.
   */
  waitForDatabaseMs?: number;
}

async function awaitDatabaseIfAsked(context: Context, options: LockOptions): Promise<void> {
  if (options.waitForDatabaseMs === undefined) return;
  if (!Number.isFinite(options.waitForDatabaseMs) || options.waitForDatabaseMs < 0)
    throw inputError('waitForDatabaseMs must be a number of milliseconds, 0 or more.');
  await awaitDatabase(context, options.waitForDatabaseMs);
}

export interface MigrateOptions extends AstraOptions, LockOptions {
  /** Stop after this migration version: a whole number, or a dotted one (Flyway's "1.1") as text. */
  to?: MigrationVersion;
  /** Say what would be applied; change nothing. */
  dryRun?: boolean;
  /** Let a sync seed catalog (a project's) delete the rows it no longer lists. */
  allowBreaking?: boolean;
}

/**
 * Applies the pending migrations (`astra migrate up`). Safe to call from every
 * replica of an application at start-up: the run lock (taken before the ledger
 * is created) lets one apply each migration exactly once; the others wait and
 * then find nothing to do.
 */
export async function migrate(options: MigrateOptions = {}): Promise<UpResult> {
  return libraryCall(options, async (context) => {
    await awaitDatabaseIfAsked(context, options);
    return migrateUp(context, {
      ...lockSettings(options),
      ...(options.to !== undefined ? { to: options.to } : {}),
      dryRun: options.dryRun === true,
      allowBreaking: options.allowBreaking === true,
    });
  });
}

/** Application version, database version, applied and pending migrations (`astra status`). */
export async function status(options: AstraOptions = {}): Promise<StatusReport> {
  return libraryCall(options, statusReport);
}

export interface LintApiOptions extends AstraOptions {
  /** Files or folders to analyse (default: the migrations folder). */
  paths?: string[];
  /** Read row counts and column types from the database (default: when a connection is given). */
  withDatabase?: boolean;
}

/** The safety analysis of migration SQL (`astra lint`); `failing` counts the findings that would fail the command. */
export async function lint(options: LintApiOptions = {}): Promise<LintOutcome> {
  return libraryCall(options, async (context) => {
    const withDb = options.withDatabase ?? (options.connectionString !== undefined || options.client !== undefined);
    return lintMigrations(context, options.paths ?? [], { withDatabase: withDb });
  });
}

export interface UpgradeApiOptions extends AstraOptions, LockOptions {
  /** The release to upgrade to (default: the newest). */
  to?: string;
  /** Plan and check only; change nothing. */
  dryRun?: boolean;
  /** Apply breaking migrations without asking (with `yes`). */
  allowBreaking?: boolean;
  /** Take a backup first (default true); without one there is no automatic rollback. */
  backup?: boolean;
  /** Restore the backup when the upgrade fails (default true). */
  rollback?: boolean;
  /** Folder of pg_dump and pg_restore. */
  pgBinDir?: string;
  /** A transaction open this long on a table the upgrade changes blocks it (default 60). */
  longTransactionSeconds?: number;
}

function upgradeOptions(options: UpgradeApiOptions): UpgradeOptions {
  return {
    ...lockSettings(options),
    ...(options.to ? { to: options.to } : {}),
    ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}),
    dryRun: options.dryRun === true,
    allowBreaking: options.allowBreaking === true,
    noBackup: options.backup === false,
    noRollback: options.rollback === false,
    longTransactionSeconds: options.longTransactionSeconds ?? 60,
  };
}

/** The upgrade's plan and pre-upgrade checklist (`astra upgrade --dry-run`); changes nothing. */
export async function plan(options: Omit<UpgradeApiOptions, 'dryRun'> = {}): Promise<UpgradeReport> {
  return libraryCall(options, async (context) => {
    const upgrade = upgradeOptions({ ...options, dryRun: true });
    return (await planUpgradeRun(context, upgrade, createUpgradePorts(context, upgrade))).report;
  });
}

/**
 * Preflight → backup → apply → doctor, with an automatic rollback on failure
 * (`astra upgrade`). An abort of `signal` during the apply step lets the
 * running migration finish and stops there; the error says where the
 * database stands.
 */
export async function upgrade(options: UpgradeApiOptions = {}): Promise<UpgradeReport> {
  return libraryCall(options, async (context) => {
    const upgrade = upgradeOptions(options);
    await awaitDatabaseIfAsked(context, options);
    if (upgrade.dryRun) return plan({ ...options, waitForDatabaseMs: undefined });
    return runUpgrade(context, upgrade, createUpgradePorts(context, upgrade));
  });
}

export interface DoctorApiOptions extends AstraOptions {
  pgBinDir?: string;
  /** Also check that the application answers 200 here. */
  healthUrl?: string;
  healthTimeoutMs?: number;
  /** Longest one check may take (default 10 s). */
  checkTimeoutMs?: number;
  /** Warnings count as failures. */
  strict?: boolean;
}

/** The health checks (`astra doctor`). Resolves with the report whatever it finds; `ok` says whether all passed. */
export async function doctor(options: DoctorApiOptions = {}): Promise<DoctorReport> {
  return libraryCall(options, async (context) => {
    const target = await context.target();
    return runDoctor(
      { target, migrationsDir: context.migrationsDir, versions: context.versions, backupDir: context.backupDir },
      {
        ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}),
        ...(options.healthUrl ? { healthUrl: options.healthUrl } : {}),
        checkTimeoutMs: options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
        healthTimeoutMs: options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
        strict: options.strict === true,
      },
    );
  });
}

export interface BackupCreateOptions extends AstraOptions {
  /** `custom` (one file, the default) or `directory` (needed for jobs > 1). */
  format?: 'custom' | 'directory';
  jobs?: number;
  pgBinDir?: string;
}

/** The backup catalog (`astra backup create | list | verify | prune`). */
export const backup = {
  /** Takes a backup with pg_dump, with its manifest beside it. */
  async create(options: BackupCreateOptions = {}): Promise<{ backup: BackupManifest }> {
    return libraryCall(options, async (context) => {
      const chosen = chooseBackupFormat({ format: options.format, jobs: options.jobs }, { format: 'format', jobs: 'jobs' });
      const manifest = await withDatabase(context, (db) =>
        createBackup(context, db, { ...chosen, ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}) }),
      );
      return { backup: manifest };
    });
  },
  /** The backups of the backup folder, newest first (an unreadable manifest is left out, with a warning to the logger). */
  async list(options: AstraOptions = {}): Promise<BackupListReport> {
    return libraryCall(options, async (context) => (await backupListReport(context)).report);
  },
  /** Checks a backup: checksum and pg_restore --list; `deep` also restores it into a scratch database. */
  async verify(options: AstraOptions & { id: string; deep?: boolean; pgBinDir?: string }): Promise<VerifyResult> {
    return libraryCall(options, async (context) => {
      return verifyBackup(context, options.id, { deep: options.deep === true, ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}) });
    });
  },
  /** Deletes all but the newest `keep` backups of each database. */
  async prune(options: AstraOptions & { keep: number }): Promise<PruneResult> {
    if (!Number.isInteger(options.keep) || options.keep < 1) throw inputError('keep must be a whole number of 1 or more.');
    return libraryCall(options, (context) => pruneBackups(context, options.keep));
  },
};

interface RollbackSettings extends AstraOptions {
  /** End other sessions instead of waiting for them (asks `confirm` first unless `yes`). */
  force?: boolean;
  /** How long to wait for other sessions to leave (default 60 s). */
  waitMs?: number;
  /** How long to wait for another astra run (default 10 minutes). */
  lockWaitMs?: number;
  jobs?: number;
  pgBinDir?: string;
}

/** What to roll back to: a release (its newest verified backup), a backup, or both (the backup, checked to be of that release). */
export type RollbackApiOptions = RollbackSettings & ({ to: string; backupId?: string } | { to?: string; backupId: string });

/** Restores the backup taken at an earlier release (`astra rollback`); refuses, changing nothing, when it is missing or fails verification. */
export async function rollback(options: RollbackApiOptions): Promise<RollbackResult> {
  return libraryCall(options, (context) =>
    rollbackTo(context, {
      to: options.to,
      backupId: options.backupId,
      force: options.force === true,
      waitMs: options.waitMs,
      lockWaitMs: options.lockWaitMs,
      jobs: options.jobs,
      pgBinDir: options.pgBinDir,
    }),
  );
}
