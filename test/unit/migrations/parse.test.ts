import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, parseStatements } from '../../../src/migrations/parse.js';
import { statementGroups } from '../../../src/migrations/apply.js';

beforeAll(() => loadParser());

describe('parseStatements', () => {
  it('splits with the real parser: semicolons in strings, dollar quotes and comments do not split', () => {
    const sql = `-- header; with a semicolon
CREATE TABLE t (note text DEFAULT 'a;b');
DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;
/* block; comment */ CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;
INSERT INTO t VALUES ('é;ü');
`;
    const statements = parseStatements(sql, 'x.sql');
    expect(statements.map((statement) => statement.kind)).toEqual(['CreateStmt', 'DoStmt', 'CreateFunctionStmt', 'InsertStmt']);
    expect(statements.map((statement) => statement.line)).toEqual([2, 3, 4, 5]);
    expect(statements[0]?.text).toBe("CREATE TABLE t (note text DEFAULT 'a;b')");
    expect(statements[3]?.text).toBe("INSERT INTO t VALUES ('é;ü')");
  });

  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY IF EXISTS i', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY i', 'REINDEX CONCURRENTLY'],
    ['VACUUM (ANALYZE) t', 'VACUUM'],
    ['CREATE DATABASE other', 'CREATE DATABASE'],
    ['ALTER SYSTEM SET work_mem = 1', 'ALTER SYSTEM'],
    ['CREATE INDEX i ON t (a)', undefined],
    ['ANALYZE t', undefined],
    ['REINDEX TABLE t', undefined],
  ])('%s runs outside a transaction: %s', (sql, reason) => {
    expect(parseStatements(sql, 'x.sql')[0]?.outsideTransaction).toBe(reason);
  });

  it('drops a BEGIN ... COMMIT wrapper around the whole file', () => {
    const statements = parseStatements('BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n', 'x.sql');
    expect(statements.map((statement) => statement.kind)).toEqual(['CreateStmt']);
    expect(statements[0]?.index).toBe(0);
  });

  it('refuses transaction control anywhere else, naming the line', () => {
    expect(() => parseStatements('CREATE TABLE a (id int);\nSAVEPOINT s;\n', 'x.sql')).toThrow('x.sql, line 2: "SAVEPOINT s" controls the transaction');
  });

  it('reports a syntax error with file and line as an input error', () => {
    try {
      parseStatements('SELECT 1;\n\nSELEC 2;', 'y.sql');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('y.sql, line 3: the SQL does not parse');
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});

describe('statementGroups', () => {
  it('keeps transactional runs together and puts each outside statement alone', () => {
    const statements = parseStatements('CREATE TABLE a (id int); ALTER TABLE a ADD b int; CREATE INDEX CONCURRENTLY i ON a (b); VACUUM a; COMMENT ON TABLE a IS $$x$$;', 'x.sql');
    expect(statementGroups(statements).map((group) => group.map((statement) => statement.index))).toEqual([[0, 1], [2], [3], [4]]);
  });
});
