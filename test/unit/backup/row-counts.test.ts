import { describe, expect, it } from 'vitest';
import { rowCountDifferences } from '../../../src/backup/row-counts.js';

describe('rowCountDifferences', () => {
  const expected = [
    { schema: 'public', name: 'users', rows: 3, estimated: false },
    { schema: 'public', name: 'events', rows: 2_500_000, estimated: true },
  ];

  it('is empty when the copy holds the recorded rows', () => {
    expect(
      rowCountDifferences(
        expected,
        new Map<string, number | 'present'>([
          ['public.users', 3],
          ['public.events', 'present'],
        ]),
      ),
    ).toEqual([]);
  });

  it('names each table that is missing or holds another count', () => {
    expect(rowCountDifferences(expected, new Map([['public.users', 2]]))).toEqual([
      'public.users has 2 rows, the backup recorded 3',
      'public.events is missing',
    ]);
  });
});
