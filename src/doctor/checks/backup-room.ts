import { formatBytes } from '../../ui/format.js';
import { freeSpaceFor } from '../free-space.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

/** Below this many times the database size, a backup may not fit: fail. */
export const MINIMUM_ROOM_FACTOR = 1.2;
/** Below this, it fits, but not twice: warn. */
export const COMFORTABLE_ROOM_FACTOR = 2;

/**
 * Decides whether a backup fits. A custom-format dump is compressed, so the
 * database size is a generous upper bound for one backup.
 */
export function judgeBackupRoom(databaseBytes: number, freeBytes: number, backupDir: string): CheckOutcome {
  const detail = `database ${formatBytes(databaseBytes)}, ${formatBytes(freeBytes)} free for backups in ${backupDir}`;
  const fix = `Free space in ${backupDir} (astra backup prune removes old backups), or point --backup-dir (ASTRA_BACKUP_DIR) at a larger disk.`;
  if (freeBytes < databaseBytes * MINIMUM_ROOM_FACTOR) {
    return { status: 'fail', detail: `${detail}: less than ${MINIMUM_ROOM_FACTOR}× the database, so the backup before an upgrade may not fit`, fix };
  }
  if (freeBytes < databaseBytes * COMFORTABLE_ROOM_FACTOR) {
    return { status: 'warn', detail: `${detail}: room for one backup, but less than ${COMFORTABLE_ROOM_FACTOR}× the database`, fix };
  }
  return { status: 'ok', detail };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { rows } = await db.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
  const free = await freeSpaceFor(input.backupDir);
  return judgeBackupRoom(Number(rows[0]?.bytes ?? 0), free.bytes, input.backupDir);
}

export const backupRoom: DoctorCheck = {
  id: 'backup-room',
  title: 'Room for a backup',
  area: 'backups',
  connection: 'needs',
  run,
};
