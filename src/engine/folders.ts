import { resolve } from 'node:path';
import { inputError } from '../errors.js';
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
  // An empty path would resolve to the working directory: backups written, or migrations read, wherever the command ran.
  for (const [key, flag] of [
    ['migrationsDir', '--migrations-dir'],
    ['releaseNotesDir', '--release-notes-dir'],
    ['backupDir', '--backup-dir'],
  ] as const) {
    if (given[key] !== undefined && given[key].trim() === '') {
      throw inputError(`${flag} (${key}) is an empty path.`, 'Give the folder, or leave the option out for the default.');
    }
  }
  return {
    migrationsDir: resolve(given.migrationsDir ?? resolve(packageRoot, 'migrations')),
    releaseNotesDir: resolve(given.releaseNotesDir ?? resolve(packageRoot, 'release-notes')),
    backupDir: resolve(given.backupDir ?? (process.env.ASTRA_BACKUP_DIR || resolve('.astra', 'backups'))),
  };
}
