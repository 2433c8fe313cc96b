import { describe, expect, it } from 'vitest';
import { rollbackDatabaseNames, rollbackStamp } from '../../../src/rollback/rollback-names.js';

describe('rollbackDatabaseNames', () => {
  it('names the restored copy and the kept database after the database', () => {
    const stamp = rollbackStamp(new Date('2026-11-02T14:30:15.500Z'));
    expect(stamp).toBe('20261102143015');
    expect(rollbackDatabaseNames('shop', stamp)).toEqual({ restore: 'shop__restore_20261102143015', kept: 'shop__pre_rollback_20261102143015' });
  });

  it('shortens a long name so both fit in 63 bytes, multibyte characters whole', () => {
    const names = rollbackDatabaseNames(`${'é'.repeat(40)}`, '20261102143015');
    expect(Buffer.byteLength(names.kept)).toBeLessThanOrEqual(63);
    expect(Buffer.byteLength(names.restore)).toBeLessThanOrEqual(63);
    expect(names.kept).toMatch(/^é+__pre_rollback_20261102143015$/);
    expect(names.restore.split('__')[0]).toBe(names.kept.split('__')[0]);
  });
});
