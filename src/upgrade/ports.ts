import type { Database } from '../db/database.js';
import type { Migration } from '../migrations/load.js';
import type { ReleaseNotes } from '../release/notes.js';
import type { ChecklistItem } from './checks.js';

/** What the upgrade needs from the backup catalog. */
export interface BackupPort {
  /** Takes a verified backup of the database `db` is connected to; reports progress through `progress`. */
  create(
    db: Database,
    labels: { fromVersion: string | null; toVersion: string },
    progress: (line: string) => void,
  ): Promise<{ id: string; createdAt: string; file: string }>;
  /**
   * Restores that backup over the database, keeping the current one aside;
   * returns a sentence saying what now stands. `lockHeld` is the connection
   * that holds astra's run lock, which the restore uses (and may close);
   * without it, the restore takes the lock itself.
   */
  restore(backupId: string, progress: (line: string) => void, lockHeld?: Database): Promise<string>;
}

export interface DoctorReport {
  ok: boolean;
  checks: ChecklistItem[];
}

/**
 * The parts of other areas the upgrade flow calls, passed in so that the flow
 * can be read (and run in a dry run) without them.
 */
export interface UpgradePorts {
  backup: BackupPort;
  doctor(): Promise<DoctorReport>;
  /** Statements that the safety analysis finds breaking in migrations their release labels safe; null when no analysis ran. */
  labelViolations(migrations: Migration[], releases: ReleaseNotes[]): { file: string; line: number; rule: string; message: string }[] | null;
}
