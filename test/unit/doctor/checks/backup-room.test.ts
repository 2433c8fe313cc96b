import { describe, expect, it } from 'vitest';
import { judgeBackupRoom } from '../../../../src/doctor/checks/backup-room.js';

const GB = 1024 ** 3;

describe('backup-room', () => {
  it('is ok with twice the database size free', () => {
    expect(judgeBackupRoom(10 * GB, 20 * GB, '/backups')).toEqual({ status: 'ok', detail: 'database 10.0 GB, 20.0 GB free for backups in /backups' });
  });

  it('warns under twice the size and fails under 1.2 times', () => {
    expect(judgeBackupRoom(10 * GB, 19 * GB, '/backups').status).toBe('warn');
    const tight = judgeBackupRoom(10 * GB, 11 * GB, '/backups');
    expect(tight.status).toBe('fail');
    expect(tight.fix).toContain('--backup-dir');
  });
});
