import { unfinishedWarning } from '../backup/create.js';
import { describeSessions, type Session } from '../db/sessions.js';
import type { Context } from '../engine/context.js';
import { inputError } from '../errors.js';
import { rollbackCandidates } from './choose-backup.js';
import { rollbackToBackup, type RollbackResult } from './rollback.js';

export interface RollbackToOptions {
  /** The application release to go back to: its newest backup is restored. */
  to?: string | undefined;
  /** The backup to restore (default: the newest taken at `to`). */
  backupId?: string | undefined;
  /** End other sessions rather than wait for them; asks `context.confirm` first unless `context.yes`. */
  force: boolean;
  waitMs?: number | undefined;
  lockWaitMs?: number | undefined;
  jobs?: number | undefined;
  pgBinDir?: string | undefined;
}

/**
 * `astra rollback` and the library's `rollback()`: chooses the backup (the
 * newest of release `to`, or `backupId`), says which, and restores it; the
 * older backups of that release are only named when the newest fails
 * verification, never restored in its place.
 */
export async function rollbackTo(context: Context, options: RollbackToOptions): Promise<RollbackResult> {
  const ask = options.force && !context.yes ? context.confirm : undefined;
  if (options.force && !context.yes && !ask) {
    throw inputError(
      'Ending other sessions on the database needs a confirmation, and nobody can be asked.',
      'Give consent in advance (--yes), or ask (a confirm callback).',
    );
  }
  const target = await context.target();
  const database = String(target.config.database);
  const [newest, ...older] = await rollbackCandidates(context, {
    database,
    ...(options.to !== undefined ? { to: options.to } : {}),
    ...(options.backupId !== undefined ? { backupId: options.backupId } : {}),
  });
  // rollbackCandidates throws rather than return no backup.
  const manifest = newest!;
  context.log.info(
    `Rolling back ${database} to backup ${manifest.id}, taken ${manifest.createdAt} at schema version ${manifest.schemaVersion ?? 'none'} by astra ${manifest.appVersion}.`,
  );
  if (manifest.unfinishedMigrations) context.log.warn(unfinishedWarning(manifest.id, manifest.unfinishedMigrations));
  const confirmTerminate = ask
    ? (sessions: Session[]) => ask(`End these ${sessions.length} session(s) so that ${database} can be swapped?\n${describeSessions(sessions)}\n`, false)
    : undefined;
  return rollbackToBackup(context, {
    backupId: manifest.id,
    olderIds: older.map((backup) => backup.id),
    target,
    force: options.force,
    ...(confirmTerminate ? { confirmTerminate } : {}),
    ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
    ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
    ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
    ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}),
  });
}
