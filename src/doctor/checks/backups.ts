import { formatAge } from '../format.js';
import { backupsIn, type BackupSummary } from '../backup-catalog.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

/** A verified backup older than this misses too much to be the way back. */
export const STALE_BACKUP_MS = 24 * 3_600_000;

export interface BackupsView {
  backupDir: string;
  databaseName: string;
  /** Backups of this database, newest first. */
  backups: BackupSummary[];
  unreadable: { file: string; problem: string }[];
  now: Date;
}

const age = (backup: BackupSummary, now: Date) => formatAge(now.getTime() - backup.createdAt.getTime());

/** Decides on the age of the newest verified backup of the database. */
export function judgeBackups(view: BackupsView): CheckOutcome {
  const create = 'astra backup create';
  const unreadableNote =
    view.unreadable.length > 0
      ? `; ${view.unreadable.length} manifest(s) could not be read: ${view.unreadable.map((entry) => `${entry.file} (${entry.problem})`).join(', ')}`
      : '';
  const newest = view.backups[0];
  if (!newest) {
    return {
      status: 'warn',
      detail: `no backup of database "${view.databaseName}" in ${view.backupDir}${unreadableNote}`,
      fix: `Take one: ${create}, then astra backup verify <id> (keep --backup-dir pointing at ${view.backupDir}).`,
    };
  }
  const verified = view.backups.find((backup) => backup.verification?.ok === true);
  if (!verified) {
    const failed =
      newest.verification && !newest.verification.ok
        ? `, and its verification failed (${newest.verification.failedChecks.join(', ') || 'see astra backup verify'})`
        : ', never verified';
    return {
      status: 'warn',
      detail: `${view.backups.length} backup(s) of "${view.databaseName}" but none verified: the newest, ${newest.id}, is ${age(newest, view.now)} old${failed}${unreadableNote}`,
      fix: `Verify it with astra backup verify ${newest.id}, or take a new one: ${create}.`,
    };
  }
  const newerUnverified = newest !== verified ? `; a newer backup, ${newest.id}, is not verified (astra backup verify ${newest.id})` : '';
  const ageMs = view.now.getTime() - verified.createdAt.getTime();
  if (ageMs > STALE_BACKUP_MS) {
    return {
      status: 'warn',
      detail: `the newest verified backup, ${verified.id}, is ${age(verified, view.now)} old (over ${formatAge(STALE_BACKUP_MS)})${newerUnverified}${unreadableNote}`,
      fix: `Take a fresh one: ${create}, then astra backup verify <id>.`,
    };
  }
  if (unreadableNote) {
    return {
      status: 'warn',
      detail: `newest verified backup ${verified.id}, ${age(verified, view.now)} old${unreadableNote}`,
      fix: 'Remove or repair the manifests named; a backup without a readable manifest cannot be restored by astra.',
    };
  }
  return { status: 'ok', detail: `newest verified backup ${verified.id}, ${age(verified, view.now)} old${newerUnverified}` };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const databaseName = String(input.target.config.database ?? '');
  const { backups, unreadable } = await backupsIn(input.backupDir);
  return judgeBackups({
    backupDir: input.backupDir,
    databaseName,
    backups: backups.filter((backup) => backup.databaseName === databaseName),
    unreadable,
    now: input.now,
  });
}

export const backups: DoctorCheck = {
  id: 'backups',
  title: 'Backups',
  area: 'backups',
  connection: 'none',
  run,
};
