import { join } from 'node:path';
import type { Context } from '../engine/context.js';
import type { Database } from '../db/database.js';
import { AstraError, databaseOutcomeOf, errorMessage, mayHaveChangedTheDatabase } from '../errors.js';
import { once } from '../undo.js';
import type { ClientTool } from '../pgtools/client-tools.js';
import { astraVersion } from '../version.js';
import { dropStatements, liveObjects, objectsNotInArchive } from './archive-extras.js';
import { childEnvironment } from '../pgtools/child-environment.js';
import { clearSessions } from '../db/clear-sessions.js';
import { keepClientsOut, noOtherClientsCheck, type ConnectGuard } from '../db/connect-guard.js';
import { createBackup } from '../backup/create.js';
import { interruptedError, stopRollbackIfInterrupted, type InterruptSignal, type InterruptWatch } from '../engine/interrupt.js';
import type { BackupManifest } from '../backup/manifest.js';
import { listArchive, restoreInPlace, type InPlaceOutcome } from '../pgtools/pg-restore.js';
import { gatherStatistics, restoredDifferences, type StatisticsOutcome } from '../backup/restored-check.js';
import { reportStatistics } from './statistics.js';
import type { Session } from '../db/sessions.js';
import { parseToc } from '../pgtools/toc.js';
import { checkArchive, recordVerification } from '../backup/verify.js';

export interface InPlaceOptions {
  pgRestore: ClientTool;
  psql: ClientTool;
  waitMs: number;
  force: boolean;
  confirmTerminate?: (sessions: Session[]) => Promise<boolean>;
  pgBinDir?: string;
  onProgress?: (line: string) => void;
  /** The rollback's watch for Ctrl-C and SIGTERM, kept by the caller from before the REVOKE to after the grant-back. */
  interrupts: InterruptWatch;
}

/**
 * For a role that may not create or rename databases: keeps new clients out
 * (as far as the role may), waits for (or ends) the other sessions, takes a
 * fresh safety backup and verifies it (checksum, pg_restore --list), then
 * restores the backup over the database in ONE transaction, first dropping
 * what the backup does not hold (objects created since). The transaction
 * commits only when no other client is connected at its end. Returns the
 * safety backup and what differs between the restored database and the
 * manifest (empty when all is well); from the moment it returns, the database
 * has been restored.
 */
export async function rollbackInPlace(
  context: Context,
  db: Database,
  manifest: BackupManifest,
  options: InPlaceOptions,
): Promise<{ safety: BackupManifest; differences: string[]; statistics: StatisticsOutcome }> {
  const { log } = context;
  const database = String(db.target.config.database);
  const role = String(db.target.config.user ?? 'this role');
  const { interrupts } = options;
  const stopIfInterrupted = (what: string) => stopRollbackIfInterrupted(interrupts, database, what);
  /** What the rollback has done: the guard keeping clients out, once it is up. */
  const recorded: { guard: ConnectGuard | undefined } = { guard: undefined };
  // The guard comes down however the rollback ends (restored or not); false when it could not.
  const undo = once(async () => (recorded.guard ? recorded.guard.release() : true), false);
  const restore = async (): Promise<{ safety: BackupManifest; differences: string[]; statistics: StatisticsOutcome }> => {
    const guard = await keepClientsOut(db, database);
    recorded.guard = guard;
    if (!guard.publicKeptOut) {
      const warning = `The role ${role} does not own ${database}, so it cannot keep other clients out while the safety backup is taken and restored over: writes they make in between would be lost.`;
      if (!options.force)
        throw new AstraError(warning, {
          fix: `Nothing was changed. Stop the application first, then run the rollback again with --force.`,
          database: 'unchanged',
        });
      log.warn(`${warning} Going on (--force); stop the application if it still runs.`);
    } else {
      if (guard.undoStatement)
        log.info(`New connections to ${database} are refused to PUBLIC until the restore ends (if astra is killed, run: ${guard.undoStatement};).`);
      const others = guard.rolesStillAllowed.filter((name) => name !== role);
      log.info(`Roles that can still connect: ${[role, ...others].join(', ')}; the restore commits only if no client but astra is connected at its end.`);
    }
    stopIfInterrupted('before the restore began');
    // Other sessions go first, so that the safety backup holds their last writes.
    // pg_stat_activity spans the server: astra's own connection serves to watch it.
    await clearSessions(db, {
      database,
      waitMs: options.waitMs,
      force: options.force,
      ...(options.confirmTerminate ? { confirmTerminate: options.confirmTerminate } : {}),
      blockNewConnections: false,
      signal: interrupts.signal,
      log,
    }).catch((error: unknown) => {
      stopIfInterrupted('while waiting for sessions to leave');
      throw error;
    });
    const safety = await createBackup(context, db, {
      ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      rerun: 'the rollback',
    });
    const checks = await checkArchive(context.backupDir, safety, options.pgRestore);
    const failed = checks.filter((check) => check.status === 'fail');
    await recordVerification(context, context.backupDir, safety, { id: safety.id, ok: failed.length === 0, deep: false, checks });
    if (failed.length > 0) {
      throw new AstraError(
        `The safety backup ${safety.id} failed verification (${failed.map((check) => `${check.check}: ${check.detail}`).join('; ')}), so ${database} is not restored over.`,
        { fix: `Nothing was changed: ${database} is as it was. Check the disk of the backup folder and run the rollback again.`, database: 'unchanged' },
      );
    }
    log.info(`Safety backup ${safety.id} taken and verified: it holds ${database} as it was before this rollback.`);
    stopIfInterrupted('after the safety backup');

    const archive = join(context.backupDir, manifest.archive);
    const listing = await listArchive(options.pgRestore.path, archive);
    if (!listing.ok)
      throw new AstraError(`pg_restore --list failed on backup ${manifest.id}: ${listing.problem}`, {
        fix: 'Nothing was changed; choose another backup.',
        database: 'unchanged',
      });
    const extras = objectsNotInArchive(await liveObjects(db), parseToc(listing.listing));
    if (extras.length > 0) {
      log.info(
        `Dropping ${extras.length} object(s) created after the backup: ${extras.map((object) => `${object.kind.toLowerCase()} ${object.schema ? `${object.schema}.` : ''}${object.name}`).join(', ')}.`,
      );
    }

    log.info(`Restoring backup ${manifest.id} over ${database} in one transaction…`);
    const pid = await db.backendPid();
    const applicationName = `astra ${astraVersion} restore`;
    const outcome = await restoreInPlace({
      pgRestore: options.pgRestore.path,
      psql: options.psql.path,
      env: childEnvironment(db.target.config, applicationName),
      archive,
      prelude: dropStatements(extras),
      finalCheck: noOtherClientsCheck([pid]),
      signal: interrupts.signal,
      endSession: () => endRestoreSession(db, database, applicationName),
    });
    throwUnlessCommitted(outcome, { database, backupId: manifest.id, safetyId: safety.id, signal: interrupts.received() });
    if (interrupts.received()) log.warn(`The restore had committed when the interrupt came: ${database} is restored from backup ${manifest.id}.`);
    // Committed: nothing may throw from here on, or the caller would say nothing changed.
    const differences = await restoredDifferences(db.target, manifest).catch((error: unknown) => [
      `the check after the restore could not run (${errorMessage(error)})`,
    ]);
    // While PUBLIC is still kept out; not after an interrupt (its signal), which asks for the end.
    const statistics = await gatherStatistics(db.target, interrupts.signal);
    reportStatistics(log, database, statistics);
    return { safety, differences, statistics };
  };
  const ended = await restore().then(
    (restored) => ({ ok: true as const, restored }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const { guard } = recorded;
  if (guard && !(await undo())) {
    const grantBack = `${guard.undoStatement ?? ''};`;
    // Restored: the rollback stands, and the one thing left is said loudly.
    if (ended.ok) log.warn(`CONNECT on ${database} could not be granted back to PUBLIC: run ${grantBack}`);
    // Not restored, but no longer as it was: clients cannot connect. Replaces the error being thrown, keeping its
    // advice after the GRANT; the data is as it was unless that error said the restore may have committed.
    else {
      const failure = ended.error;
      const state = mayHaveChangedTheDatabase(failure) ? '' : ` The data of ${database} is as it was.`;
      const advice = failure instanceof AstraError && failure.fix ? ` ${failure.fix}` : '';
      throw new AstraError(
        `${errorMessage(failure).replace(/\.$/, '')}; and CONNECT on ${database} could not be granted back to PUBLIC, so clients cannot connect.`,
        {
          fix: `Run ${grantBack}${state}${advice}`,
          cause: failure,
          // Its grants changed, and its data too if the restore may have committed.
          database: databaseOutcomeOf(failure) === 'unknown' ? 'unknown' : 'changed',
        },
      );
    }
  }
  if (!ended.ok) throw ended.error;
  return ended.restored;
}

/** Turns an in-place restore that did not commit into an error that tells the database's state truthfully. */
function throwUnlessCommitted(
  outcome: InPlaceOutcome,
  about: { database: string; backupId: string; safetyId: string; signal: InterruptSignal | undefined },
): void {
  const { database, backupId, safetyId, signal } = about;
  if (outcome.state === 'committed') return;
  if (outcome.state === 'unknown') {
    throw new AstraError(`The restore of ${database} from backup ${backupId} was cut off (${outcome.problem}); it may or may not have committed.`, {
      fix: `Check with astra status which schema version ${database} is at. The safety backup ${safetyId} holds ${database} as it was before: astra rollback --backup ${safetyId} brings that back.`,
      database: 'unknown',
    });
  }
  if (signal && outcome.canceled) {
    throw interruptedError(
      signal,
      `while backup ${backupId} was being restored over ${database}`,
      `the restore was cancelled and rolled back; ${database} is as it was.`,
      'Run the rollback again.',
    );
  }
  if (outcome.stage === 'script') {
    throw new AstraError(`pg_restore failed while reading backup ${backupId}, before anything was sent to ${database}: ${outcome.problem}`, {
      fix: `Nothing was changed: ${database} is as it was. The backup is damaged although its checksum and table of contents pass: choose another backup, and check it with astra backup verify ${backupId} --deep.`,
      database: 'unchanged',
    });
  }
  // The final check (noOtherClientsCheck) refused the commit: another client is connected.
  if (outcome.stage === 'final-check') {
    throw new AstraError(`The restore was rolled back, not committed: ${outcome.problem.replace(/^.*?ERROR:\s*/s, '')}.`, {
      fix: `Nothing was changed: ${database} is as it was. Stop that client (the application), then run the rollback again.`,
      database: 'unchanged',
    });
  }
  throw new AstraError(`The restore failed and was rolled back: ${outcome.problem}`, {
    fix: `Nothing was changed: ${database} is as it was; fix the cause above and run the rollback again.`,
    database: 'unchanged',
  });
}

/**
 * Ends the restore's psql session, for a psql that did not stop after its
 * interrupt; resolves to whether its transaction was surely rolled back (the
 * session was inside it, and not committing).
 */
async function endRestoreSession(db: Database, database: string, applicationName: string): Promise<boolean> {
  const { rows } = await db.query<{ state: string | null; query: string | null; ended: boolean }>(
    `SELECT state, query, pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()`,
    [database, applicationName],
  );
  // Inside the transaction: idle in it, or running one of its statements other than the COMMIT.
  const inside = (row: { state: string | null; query: string | null }) =>
    row.state?.startsWith('idle in transaction') === true || (row.state === 'active' && !/^\s*commit\b/i.test(row.query ?? ''));
  return rows.length > 0 && rows.every((row) => row.ended && inside(row));
}
