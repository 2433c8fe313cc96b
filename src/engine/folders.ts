import { resolve } from 'node:path';
import { packageRoot } from '../version.js';

/**
 * The folders a run works with, absolute: those given, else the migrations
 * and release notes shipped with astra, and ASTRA_BACKUP_DIR, else
 * ./.astra/backups. The CLI's flags and the library's options alike.
 */
export function resolveFolders(given: { migrationsDir?: string | undefined; releaseNotesDir?: string | undefined; backupDir?: string | undefined }): {
  migrationsDir: string;
  releaseNotesDir: string;
  backupDir: string;
} {
  return {
    migrationsDir: resolve(given.migrationsDir ?? resolve(packageRoot, 'migrations')),
    releaseNotesDir: resolve(given.releaseNotesDir ?? resolve(packageRoot, 'release-notes')),
    backupDir: resolve(given.backupDir ?? process.env.ASTRA_BACKUP_DIR ?? resolve('.astra', 'backups')),
  };
}
