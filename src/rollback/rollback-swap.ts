import type { Context } from '../engine/context.js';
import type { ConnectionTarget } from '../db/connection.js';
import { isPgError } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import { AstraError, errorMessage, operationError } from '../errors.js';
import type { ClientTool } from '../pgtools/client-tools.js';
import { restoreCopy } from '../backup/restore-copy.js';
import { gatherStatistics, type StatisticsOutcome } from '../backup/restored-check.js';
import { reportStatistics } from './statistics.js';
import { clearSessions } from '../db/clear-sessions.js';
import { connectMaintenance, databaseExists, databaseShape, onAnyConnection, targetFor } from '../db/database-admin.js';
import { copyDatabaseProperties } from '../db/database-properties.js';
import { interruptedError, type InterruptWatch } from '../engine/interrupt.js';
import type { BackupManifest } from '../backup/manifest.js';
import { rollbackDatabaseNames, rollbackStamp } from './rollback-names.js';
import { waitForBackendExit, type Session } from '../db/sessions.js';
import { once, type Undo } from '../undo.js';

/** SQLSTATE of "database is being accessed by other users". */
const OBJECT_IN_USE = '55006';

export interface SwapOptions {
  pgRestore: ClientTool;
  waitMs: number;
  force: boolean;
  confirmTerminate?: (sessions: Session[]) => Promise<boolean>;
  jobs?: number;
  /**
   * The connection holding astra's run lock, which is connected to the
   * database being renamed: it is left alone while sessions are cleared and
   * closed right before the rename (which needs the database to be empty).
   */
  lockHolder?: { pid: number; close(): Promise<void> };
  /** The rollback's watch for Ctrl-C and SIGTERM, kept by the caller until the undo has finished. */
  interrupts: InterruptWatch;
  /**
   * The checks of the backup, started once pg_restore is about to start (the
   * archive's checksum is work for this process, the restore for
   * pg_restore's and the server's), so that they run alongside it. When they
   * reject, the restore is stopped, the copy dropped, and their error is the
   * one thrown, whatever else failed. Nothing is swapped before they passed.
   * `refuse` stops the restore at once, for checks that know the backup
   * failed before they have finished (looking at older backups to name).
   */
  verify: (refuse: () => void) => Promise<void>;
}

/**
 * Restores the backup into a new database, checks it against the manifest,
 * and only then swaps names in one transaction: the current database becomes
 * `<db>__pre_rollback_<stamp>` (kept), the restored one takes its name. Until
 * the swap commits, any failure or interrupt drops the new database and leaves
 * the current one exactly as it was. Returns the kept database's name.
 */
export async function rollbackBySwap(
  context: Context,
  target: ConnectionTarget,
  manifest: BackupManifest,
  options: SwapOptions,
): Promise<{ kept: string; statistics: StatisticsOutcome }> {
  const { log } = context;
  const database = String(target.config.database);
  const names = rollbackDatabaseNames(database, rollbackStamp(new Date()));
  const admin = await connectMaintenance(target);
  const { interrupts } = options;
  const allowConnections = `ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true`;
  /** What the swap has done so far: the undo reads this and nothing else. */
  const recorded: {
    /** Drops the restored copy, once it exists (restoreCopy drops it itself when it fails). */
    dropCopy: Undo<boolean> | undefined;
    /** New connections to the database are refused (ALLOW_CONNECTIONS false). */
    blocked: boolean;
    /** The renames: not tried yet, committed, or cut off as they committed with the server not saying whether. */
    swap: 'not-tried' | 'committed' | 'unknown';
    /** Set by the undo: connections could not be allowed again. */
    stillBlocked: boolean;
  } = { dropCopy: undefined, blocked: false, swap: 'not-tried', stillBlocked: false };
  const undo = once(async () => {
    // Once the renames may have happened, undoing could act on the wrong database.
    if (recorded.swap !== 'not-tried') return;
    if (
      recorded.blocked &&
      !(await onAnyConnection(
        admin,
        () => connectMaintenance(target),
        (db) => db.query(allowConnections),
      ))
    ) {
      recorded.stillBlocked = true;
      log.warn(
        `${database} still refuses new connections: run ${allowConnections}; connected to another database (such as postgres) as its owner or a superuser.`,
      );
    }
    await recorded.dropCopy?.();
  });
  /** What the database is like after the undo, for the error. */
  const stateAfterUndo = () =>
    recorded.stillBlocked
      ? `${database} holds its data as before, but still refuses new connections (see the warning above)`
      : `${database} is as it was and accepts connections`;
  const stopIfInterrupted = () => {
    if (interrupts.received()) throw new Error('interrupted');
  };
  /** The backup's checks, once started (see SwapOptions.verify); a failure of theirs stops the restore. */
  let checks: Promise<void> | undefined;
  const refused = new AbortController();
  const refuse = () => refused.abort(new Error('the backup failed verification'));
  const startChecks = () => {
    if (checks) return;
    checks = options.verify(refuse);
    checks.catch(refuse);
  };
  try {
    for (const name of [names.restore, names.kept]) {
      if (await databaseExists(admin, name)) throw operationError(`A database named ${name} already exists.`, 'Wait a second and run the rollback again.');
    }
    log.info(`Restoring backup ${manifest.id} into the new database ${names.restore}…`);
    const copy = await restoreCopy({
      admin,
      target,
      backupDir: context.backupDir,
      manifest,
      pgRestore: options.pgRestore,
      name: names.restore,
      like: await databaseShape(admin, database),
      compareLedger: true,
      ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
      signal: AbortSignal.any([interrupts.signal, refused.signal]),
      onCreated: startChecks,
      onDropFailed: () => log.warn(`The database ${names.restore} could not be dropped; drop it by hand.`),
    });
    if (copy.ok) recorded.dropCopy = copy.drop;
    // The checks' verdict comes first: an archive that fails them may well have made pg_restore fail too.
    startChecks();
    await checks;
    if (!copy.ok) throw copy.error;
    if (copy.differences.length > 0)
      throw operationError(
        `The database restored from backup ${manifest.id} does not match its manifest: ${copy.differences.join('; ')}.`,
        'Verify the backup with astra backup verify --deep.',
      );
    log.info(
      `Checked ${names.restore}: ${manifest.tables.length} table(s) hold the rows the backup recorded; the ledger is at ${manifest.schemaVersion ?? 'no migration'}.`,
    );
    await copyDatabaseProperties(admin, database, names.restore);
    stopIfInterrupted();
    // With the database's own settings (a default_statistics_target, say), before the application is on it.
    const statistics = await gatherStatistics(targetFor(target, names.restore), interrupts.signal);
    // An interrupt that cancelled it undoes the rollback: there is nothing to say of statistics then.
    stopIfInterrupted();
    reportStatistics(log, database, statistics);

    for (let attempt = 1; ; attempt += 1) {
      await clearSessions(admin, {
        database,
        also: [names.restore],
        ...(options.lockHolder ? { exclude: [options.lockHolder.pid] } : {}),
        signal: interrupts.signal,
        waitMs: options.waitMs,
        force: options.force,
        ...(options.confirmTerminate ? { confirmTerminate: options.confirmTerminate } : {}),
        blockNewConnections: true,
        onBlocked: (on) => {
          recorded.blocked = on;
          if (on) log.info(`New connections to ${database} are refused until the swap (if astra is killed, run: ${allowConnections};).`);
        },
        log,
      });
      stopIfInterrupted();
      // New connections are refused now (ALLOW_CONNECTIONS false), so no
      // other astra run can take the lock between this close and the rename.
      if (options.lockHolder) {
        await options.lockHolder.close();
        await waitForBackendExit(admin, options.lockHolder.pid);
      }
      stopIfInterrupted();
      try {
        await admin.transaction(async () => {
          // pg_restore committed asynchronously; this commit, waited for, makes the copy durable before it is used.
          await admin.query('SET LOCAL synchronous_commit = on');
          await admin.query(`ALTER DATABASE ${quoteIdent(database)} RENAME TO ${quoteIdent(names.kept)}`);
          await admin.query(`ALTER DATABASE ${quoteIdent(names.restore)} RENAME TO ${quoteIdent(database)}`);
          if (recorded.blocked) await admin.query(`ALTER DATABASE ${quoteIdent(names.kept)} ALLOW_CONNECTIONS true`);
        });
        recorded.swap = 'committed';
        break;
      } catch (error) {
        // A client got in between the check and the rename: clear again.
        if (isPgError(error) && error.code === OBJECT_IN_USE) {
          if (attempt >= 3) throw error;
          continue;
        }
        // Any other failure may be the connection lost around the COMMIT (a
        // server shutting down sends an error with a code as it goes): the
        // renames may have happened. Look, over a fresh connection.
        const state = await renamed(target, names);
        if (state === 'yes') {
          recorded.swap = 'committed';
          break;
        }
        if (state === 'unknown') recorded.swap = 'unknown';
        throw error;
      }
    }
    log.info(`Swapped: ${database} is now the restored database; the previous one is kept as ${names.kept}.`);
    if (interrupts.received()) log.warn(`The swap had committed when the interrupt came: the rollback is complete.`);
    return { kept: names.kept, statistics };
  } catch (failure) {
    // A backup that fails its checks is what is reported, whatever failed besides (as when they ran first).
    startChecks();
    const failedChecks = await checks?.then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = failedChecks ?? failure;
    if (recorded.swap === 'unknown') {
      // Undoing now could act on the wrong database: say how to tell, and what to run either way.
      throw new AstraError(
        `The swap of ${database} with the restored database failed as it committed (${errorMessage(error).replace(/\.$/, '')}), and the server could not be asked whether it happened.`,
        {
          fix: `Once the server answers, list the databases (psql -l): if ${names.kept} exists, the rollback is complete and ${database} is the restored one; if not, ${database} holds its data as before: run ${allowConnections}; and DROP DATABASE ${quoteIdent(names.restore)}; then the rollback again.`,
          cause: error,
          database: 'unknown',
        },
      );
    }
    await undo();
    const signal = interrupts.received();
    const what = signal ? `Interrupted (${signal}) while ${database} was being rolled back to backup ${manifest.id}` : `The rollback of ${database} failed`;
    if (recorded.stillBlocked) {
      throw new AstraError(`${what}: ${signal ? 'the restore was stopped' : errorMessage(error).replace(/\.$/, '')}; ${stateAfterUndo()}.`, {
        fix: `Run ${allowConnections}; then the rollback again.`,
        cause: error,
        // Its data is as before, but it refuses connections.
        database: 'changed',
      });
    }
    if (signal) {
      throw interruptedError(
        signal,
        `while ${database} was being rolled back to backup ${manifest.id}`,
        `the restore was stopped and ${names.restore} dropped; ${stateAfterUndo()}.`,
        'Run the rollback again.',
      );
    }
    if (error instanceof AstraError) throw error;
    throw new AstraError(`The rollback of ${database} failed: ${errorMessage(error)}.`, {
      fix: `Nothing was changed: ${database} is as it was.`,
      cause: error,
      database: 'unchanged',
    });
  } finally {
    await admin.close();
  }
}

/**
 * Whether the swap committed, seen over a fresh connection: the kept name
 * exists and the restored copy's name is gone. Asks a few times over about
 * ten seconds, for a server that is restarting; 'unknown' when it never
 * answered.
 */
async function renamed(target: ConnectionTarget, names: { kept: string; restore: string }): Promise<'yes' | 'no' | 'unknown'> {
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    try {
      const fresh = await connectMaintenance(target);
      try {
        return (await databaseExists(fresh, names.kept)) && !(await databaseExists(fresh, names.restore)) ? 'yes' : 'no';
      } finally {
        await fresh.close();
      }
    } catch {
      if (attempt < 5) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  return 'unknown';
}
