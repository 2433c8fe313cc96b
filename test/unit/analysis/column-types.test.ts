import { describe, expect, it } from 'vitest';
import { typeChangeRewrites, type ColumnType } from '../../../src/analysis/column-types.js';
import { match } from '../../helpers/matchers.js';

const type = (name: string, typmods: number[] = [], array = false): ColumnType => ({ name, typmods, array });

describe('typeChangeRewrites', () => {
  it.each([
    ['varchar(10) → varchar(20)', type('varchar', [10]), type('varchar', [20])],
    ['varchar(10) → varchar', type('varchar', [10]), type('varchar')],
    ['varchar(10) → text', type('varchar', [10]), type('text')],
    ['text → varchar', type('text'), type('varchar')],
    ['numeric(8,2) → numeric(10,2)', type('numeric', [8, 2]), type('numeric', [10, 2])],
    ['numeric(8,2) → numeric', type('numeric', [8, 2]), type('numeric')],
    ['timestamp(0) → timestamp(3)', type('timestamp', [0]), type('timestamp', [3])],
    ['int4 → int4', type('int4'), type('int4')],
    ['cidr → inet', type('cidr'), type('inet')],
  ])('%s only relabels', (_name, from, to) => {
    expect(typeChangeRewrites(from, to, false).rewrite).toBe(false);
  });

  it.each([
    ['varchar(10) → varchar(5)', type('varchar', [10]), type('varchar', [5])],
    ['text → varchar(50)', type('text'), type('varchar', [50])],
    ['numeric(8,2) → numeric(10,3)', type('numeric', [8, 2]), type('numeric', [10, 3])],
    ['numeric(8,2) → numeric(6,2)', type('numeric', [8, 2]), type('numeric', [6, 2])],
    ['numeric → numeric(10,2)', type('numeric'), type('numeric', [10, 2])],
    ['int4 → int8', type('int4'), type('int8')],
    ['bpchar(5) → bpchar(10)', type('bpchar', [5]), type('bpchar', [10])],
    ['timestamp → timestamp(3)', type('timestamp'), type('timestamp', [3])],
    ['varchar(10)[] → text[]', type('varchar', [10], true), type('text', [], true)],
    ['json → jsonb', type('json'), type('jsonb')],
  ])('%s rewrites', (_name, from, to) => {
    expect(typeChangeRewrites(from, to, false).rewrite).toBe(true);
  });

  it('assumes a rewrite when the current type is unknown, and says so', () => {
    const change = typeChangeRewrites(undefined, type('text'), false);
    expect(change).toEqual({ rewrite: true, reason: match.stringContaining('not known') });
  });

  it('counts a USING expression as a rewrite', () => {
    expect(typeChangeRewrites(type('varchar', [10]), type('varchar', [20]), true).rewrite).toBe(true);
  });
});
