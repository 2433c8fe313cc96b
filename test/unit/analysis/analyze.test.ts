import { describe, expect, it } from 'vitest';
import { isWrappedInTransaction } from '../../../src/analysis/analyze.js';
import type { DatabaseFacts } from '../../../src/analysis/database-facts.js';
import { analyzeSql } from './helpers.js';
import { match } from '../../helpers/matchers.js';

const rulesOf = (sql: string, earlier: string[] = []) => analyzeSql(sql, earlier).findings.map((finding) => [finding.rule, finding.line, finding.table]);

describe('existing tables', () => {
  it('reports a statement on a table from an earlier migration, not on one created earlier in the same migration', () => {
    const create = 'CREATE TABLE IF NOT EXISTS orders (id int, total numeric);';
    expect(rulesOf('ALTER TABLE orders ALTER COLUMN total SET NOT NULL;', [create])).toEqual([['set-not-null', 1, 'orders']]);
    expect(rulesOf(`${create}\nALTER TABLE orders ALTER COLUMN total SET NOT NULL;`)).toEqual([]);
  });
});

describe('DO blocks', () => {
  it('judges the statements inside, at their own lines', () => {
    const sql = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'orders_customer_fkey') THEN
    ALTER TABLE orders ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
  END IF;
  EXECUTE 'ALTER TABLE orders RENAME COLUMN total TO amount';
  EXECUTE $sql$UPDATE orders SET amount = 0$sql$;
END
$$;`;
    expect(rulesOf(sql)).toEqual([
      ['constraint-without-not-valid', 4, 'orders'],
      ['rename-column', 6, 'orders'],
      ['whole-table-dml', 7, 'orders'],
    ]);
  });

  it('reads EXECUTE format() with %I, treating a computed name as an existing table', () => {
    const sql = `DO $$
DECLARE memory_table text := 'notes';
BEGIN
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (created_at)', memory_table || '_created_idx', memory_table);
  EXECUTE format('COMMENT ON TABLE %I IS %L', 'notes', 'user notes');
END
$$;`;
    expect(rulesOf(sql)).toEqual([['index-not-concurrent', 4, '{memory_table}']]);
  });

  it('reports EXECUTE of a computed string as SQL it cannot read', () => {
    const analysis = analyzeSql(`DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('x'); END $$;`);
    expect(analysis.findings.map((finding) => [finding.rule, finding.verdict])).toEqual([['dynamic-sql', 'breaking']]);
  });
});

describe('with database facts', () => {
  const facts = (rows: number): DatabaseFacts => ({
    serverMajor: 15,
    tables: new Map([
      [
        'orders',
        {
          rows,
          columns: new Map([
            ['total', { type: { name: 'numeric', typmods: [8, 2], array: false }, notNull: false }],
            ['code', { type: { name: 'varchar', typmods: [10], array: false }, notNull: false }],
          ]),
          checkedNotNull: new Map(),
        },
      ],
    ]),
    indexes: new Map(),
    volatility: new Map([['make_code', 'not volatile']]),
  });

  it('calls a blocking statement on a table of at most 10,000 rows safe, and says why', () => {
    const small = analyzeSql('ALTER TABLE orders ALTER COLUMN total SET NOT NULL;', [], { database: facts(500) });
    expect(small.findings).toEqual([
      match.objectContaining({ rule: 'set-not-null', verdict: 'safe', message: match.stringContaining('orders holds about 500 rows') }),
    ]);
    expect(small.verdict).toBe('safe');
    const large = analyzeSql('ALTER TABLE orders ALTER COLUMN total SET NOT NULL;', [], { database: facts(2_000_000) });
    expect(large.findings).toEqual([match.objectContaining({ rule: 'set-not-null', verdict: 'breaking' })]);
  });

  it('uses the column types and function volatility the database gives', () => {
    expect(analyzeSql('ALTER TABLE orders ALTER COLUMN code TYPE varchar(40);').findings.map((finding) => finding.rule)).toEqual(['column-type-rewrite']);
    expect(analyzeSql('ALTER TABLE orders ALTER COLUMN code TYPE varchar(40);', [], { database: facts(2_000_000) }).findings).toEqual([]);
    expect(analyzeSql('ALTER TABLE orders ADD COLUMN IF NOT EXISTS tag text DEFAULT make_code();').findings.map((finding) => finding.rule)).toEqual([
      'volatile-default',
    ]);
    expect(analyzeSql('ALTER TABLE orders ADD COLUMN IF NOT EXISTS tag text DEFAULT make_code();', [], { database: facts(2_000_000) }).findings).toEqual([]);
  });

  it('keeps drops breaking whatever the size', () => {
    expect(analyzeSql('DROP TABLE IF EXISTS orders;', [], { database: facts(3) }).verdict).toBe('breaking');
  });
});

describe('the statements as they run', () => {
  it('lists each with its effects, the moved index last and outside the transaction', () => {
    const analysis = analyzeSql('CREATE INDEX IF NOT EXISTS orders_total_idx ON orders (total);\nALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;');
    expect(
      analysis.statements.map((statement) => [
        statement.line,
        statement.text,
        statement.outsideTransaction,
        statement.movedOutside,
        statement.effects.map((effect) => [effect.table, effect.lock, effect.rewrite, effect.scan]),
      ]),
    ).toEqual([
      [2, 'ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text', undefined, false, [['orders', 'ACCESS EXCLUSIVE', false, false]]],
      [
        1,
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total_idx ON orders (total)',
        'CREATE INDEX CONCURRENTLY',
        true,
        [['orders', 'SHARE UPDATE EXCLUSIVE', false, true]],
      ],
    ]);
    expect(analysis.verdict).toBe('safe');
  });

  it('rewrites the table for any default before PostgreSQL 11', () => {
    expect(
      analyzeSql("ALTER TABLE orders ADD COLUMN IF NOT EXISTS state text DEFAULT 'new';", [], { serverMajor: 10 }).findings.map((finding) => finding.rule),
    ).toEqual(['volatile-default']);
  });
});

describe('isWrappedInTransaction', () => {
  it('sees a BEGIN ... COMMIT wrapper as written', () => {
    expect(isWrappedInTransaction('BEGIN;\nSELECT 1;\nCOMMIT;')).toBe(true);
    expect(isWrappedInTransaction('START TRANSACTION; SELECT 1; COMMIT')).toBe(true);
    expect(isWrappedInTransaction('SELECT 1;')).toBe(false);
  });
});

describe('statements already in the form astra runs', () => {
  it('are judged the same, and a wrapper is only blamed for CONCURRENTLY the file writes', async () => {
    const { rewriteForConcurrency } = await import('../../../src/analysis/concurrency.js');
    const { parseStatements } = await import('../../../src/migrations/parse.js');
    const sql =
      'BEGIN;\nCREATE INDEX IF NOT EXISTS orders_total_idx ON orders (total);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);\nCOMMIT;';
    const { analyzeMigrations } = await import('../../../src/analysis/analyze.js');
    const [asParsed] = analyzeMigrations([{ file: 'm.sql', sql, statements: parseStatements(sql, 'm.sql') }]);
    const [asRun] = analyzeMigrations([{ file: 'm.sql', sql, statements: rewriteForConcurrency(parseStatements(sql, 'm.sql')) }]);
    // orders is a table lint knows nothing about: whether it is partitioned decides how its indexes are built.
    expect(asParsed!.findings.map((finding) => [finding.rule, finding.line])).toEqual([
      ['partitioned-index', 2],
      ['partitioned-index', 3],
      ['concurrently-in-transaction', 3],
    ]);
    expect(asRun!.findings).toEqual(asParsed!.findings);
  });
});
