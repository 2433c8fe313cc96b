import { listBackups } from '../backup/folder.js';

/** What the backups check needs to know of one backup. */
export interface BackupSummary {
  id: string;
  createdAt: Date;
  databaseName: string;
  /** The last verification: undefined when never verified. */
  verification: { at: string; ok: boolean; failedChecks: string[] } | undefined;
}

/** The backups in `dir`, newest first, and the manifests that could not be read. */
export async function backupsIn(dir: string): Promise<{ backups: BackupSummary[]; unreadable: { file: string; problem: string }[] }> {
  const listing = await listBackups(dir);
  return {
    backups: listing.manifests.map((manifest) => ({
      id: manifest.id,
      createdAt: new Date(manifest.createdAt),
      databaseName: manifest.database.name,
      verification: manifest.verification
        ? { at: manifest.verification.at, ok: manifest.verification.ok, failedChecks: manifest.verification.failedChecks }
        : undefined,
    })),
    unreadable: listing.unreadable,
  };
}
