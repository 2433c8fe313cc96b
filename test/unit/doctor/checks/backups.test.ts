import { describe, expect, it } from 'vitest';
import { judgeBackups, type BackupsView } from '../../../../src/doctor/checks/backups.js';
import type { BackupSummary } from '../../../../src/doctor/backup-catalog.js';
import { match } from '../../../helpers/matchers.js';

const now = new Date('2026-03-02T12:00:00Z');
const backup = (id: string, hoursAgo: number, verified: boolean | undefined): BackupSummary => ({
  id,
  createdAt: new Date(now.getTime() - hoursAgo * 3_600_000),
  databaseName: 'app',
  verification: verified === undefined ? undefined : { at: now.toISOString(), ok: verified, failedChecks: verified ? [] : ['checksum'] },
});
const view = (backups: BackupSummary[]): BackupsView => ({ backupDir: '/backups', databaseName: 'app', backups, unreadable: [], now });

describe('backups', () => {
  it('is ok with a verified backup younger than a day', () => {
    expect(judgeBackups(view([backup('b2', 30, undefined), backup('b1', 2, true)].reverse()))).toEqual({
      status: 'ok',
      detail: 'newest verified backup b1, 2 h old',
    });
  });

  it('warns with the command to run when there is none, none verified, or the newest verified is over a day old', () => {
    expect(judgeBackups(view([]))).toMatchObject({
      status: 'warn',
      detail: 'no backup of database "app" in /backups',
      fix: match.stringContaining('astra backup create'),
    });
    expect(judgeBackups(view([backup('b1', 1, false)]))).toMatchObject({
      status: 'warn',
      detail: '1 backup(s) of "app" but none verified: the newest, b1, is 1 h old, and its verification failed (checksum)',
    });
    expect(judgeBackups(view([backup('b2', 1, undefined), backup('b1', 50, true)]))).toMatchObject({
      status: 'warn',
      detail: 'the newest verified backup, b1, is 2 days old (over 24 h); a newer backup, b2, is not verified (astra backup verify b2)',
      fix: 'Take a fresh one: astra backup create, then astra backup verify <id>.',
    });
  });
});
