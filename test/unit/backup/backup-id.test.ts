import { describe, expect, it } from 'vitest';
import { isBackupId, newBackupId } from '../../../src/backup/backup-id.js';

describe('backup ids', () => {
  it('are the UTC start time to the second and six hex digits', () => {
    expect(newBackupId(new Date('2026-11-02T14:30:15.987Z'), 'a1b2c3')).toBe('20261102T143015Z-a1b2c3');
  });

  it('sort as their times do', () => {
    const ids = ['2026-11-02T14:30:15Z', '2026-01-09T23:59:59Z', '2027-03-01T00:00:00Z'].map((time) => newBackupId(new Date(time)));
    expect([...ids].sort()).toEqual([ids[1], ids[0], ids[2]]);
  });

  it('are told apart from other text, so no path can pass for one', () => {
    expect(isBackupId(newBackupId(new Date()))).toBe(true);
    expect(isBackupId('../../etc/passwd')).toBe(false);
    expect(isBackupId('20261102T143015Z-a1b2c3.json')).toBe(false);
    expect(isBackupId('20261102T143015Z')).toBe(false);
  });
});
