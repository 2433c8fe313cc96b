import type { Context } from '../engine/context.js';
import type { MigrationVersion } from '../migration-version.js';
import { withRunLock } from '../engine/run-lock.js';
import type { ConnectionTarget } from '../db/connection.js';
import { Database } from '../db/database.js';
import { AstraError, inputError, mayHaveChangedTheDatabase, operationError } from '../errors.js';
import { findClientTool } from '../pgtools/client-tools.js';
import { firstVerifiedBackup } from './choose-backup.js';
import { databasePrivileges } from '../db/database-admin.js';
import { readBackup } from '../backup/folder.js';
import { stopRollbackIfInterrupted, whileWatching } from '../engine/interrupt.js';
import type { BackupManifest } from '../backup/manifest.js';
import type { StatisticsOutcome } from '../backup/restored-check.js';
import { rollbackInPlace } from './rollback-in-place.js';
import { rollbackBySwap } from './rollback-swap.js';
import type { Session } from '../db/sessions.js';
import { majorOf } from '../backup/snapshot.js';
import { archiveMajor, checkArchive, recordVerification } from '../backup/verify.js';
import { DEFAULT_ROLLBACK_LOCK_WAIT_MS, DEFAULT_SESSION_WAIT_MS } from '../defaults.js';

export { DEFAULT_ROLLBACK_LOCK_WAIT_MS, DEFAULT_SESSION_WAIT_MS };
/** How long a rollback waits for another astra run on the database to finish. */

export interface RollbackOptions {
  backupId: string;
  /**
   * Older backups of the same release, newest first (`astra rollback --to`):
   * when `backupId` fails verification they are verified in turn, and the
   * first that passes is named in the refusal. None is restored in its place.
   */
  olderIds?: string[];
  /** How long to wait for astra's run lock, held by another run (default 10 min). */
  lockWaitMs?: number;
  /** The database to roll back; resolved from the context when not given. */
  target?: ConnectionTarget;
  /** How long to wait for other sessions to leave the database (default 60 s). */
  waitMs?: number;
  /** End other sessions (pg_terminate_backend) rather than wait for them. */
  force?: boolean;
  /** Asked before sessions are ended; without it, `force` ends them without asking. */
  confirmTerminate?: (sessions: Session[]) => Promise<boolean>;
  /** Parallel pg_restore jobs. */
  jobs?: number;
  pgBinDir?: string;
  /** Progress lines go here instead of the log (and no task list is drawn), for a caller that draws its own. */
  onProgress?: (line: string) => void;
  /**
   * A connection to the database that already holds astra's run lock (the
   * failed upgrade's), used instead of connecting and taking the lock, so that
   * no other run gets in between. The rollback may close it (the swap does).
   */
  lockHeld?: Database;
}

export interface RollbackResult {
  backupId: string;
  /** When the backup was taken: writes made after it are what the rollback discards. */
  backupCreatedAt: string;
  database: string;
  /** `swap`: restored into a new database that took the name; `in-place`: restored over the database. */
  method: 'swap' | 'in-place';
  /** The database as it was before the rollback, kept under this name (swap). */
  keptDatabase: string | null;
  /** The backup taken just before an in-place restore. */
  safetyBackupId: string | null;
  schemaVersion: MigrationVersion | null;
  appliedMigrations: MigrationVersion[];
  /** The restored database's planner statistics (ANALYZE): gathered (with the tables skipped and those whose ANALYZE failed), or why not. */
  statistics: StatisticsOutcome;
}

/** The context with its informational log lines sent to `onProgress` (warnings and errors stay on the log). */
function withProgressLog(context: Context, onProgress: (line: string) => void): Context {
  return {
    ...context,
    // Read when needed, not copied: the CLI hands out a fresh signal after each interruption.
    get signal() {
      return context.signal;
    },
    log: {
      ...context.log,
      info: onProgress,
      warn: (message) => context.log.warn(message),
      error: (message) => context.log.error(message),
      debug: (message) => context.log.debug(message),
    },
  };
}

/**
 * An error from before anything changed, told as such: one that already says
 * what became of the database (its `database` field, which its words match)
 * is left as it is; to any other, the rollback, which knows it changed
 * nothing, adds that it is `unchanged`, in words and as data.
 */
function nothingChanged(error: unknown, database: string): unknown {
  if (!(error instanceof AstraError) || error.database !== undefined) return error;
  const note = `Nothing was changed: ${database} is as it was.`;
  return new AstraError(error.message, {
    exitCode: error.exitCode,
    fix: error.fix ? `${error.fix} ${note}` : note,
    cause: error.cause ?? error,
    database: 'unchanged',
  });
}

/**
 * Restores backup `backupId` of context.backupDir into the database it was
 * taken of, once it passed verification (checksum and pg_restore --list; for
 * the swap, run while the new database is filled, before anything is
 * swapped); when it fails verification, the database is left as it was, and
 * the refusal names the first of
 * `olderIds` that passes, for the operator to choose. The whole rollback runs
 * under astra's run lock on the database. A role that may create and rename
 * databases gets the swap (the current database is kept under another name);
 * any other gets an in-place restore in one transaction, after a fresh,
 * verified safety backup. Callers must have closed their own connections to
 * the database and released the lock, or hand the one holding it (`lockHeld`).
 * Throws, having changed nothing, when the backups are missing or fail
 * verification.
 */
export async function rollbackToBackup(outerContext: Context, options: RollbackOptions): Promise<RollbackResult> {
  const context = options.onProgress ? withProgressLog(outerContext, options.onProgress) : outerContext;
  const { log } = context;
  const candidates = [await readBackup(context.backupDir, options.backupId)];
  for (const id of options.olderIds ?? []) candidates.push(await readBackup(context.backupDir, id));
  const target = options.target ?? (await context.target());
  const database = String(target.config.database);
  for (const manifest of candidates) {
    if (manifest.database.name !== database) {
      throw inputError(
        `Backup ${manifest.id} is of the database ${manifest.database.name}, not ${database}.`,
        'Point astra at that database (--database-url), or choose a backup of this one (astra backup list).',
      );
    }
  }
  const db = options.lockHeld ?? (await Database.connect(target));
  /** What the rollback has done: whether `db` is closed (a borrowed one is its owner's to close), and whether the database was changed. */
  const recorded = { closed: options.lockHeld !== undefined, changed: false };
  try {
    // The lock is held on `db` for the whole rollback. The in-place restore
    // keeps `db` open to the end and never ends its own session. The swap must
    // rename the database `db` is connected to: the swap leaves `db` out when
    // it clears sessions, and closes it right before the rename, once new
    // connections are refused, so no other astra run can slip in between.
    const underLock = <T>(work: () => Promise<T>) =>
      options.lockHeld ? work() : withRunLock(context, db, options.lockWaitMs ?? DEFAULT_ROLLBACK_LOCK_WAIT_MS, work);
    // Watched once the lock is held (waiting for it changes nothing, so a
    // Ctrl-C there may simply end the process) until the restore and its
    // undo have finished: one watch for the whole rollback, which the swap and
    // the in-place restore are given. A signal stops the verification, or the
    // restore, which undoes what it started.
    return await underLock(() =>
      whileWatching(
        context.signal,
        (line) => log.warn(line),
        async (interrupts) => {
          const stopIfInterrupted = (what: string) => stopRollbackIfInterrupted(interrupts, database, what);
          const serverMajor = majorOf(await db.serverVersionNum());
          const pgRestore = await findClientTool('pg_restore', Math.max(serverMajor, ...candidates.map(archiveMajor)), options.pgBinDir);
          // The checks of the archive: the newest candidate is restored only when it passes; else the refusal names an older one that does.
          // `newestFailed` is told as soon as the newest fails, before the older ones are checked to be named.
          const verifyChosen = async (newestFailed?: () => void): Promise<BackupManifest> => {
            const choice = await firstVerifiedBackup(candidates, async (manifest) => {
              const checks = await checkArchive(context.backupDir, manifest, pgRestore, interrupts.signal);
              // Cut off part-way, the checks say nothing of the backup: nothing is recorded.
              stopIfInterrupted(`while backup ${manifest.id} was being verified`);
              const failed = checks.filter((check) => check.status === 'fail');
              if (failed.length > 0 && manifest === candidates[0]) newestFailed?.();
              await recordVerification(context, context.backupDir, manifest, { id: manifest.id, ok: failed.length === 0, deep: false, checks });
              return failed.map((check) => `${check.check}: ${check.detail}`);
            });
            const manifest = choice.chosen;
            const [newest] = choice.rejected;
            if (newest) {
              // An older backup is never restored in the newest one's place without
              // being asked for: it would discard more writes than the operator expects.
              const problems = newest.problems.join('; ');
              throw new AstraError(`Backup ${newest.manifest.id} failed verification, so it is not restored: ${problems}.`, {
                fix: manifest
                  ? `Nothing was changed: ${database} is as it was. An older backup of that release, ${manifest.id} (taken ${manifest.createdAt}), passes verification: astra rollback --backup ${manifest.id} restores it, discarding the writes made since it was taken.`
                  : `Nothing was changed: ${database} is as it was. ${choice.rejected.length > 1 ? `None of the ${choice.rejected.length - 1} older backup(s) of that release passes verification either. ` : ''}Choose another backup with --backup (astra backup list).`,
                database: 'unchanged',
              });
            }
            if (!manifest) throw operationError('There is no backup to restore.', 'Choose one with --backup (astra backup list).');
            log.info(`Backup ${manifest.id} verified (checksum, pg_restore --list). Writes to ${database} made after ${manifest.createdAt} will be discarded.`);
            return manifest;
          };
          const privileges = await databasePrivileges(db, database);
          const bySwap = privileges.superuser || (privileges.createdb && privileges.owner);
          // A swap restores into a new database, swapped in only once the checks passed: they run alongside the restore
          // (the archive's checksum reads the whole file). An in-place restore changes the database itself: it starts after them.
          const manifest = bySwap ? candidates[0]! : await verifyChosen();
          if (!bySwap) stopIfInterrupted('before the restore began');
          const common = {
            pgRestore,
            waitMs: options.waitMs ?? DEFAULT_SESSION_WAIT_MS,
            force: options.force === true,
            ...(options.confirmTerminate ? { confirmTerminate: options.confirmTerminate } : {}),
            interrupts,
          };
          const result = {
            backupId: manifest.id,
            backupCreatedAt: manifest.createdAt,
            database,
            schemaVersion: manifest.schemaVersion,
            appliedMigrations: manifest.appliedMigrations,
          };
          if (bySwap) {
            const lockHolder = {
              pid: await db.backendPid(),
              close: async () => {
                recorded.closed = true;
                await db.close();
              },
            };
            const { kept, statistics } = await rollbackBySwap(context, target, manifest, {
              ...common,
              lockHolder,
              verify: async (refuse) => {
                await verifyChosen(refuse);
              },
              ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
            });
            return { ...result, method: 'swap' as const, keptDatabase: kept, safetyBackupId: null, statistics };
          }
          log.warn(
            `The role ${privileges.role} cannot create and rename databases (that needs CREATEDB and ownership of ${database}): restoring in place, in one transaction, after a fresh safety backup.`,
          );
          const psql = await findClientTool('psql', serverMajor, options.pgBinDir);
          const { safety, differences, statistics } = await rollbackInPlace(context, db, manifest, {
            ...common,
            psql,
            ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          });
          recorded.changed = true;
          if (differences.length > 0) {
            throw new AstraError(`${database} was restored from backup ${manifest.id} but does not match its manifest: ${differences.join('; ')}.`, {
              fix: `The safety backup ${safety.id} holds the database as it was before: astra rollback --backup ${safety.id} restores it.`,
              database: 'changed',
            });
          }
          return { ...result, method: 'in-place' as const, keptDatabase: null, safetyBackupId: safety.id, statistics };
        },
      ),
    );
  } catch (error) {
    throw recorded.changed || mayHaveChangedTheDatabase(error) ? error : nothingChanged(error, database);
  } finally {
    if (!recorded.closed) await db.close();
  }
}

export type { BackupManifest };
