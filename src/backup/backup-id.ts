import { randomBytes } from 'node:crypto';

/**
 * A backup id: the UTC time it was started, to the second, and six random hex
 * digits so that two backups started in one second differ, e.g.
 * `20261102T143015Z-a1b2c3`. Ids sort as their times do.
 */
const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

export function newBackupId(startedAt: Date, random: string = randomBytes(3).toString('hex')): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${random}`;
}

export function isBackupId(text: string): boolean {
  return BACKUP_ID.test(text);
}
