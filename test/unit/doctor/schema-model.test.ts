import { describe, expect, it } from 'vitest';
import { appliedStatements } from '../../../src/doctor/checks/schema-drift.js';
import { expectedSchema, typeText } from '../../../src/doctor/schema-model.js';
import { schemaFromStored, storedSchema } from '../../../src/doctor/stored-schema.js';
import { ledgerRow, migration } from './helpers.js';

async function model(...sqls: string[]) {
  const migrations = await Promise.all(sqls.map((sql, index) => migration(index + 1, `00${index + 1}-m.sql`, sql)));
  return expectedSchema(
    appliedStatements(
      migrations,
      migrations.map((m) => ledgerRow(m)),
    ),
    'public',
  );
}

const columnsOf = (schema: Awaited<ReturnType<typeof model>>, table: string) => [...(schema.tables.get(table)?.columns.keys() ?? [])];

describe('expectedSchema', () => {
  it('takes tables, columns and named indexes from CREATE TABLE, CREATE INDEX and ADD COLUMN', async () => {
    const schema = await model(
      'CREATE TABLE items (id bigserial PRIMARY KEY, code text NOT NULL); CREATE INDEX items_code_idx ON items (code);',
      'ALTER TABLE items ADD COLUMN checked_at timestamptz; CREATE INDEX ON items (checked_at);',
    );
    expect(columnsOf(schema, 'public.items')).toEqual(['id', 'code', 'checked_at']);
    expect(schema.tables.get('public.items')?.columns.get('checked_at')?.origin.file).toBe('002-m.sql');
    // An index without a name gets one from the server: nothing to look for by name.
    expect([...schema.indexes.keys()]).toEqual(['public.items_code_idx']);
    expect(schema.indexes.get('public.items_code_idx')).toMatchObject({ table: 'public.items', columns: ['code'] });
  });

  it('does not expect what a later migration dropped or renamed', async () => {
    const schema = await model(
      'CREATE TABLE a (id int, old text, gone text); CREATE TABLE b (id int); CREATE INDEX a_gone_idx ON a (gone); CREATE INDEX a_id_idx ON a (id);',
      'ALTER TABLE a DROP COLUMN gone; DROP TABLE IF EXISTS b; ALTER TABLE a RENAME COLUMN old TO new; ALTER INDEX a_id_idx RENAME TO a_id_key; ALTER TABLE a RENAME TO c;',
    );
    expect([...schema.tables.keys()]).toEqual(['public.c']);
    expect(columnsOf(schema, 'public.c')).toEqual(['id', 'new']);
    // Dropping a column drops the indexes on it.
    expect([...schema.indexes.keys()]).toEqual(['public.a_id_key']);
    expect(schema.indexes.get('public.a_id_key')?.table).toBe('public.c');
  });

  it('follows schemas: qualified names, SET SCHEMA and DROP SCHEMA', async () => {
    const schema = await model(
      'CREATE SCHEMA app; CREATE TABLE app.t (id int); CREATE INDEX t_id_idx ON app.t (id); CREATE TABLE moved (id int); CREATE INDEX moved_idx ON moved (id);',
      'ALTER TABLE moved SET SCHEMA app; CREATE SCHEMA scratch; CREATE TABLE scratch.x (id int);',
      'DROP SCHEMA scratch CASCADE;',
    );
    expect([...schema.tables.keys()].sort()).toEqual(['app.moved', 'app.t']);
    expect([...schema.indexes.keys()].sort()).toEqual(['app.moved_idx', 'app.t_id_idx']);
  });

  it('keeps the first definition under IF NOT EXISTS and the new type after ALTER COLUMN TYPE', async () => {
    const schema = await model('CREATE TABLE t (id int, n int);', 'CREATE TABLE IF NOT EXISTS t (other text); ALTER TABLE t ALTER COLUMN n TYPE bigint;');
    expect(columnsOf(schema, 'public.t')).toEqual(['id', 'n']);
    expect(schema.tables.get('public.t')?.columns.get('n')?.type).toBe('pg_catalog.int8');
  });

  it('leaves out temporary tables, migrations not applied, and changed files', async () => {
    const one = await migration(1, '001-a.sql', 'CREATE TEMP TABLE scratch (id int); CREATE TABLE kept (id int);');
    const two = await migration(2, '002-b.sql', 'CREATE TABLE pending (id int);');
    const three = await migration(3, '003-c.sql', 'CREATE TABLE edited (id int);');
    const schema = expectedSchema(appliedStatements([one, two, three], [ledgerRow(one), ledgerRow(three, { checksum: 'other' })]), 'public');
    expect([...schema.tables.keys()]).toEqual(['public.kept']);
  });

  it('counts only the statements an unfinished migration got through', async () => {
    const one = await migration(1, '001-a.sql', 'CREATE TABLE a (id int); CREATE INDEX CONCURRENTLY a_id_idx ON a (id); CREATE TABLE b (id int);');
    const schema = expectedSchema(appliedStatements([one], [ledgerRow(one, { dirty: true, nextStatement: 1 })]), 'public');
    expect([...schema.tables.keys()]).toEqual(['public.a']);
    expect(schema.indexes.size).toBe(0);
  });
});

describe('typeText', () => {
  it('writes types as to_regtype reads them, serials as their integer types', async () => {
    const [m] = [await migration(1, '001-t.sql', 'CREATE TABLE t (a serial, b varchar(20)[], c timestamptz, d bigserial, e int);')];
    const types = (m.statements[0]!.node.tableElts as { ColumnDef: { typeName: unknown } }[]).map((element) => typeText(element.ColumnDef.typeName));
    expect(types).toEqual(['pg_catalog.int4', 'pg_catalog.varchar[]', 'timestamptz', 'pg_catalog.int8', 'pg_catalog.int4']);
  });
});

describe('storedSchema and schemaFromStored', () => {
  it('keep a model as JSON and give the same model back, each statement text once', async () => {
    const schema = await model(
      'CREATE TABLE items (id bigserial PRIMARY KEY, code text NOT NULL, tags text[]); CREATE INDEX items_code_idx ON items (code);',
      'ALTER TABLE items ADD COLUMN checked_at timestamptz; ALTER TABLE outside ADD COLUMN note text; ALTER TABLE items ADD COLUMN odd pg_catalog.int4 [];',
    );
    const stored = storedSchema(schema);
    const text = JSON.stringify(stored);
    expect(text.split('CREATE TABLE items').length - 1).toBe(1);
    expect(schemaFromStored(JSON.parse(text))).toEqual(schema);
    // A table only altered has no origin; it comes back without one.
    expect(schemaFromStored(JSON.parse(text))?.tables.get('public.outside')?.origin).toBeUndefined();
  });

  it.each([
    ['nothing', null],
    ['another kind of entry', [{ index: 0, text: 'SELECT 1' }]],
    ['an origin out of range', { origins: [], tables: [['public.a', 'public', 'a', 0, []]], indexes: [] }],
    [
      'a column without an origin',
      { origins: [{ version: 1, file: 'f', statement: 's' }], tables: [['public.a', 'public', 'a', 0, [['id', 'int', 5]]]], indexes: [] },
    ],
    [
      'an index whose columns are not names',
      { origins: [{ version: 1, file: 'f', statement: 's' }], tables: [], indexes: [['public.i', 'public', 'i', 'public.a', [1], 0]] },
    ],
    ['an origin without a file', { origins: [{ version: 1, statement: 's' }], tables: [], indexes: [] }],
  ])('refuse %s', (_label, value) => {
    expect(schemaFromStored(value)).toBeUndefined();
  });
});
