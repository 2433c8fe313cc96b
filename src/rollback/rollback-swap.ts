import { join } from 'node:path';
import type { Context } from '../engine/context.js';
import type { ConnectionTarget } from '../db/connection.js';
import { isPgError } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import { DatabaseMayHaveChangedError, errorMessage, operationError } from '../errors.js';
import type { ClientTool } from '../pgtools/client-tools.js';
import { astraVersion } from '../version.js';
import { childEnvironment } from '../pgtools/child-environment.js';
import { clearSessions } from '../db/clear-sessions.js';
import { connectMaintenance, createEmptyDatabase, databaseExists, databaseShape, dropDatabase, onAnyConnection, targetFor } from '../db/database-admin.js';
import { copyDatabaseProperties } from '../db/database-properties.js';
import { interruptedError, once, type InterruptWatch } from '../engine/interrupt.js';
import type { BackupManifest } from '../backup/manifest.js';
import { restoreArchive } from '../pgtools/pg-restore.js';
import { restoredDifferences } from '../backup/restored-check.js';
import { rollbackDatabaseNames, rollbackStamp } from './rollback-names.js';
import { waitForBackendExit, type Session } from '../db/sessions.js';

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
}

/**
 * Restores the backup into a new database, checks it against the manifest,
 * and only then swaps names in one transaction: the current database becomes
 * `<db>__pre_rollback_<stamp>` (kept), the restored one takes its name. Until
 * the swap commits, any failure or interrupt drops the new database and leaves
 * the current one exactly as it was. Returns the kept database's name.
 */
export async function rollbackBySwap(context: Context, target: ConnectionTarget, manifest: BackupManifest, options: SwapOptions): Promise<string> {
  const { log } = context;
  const database = String(target.config.database);
  const names = rollbackDatabaseNames(database, rollbackStamp(new Date()));
  const admin = await connectMaintenance(target);
  const { interrupts } = options;
  let created = false;
  let blocked = false;
  let swapped = false;
  let stillBlocked = false;
  /** The swap's COMMIT failed and the server could not be asked whether it happened. */
  let swapUnknown = false;
  const allowConnections = `ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true`;
  const undo = once(async () => {
    if (swapped) return;
    if (
      blocked &&
      !(await onAnyConnection(
        admin,
        () => connectMaintenance(target),
        (db) => db.query(allowConnections),
      ))
    ) {
      stillBlocked = true;
      log.warn(
        `${database} still refuses new connections: run ${allowConnections}; connected to another database (such as postgres) as its owner or a superuser.`,
      );
    }
    if (
      created &&
      !(await onAnyConnection(
        admin,
        () => connectMaintenance(target),
        (db) => dropDatabase(db, names.restore),
      ))
    ) {
      log.warn(`The database ${names.restore} could not be dropped; drop it by hand.`);
    }
  });
  /** What the database is like after the undo, for the error. */
  const stateAfterUndo = () =>
    stillBlocked
      ? `${database} holds its data as before, but still refuses new connections (see the warning above)`
      : `${database} is as it was and accepts connections`;
  const stopIfInterrupted = () => {
    if (interrupts.received()) throw new Error('interrupted');
  };
  try {
    for (const name of [names.restore, names.kept]) {
      if (await databaseExists(admin, name)) throw operationError(`A database named ${name} already exists.`, 'Wait a second and run the rollback again.');
    }
    log.info(`Restoring backup ${manifest.id} into the new database ${names.restore}…`);
    await createEmptyDatabase(admin, names.restore, await databaseShape(admin, database));
    created = true;
    await restoreArchive({
      tool: options.pgRestore.path,
      env: childEnvironment(target.config, `astra ${astraVersion} pg_restore`, names.restore),
      archive: join(context.backupDir, manifest.archive),
      ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
      signal: interrupts.signal,
    });
    stopIfInterrupted();
    const differences = await restoredDifferences(targetFor(target, names.restore), manifest);
    if (differences.length > 0)
      throw operationError(
        `The database restored from backup ${manifest.id} does not match its manifest: ${differences.join('; ')}.`,
        'Verify the backup with astra backup verify --deep.',
      );
    log.info(
      `Checked ${names.restore}: ${manifest.tables.length} table(s) hold the rows the backup recorded; the ledger is at ${manifest.schemaVersion ?? 'no migration'}.`,
    );
    await copyDatabaseProperties(admin, database, names.restore);
    stopIfInterrupted();

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
          blocked = on;
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
          await admin.query(`ALTER DATABASE ${quoteIdent(database)} RENAME TO ${quoteIdent(names.kept)}`);
          await admin.query(`ALTER DATABASE ${quoteIdent(names.restore)} RENAME TO ${quoteIdent(database)}`);
          if (blocked) await admin.query(`ALTER DATABASE ${quoteIdent(names.kept)} ALLOW_CONNECTIONS true`);
        });
        swapped = true;
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
          swapped = true;
          break;
        }
        if (state === 'unknown') swapUnknown = true;
        throw error;
      }
    }
    log.info(`Swapped: ${database} is now the restored database; the previous one is kept as ${names.kept}.`);
    if (interrupts.received()) log.warn(`The swap had committed when the interrupt came: the rollback is complete.`);
    return names.kept;
  } catch (error) {
    if (swapUnknown) {
      // Undoing now could act on the wrong database: say how to tell, and what to run either way.
      throw new DatabaseMayHaveChangedError(
        `The swap of ${database} with the restored database failed as it committed (${errorMessage(error).replace(/\.$/, '')}), and the server could not be asked whether it happened.`,
        {
          fix: `Once the server answers, list the databases (psql -l): if ${names.kept} exists, the rollback is complete and ${database} is the restored one; if not, ${database} holds its data as before: run ${allowConnections}; and DROP DATABASE ${quoteIdent(names.restore)}; then the rollback again.`,
          cause: error,
        },
      );
    }
    await undo();
    const signal = interrupts.received();
    const what = signal ? `Interrupted (${signal}) while ${database} was being rolled back to backup ${manifest.id}` : `The rollback of ${database} failed`;
    if (stillBlocked) {
      throw new DatabaseMayHaveChangedError(`${what}: ${signal ? 'the restore was stopped' : errorMessage(error).replace(/\.$/, '')}; ${stateAfterUndo()}.`, {
        fix: `Run ${allowConnections}; then the rollback again.`,
        cause: error,
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
    if (error instanceof Error && error.name === 'AstraError') throw error;
    throw operationError(`The rollback of ${database} failed: ${errorMessage(error)}.`, `Nothing was changed: ${database} is as it was.`, error);
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
