import { describe, expect, it } from 'vitest';
import { appliedStatements, judgeDrift } from '../../../src/doctor/checks/schema-drift.js';
import { findDrift, schemasOf, type ActualSchema } from '../../../src/doctor/schema-drift-compare.js';
import { expectedSchema } from '../../../src/doctor/schema-model.js';
import { ledgerRow, migration } from './helpers.js';

async function expected() {
  const one = await migration(
    1,
    '001-items.sql',
    'CREATE TABLE items (id bigserial PRIMARY KEY, code text NOT NULL); CREATE INDEX items_code_idx ON items (code);',
  );
  const two = await migration(2, '002-note.sql', 'ALTER TABLE items ADD COLUMN note text;');
  return expectedSchema(appliedStatements([one, two], [ledgerRow(one), ledgerRow(two)]), 'public');
}

const types = new Map<string, string | null>([
  ['pg_catalog.int8', 'bigint'],
  ['text', 'text'],
]);

function actual(columns: Record<string, string>, indexes: Record<string, string>): ActualSchema {
  return { tables: new Map([['public.items', new Map(Object.entries(columns))]]), indexes: new Map(Object.entries(indexes)) };
}

describe('findDrift', () => {
  it('finds nothing when the catalog holds what the migrations made', async () => {
    const model = await expected();
    expect(findDrift(model, actual({ id: 'bigint', code: 'text', note: 'text', extra: 'int' }, { 'public.items_code_idx': 'public.items' }), types)).toEqual(
      [],
    );
    expect(judgeDrift([], model)).toEqual({ status: 'ok', detail: '1 table, 3 columns and 1 index made by the applied migrations are in place' });
  });

  it('names each missing or changed object and the migration that made it', async () => {
    const model = await expected();
    const findings = findDrift(model, actual({ id: 'bigint', code: 'integer' }, {}), types);
    expect(findings.map((finding) => [finding.object, finding.problem, finding.origin.file])).toEqual([
      ['public.items.code', 'changed', '001-items.sql'],
      ['public.items.note', 'missing', '002-note.sql'],
      ['public.items_code_idx', 'missing', '001-items.sql'],
    ]);
    const outcome = judgeDrift(findings, model);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toBe(
      '3 objects the applied migrations made are gone or changed: column public.items.code is integer, created as text (001-items.sql); column public.items.note is missing (002-note.sql); index public.items_code_idx is missing (001-items.sql)',
    );
    expect(outcome.fix).toContain('CREATE INDEX items_code_idx ON items (code);');
  });

  it('reports a missing table once, not each of its columns', async () => {
    const model = await expected();
    const findings = findDrift(model, { tables: new Map(), indexes: new Map() }, types);
    expect(findings.map((finding) => `${finding.kind} ${finding.object}`)).toEqual(['table public.items', 'index public.items_code_idx']);
    expect(schemasOf(model)).toEqual(['public']);
  });

  it('does not compare a type the server does not know', async () => {
    const model = await expected();
    expect(
      findDrift(model, actual({ id: 'bigint', code: 'whatever', note: 'text' }, { 'public.items_code_idx': 'public.items' }), new Map([['text', null]])),
    ).toEqual([]);
  });
});
