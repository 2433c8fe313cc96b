/** Backups with pg_dump, their verification, and rollback: what the commands and the upgrade flow use. */
export { createBackup, type CreateBackupOptions } from './create.js';
export { verifyBackup, type VerifyOptions, type VerifyResult, type CheckResult } from './verify.js';
export { pruneBackups, type PruneResult } from './prune.js';
export { listBackups, readBackup, type BackupListing } from './folder.js';
export { rollbackToBackup, DEFAULT_SESSION_WAIT_MS, DEFAULT_ROLLBACK_LOCK_WAIT_MS, type RollbackOptions, type RollbackResult } from './rollback.js';
export { rollbackCandidates } from './choose-backup.js';
export type { BackupManifest, BackupFormat, TableCount } from './manifest.js';
