/** Rollback to a backup, and the choice of which backup: what the commands and the upgrade flow use. */
export { rollbackToBackup, DEFAULT_SESSION_WAIT_MS, DEFAULT_ROLLBACK_LOCK_WAIT_MS, type RollbackOptions, type RollbackResult } from './rollback.js';
export { rollbackCandidates } from './choose-backup.js';
export { rollbackTo, type RollbackToOptions } from './rollback-to.js';
