/** The backup catalog: taking backups with pg_dump, listing, verifying and pruning them. Rollback is in src/rollback/. */
export { createBackup, type CreateBackupOptions } from './create.js';
export { verifyBackup, type VerifyOptions, type VerifyResult, type CheckResult } from './verify.js';
export { pruneBackups, type PruneResult } from './prune.js';
export { listBackups, readBackup, type BackupListing } from './folder.js';
export { backupListReport, chooseBackupFormat, type BackupListEntry, type BackupListReport } from './list-report.js';
export type { BackupManifest, BackupFormat, TableCount } from './manifest.js';
