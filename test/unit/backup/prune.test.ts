import { describe, expect, it } from 'vitest';
import { backupsToPrune } from '../../../src/backup/prune.js';
import { manifestWith, thrownBy } from './helpers.js';

const at = (day: number, name = 'shop') =>
  manifestWith({
    id: `202601${String(day).padStart(2, '0')}T000000Z-000000`,
    createdAt: `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`,
    database: { name, host: 'db', port: 5432, user: 'app' },
  });

describe('backupsToPrune', () => {
  it('keeps the newest N and deletes the rest', () => {
    const doomed = backupsToPrune([at(1), at(3), at(2), at(4)], 2);
    expect(doomed.map((manifest) => manifest.createdAt.slice(0, 10)).sort()).toEqual(['2026-01-01', '2026-01-02']);
  });

  it('keeps the newest N of each database', () => {
    const doomed = backupsToPrune([at(1, 'shop'), at(2, 'shop'), at(3, 'crm')], 1);
    expect(doomed.map((manifest) => `${manifest.database.name} ${manifest.createdAt.slice(0, 10)}`)).toEqual(['shop 2026-01-01']);
  });

  it('deletes nothing when there are no more than N', () => {
    expect(backupsToPrune([at(1)], 3)).toEqual([]);
  });

  it.each([0, -1, 1.5])('refuses --keep %s as bad input', (keep) => {
    expect(thrownBy(() => backupsToPrune([at(1)], keep))).toMatchObject({ exitCode: 2 });
  });
});
