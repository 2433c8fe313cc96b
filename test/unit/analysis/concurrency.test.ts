import { describe, expect, it } from 'vitest';
import { insertAfterKeyword, planConcurrency, rewriteForConcurrency } from '../../../src/analysis/concurrency.js';
import { parseStatements } from '../../../src/migrations/parse.js';
import './helpers.js';
import { match } from '../../helpers/matchers.js';

const plan = (sql: string) => planConcurrency(parseStatements(sql, 'm.sql'));

describe('rewriteForConcurrency', () => {
  it('moves an index build on an existing table to the end, in its CONCURRENTLY form, outside the transaction', () => {
    const statements = rewriteForConcurrency(
      parseStatements(
        `ALTER TABLE items ADD COLUMN IF NOT EXISTS code text;
-- the lookup index
CREATE UNIQUE INDEX IF NOT EXISTS items_code_key ON items (code);
COMMENT ON TABLE items IS 'things';`,
        'm.sql',
      ),
    );
    expect(statements.map((statement) => [statement.index, statement.line, statement.text, statement.outsideTransaction])).toEqual([
      [0, 1, 'ALTER TABLE items ADD COLUMN IF NOT EXISTS code text', undefined],
      [1, 4, "COMMENT ON TABLE items IS 'things'", undefined],
      [2, 3, 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_code_key ON items (code)', 'CREATE INDEX CONCURRENTLY'],
    ]);
    expect(statements[2]!.node.concurrent).toBe(true);
  });

  it('rewrites DROP INDEX and REINDEX too, keeping their order', () => {
    const statements = rewriteForConcurrency(parseStatements('DROP INDEX IF EXISTS public.old_idx; REINDEX (VERBOSE) TABLE items; SELECT 1', 'm.sql'));
    expect(statements.map((statement) => [statement.text, statement.outsideTransaction])).toEqual([
      ['SELECT 1', undefined],
      ['DROP INDEX CONCURRENTLY IF EXISTS public.old_idx', 'DROP INDEX CONCURRENTLY'],
      ['REINDEX (VERBOSE) TABLE CONCURRENTLY items', 'REINDEX CONCURRENTLY'],
    ]);
  });

  it('leaves alone indexes on tables created earlier in the migration, and those already concurrent', () => {
    const sql = `CREATE TABLE IF NOT EXISTS a (id int);
CREATE INDEX IF NOT EXISTS a_id_idx ON a (id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS b_id_idx ON b (id);
DROP INDEX CASCADE_ME CASCADE;
DROP INDEX x_idx, y_idx;`;
    const result = plan(sql);
    expect(result.statements.map((statement) => statement.text)).toEqual(parseStatements(sql, 'm.sql').map((statement) => statement.text));
    expect(result.decisions).toEqual([]);
  });

  it.each([
    [
      'names the index',
      'CREATE INDEX IF NOT EXISTS items_code_idx ON items (code);\nCOMMENT ON INDEX items_code_idx IS $$x$$;',
      'names the index items_code_idx',
    ],
    [
      'drops a column of its table',
      'CREATE INDEX IF NOT EXISTS items_code_idx ON items (code);\nALTER TABLE items DROP COLUMN code;',
      'drops, renames or retypes items',
    ],
    [
      'relies on uniqueness through ON CONFLICT',
      'CREATE UNIQUE INDEX IF NOT EXISTS items_code_key ON items (code);\nINSERT INTO items (code) VALUES ($$a$$) ON CONFLICT (code) DO NOTHING;',
      'relies on the unique index',
    ],
    [
      'relies on uniqueness through a foreign key',
      'CREATE UNIQUE INDEX IF NOT EXISTS items_code_key ON items (code);\nCREATE TABLE IF NOT EXISTS tags (code text REFERENCES items (code));',
      'relies on the unique index',
    ],
    [
      'runs SQL lint cannot read',
      "CREATE INDEX IF NOT EXISTS items_code_idx ON items (code);\nDO $$ BEGIN EXECUTE 'SELECT ' || 1; END $$;",
      'SQL lint cannot read',
    ],
  ])('keeps the build in the transaction when a later statement %s, and says why', (_case, sql, why) => {
    const result = plan(sql);
    expect(result.statements.map((statement) => statement.text)).toEqual(parseStatements(sql, 'm.sql').map((statement) => statement.text));
    expect(result.decisions).toEqual([match.objectContaining({ moved: false, reason: match.stringContaining(why) })]);
    expect(result.decisions[0]!.reason).toContain('statement 2 (line 2)');
  });

  it('keeps a DROP INDEX that a later statement re-creates, and moves the new build', () => {
    const result = plan('DROP INDEX IF EXISTS items_code_idx;\nCREATE INDEX IF NOT EXISTS items_code_idx ON items (lower(code));');
    expect(result.statements.map((statement) => statement.text)).toEqual([
      'DROP INDEX IF EXISTS items_code_idx',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS items_code_idx ON items (lower(code))',
    ]);
  });
});

describe('insertAfterKeyword', () => {
  it('uses token positions: comments, quoted names and multi-byte text before the keyword do not move it', () => {
    expect(insertAfterKeyword('CREATE /* "INDEX" é */ UNIQUE INDEX "Index" ON t (a)', ['INDEX'], 'CONCURRENTLY')).toBe(
      'CREATE /* "INDEX" é */ UNIQUE INDEX CONCURRENTLY "Index" ON t (a)',
    );
  });
});

describe('rewriteForConcurrency applied twice', () => {
  it('changes nothing the second time', () => {
    const once = rewriteForConcurrency(
      parseStatements(
        'CREATE INDEX IF NOT EXISTS a_x_idx ON a (x);\nCREATE INDEX IF NOT EXISTS a_y_idx ON a (y);\nCOMMENT ON INDEX a_y_idx IS $$y$$;\nREINDEX TABLE b;',
        'm.sql',
      ),
    );
    expect(rewriteForConcurrency(once)).toEqual(once);
  });
});
