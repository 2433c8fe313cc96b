import { describe, expect, it } from 'vitest';
import { splitStatements, statementKind, UnclosedSqlError } from '../../../src/clickhouse/statements.js';

const texts = (sql: string) => splitStatements(sql).map((statement) => statement.text);

describe('splitStatements', () => {
  it('cuts at semicolons, trimming each statement and leaving out its semicolon', () => {
    expect(splitStatements('SELECT 1;\n  SELECT 2 ;\n')).toEqual([
      { text: 'SELECT 1', line: 1 },
      { text: 'SELECT 2', line: 2 },
    ]);
  });

  it('takes a last statement without a semicolon', () => {
    expect(splitStatements('SELECT 1;\nSELECT 2\n\n')).toEqual([
      { text: 'SELECT 1', line: 1 },
      { text: 'SELECT 2', line: 2 },
    ]);
  });

  it('gives each statement the line of its first token', () => {
    const sql = [
      '-- users',
      '',
      'CREATE TABLE a (id UInt64)',
      'ENGINE = MergeTree ORDER BY id;',
      '',
      '/* two',
      'lines */ SELECT',
      "  'x;",
      "y';",
      'SELECT 3; SELECT 4;',
    ].join('\n');
    expect(splitStatements(sql).map((statement) => statement.line)).toEqual([3, 7, 10, 10]);
  });

  it('does not cut at a semicolon in a string, escaped either way', () => {
    expect(texts("SELECT 'a;b', 'it''s; fine', 'it\\'s; fine', 'back\\\\';SELECT 2")).toEqual([
      "SELECT 'a;b', 'it''s; fine', 'it\\'s; fine', 'back\\\\'",
      'SELECT 2',
    ]);
  });

  it('does not cut at a semicolon in a quoted identifier', () => {
    expect(texts('SELECT 1 AS "a;""b", 2 AS `c;``d`, 3 AS `e\\`;f`; SELECT 2')).toEqual(['SELECT 1 AS "a;""b", 2 AS `c;``d`, 3 AS `e\\`;f`', 'SELECT 2']);
  });

  it('does not cut at a semicolon in a comment, and keeps comments after the first token', () => {
    const sql = "SELECT 1 -- one; still a comment\n, 2 /* two; */ , '--' // three;\n# four;\n, 3;\nSELECT 5";
    expect(texts(sql)).toEqual(["SELECT 1 -- one; still a comment\n, 2 /* two; */ , '--' // three;\n# four;\n, 3", 'SELECT 5']);
  });

  it('leaves comments before the first token out, and statements of nothing but comments', () => {
    expect(splitStatements('-- header\n/* about a */\nCREATE TABLE a (id UInt8) ENGINE = Memory;\n-- the end;\n/* ; */ ;;\n# done\n')).toEqual([
      { text: 'CREATE TABLE a (id UInt8) ENGINE = Memory', line: 3 },
    ]);
    expect(splitStatements('-- nothing here\n;\n')).toEqual([]);
    expect(splitStatements('')).toEqual([]);
  });

  it('reads nested block comments as one', () => {
    expect(texts('/* outer /* inner; */ still outer; */ SELECT 1; SELECT /* a /* b */ c; */ 2')).toEqual(['SELECT 1', 'SELECT /* a /* b */ c; */ 2']);
    // The opening of a comment is not also its end.
    expect(texts('/*/ ; */ SELECT 1')).toEqual(['SELECT 1']);
  });

  it('takes # as a comment only before a space or !, as ClickHouse does', () => {
    expect(texts('#!/usr/bin/clickhouse-local\nSELECT 1 # one;\n;SELECT a#b; SELECT 2')).toEqual(['SELECT 1 # one;', 'SELECT a#b', 'SELECT 2']);
  });

  it('does not cut at a semicolon in a heredoc', () => {
    expect(texts('SELECT $$a;b$$, $tag$c;$$;d$tag$; SELECT 2')).toEqual(['SELECT $$a;b$$, $tag$c;$$;d$tag$', 'SELECT 2']);
    // A $ inside a word, or without its closing heredoc, opens nothing.
    expect(texts('SELECT a$b$; SELECT $x$; SELECT 3')).toEqual(['SELECT a$b$', 'SELECT $x$', 'SELECT 3']);
  });

  it('reads CRLF files', () => {
    const statements = splitStatements('-- header\r\nSELECT 1\r\n  -- one\r\n;\r\nSELECT\r\n  2;\r\n');
    expect(statements).toEqual([
      { text: 'SELECT 1\r\n  -- one', line: 2 },
      { text: 'SELECT\r\n  2', line: 5 },
    ]);
  });

  it('refuses a string, identifier or block comment left open, naming its line', () => {
    expect(() => splitStatements("SELECT 1;\nSELECT 'abc;\n")).toThrow('the string opened on line 2 is not closed by the end of the file');
    expect(() => splitStatements("SELECT 'it\\';")).toThrow('the string opened on line 1');
    expect(() => splitStatements('\n\nSELECT "a;')).toThrow('the quoted identifier ("…") opened on line 3');
    expect(() => splitStatements('SELECT `a;')).toThrow('the quoted identifier (`…`) opened on line 1');
    expect(() => splitStatements('SELECT 1;\n/* a\n/* b */\n')).toThrow('the block comment opened on line 2');
    const error = (() => {
      try {
        splitStatements('SELECT 1;\n\nSELECT 2 /* ;');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(UnclosedSqlError);
    expect(error).toMatchObject({ line: 3 });
  });

  it('splits a migration of a table, its daily rollup and the view that fills it', () => {
    const sql = `-- Token usage of the LLM calls, and a daily rollup.

CREATE TABLE IF NOT EXISTS llm_usage
(
    at DateTime,
    model LowCardinality(String),
    prompt_tokens UInt32,
    completion_tokens UInt32,
    note String DEFAULT '' -- free text; may hold ';'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (model, at);

CREATE TABLE IF NOT EXISTS llm_usage_daily
(
    day Date,
    model LowCardinality(String),
    prompt_tokens UInt64,
    completion_tokens UInt64
)
ENGINE = SummingMergeTree
ORDER BY (model, day);

/* Fills the rollup from every insert into llm_usage; it does not backfill. */
CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv TO llm_usage_daily AS
SELECT
    toDate(at) AS day,
    model,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens
FROM llm_usage
GROUP BY day, model;
`;
    const statements = splitStatements(sql);
    expect(statements.map((statement) => statement.line)).toEqual([3, 15, 26]);
    expect(statements.map((statement) => statementKind(statement.text))).toEqual(['CREATE TABLE', 'CREATE TABLE', 'CREATE MATERIALIZED VIEW']);
    expect(statements[0]!.text).toMatch(/^CREATE TABLE IF NOT EXISTS llm_usage\n[\s\S]*ORDER BY \(model, at\)$/);
    expect(statements[0]!.text).toContain("-- free text; may hold ';'");
    expect(statements[1]!.text).toMatch(/^CREATE TABLE IF NOT EXISTS llm_usage_daily\n[\s\S]*ENGINE = SummingMergeTree\nORDER BY \(model, day\)$/);
    expect(statements[2]!.text).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv TO llm_usage_daily AS\nSELECT[\s\S]*GROUP BY day, model$/);
  });
});

describe('statementKind', () => {
  it('names a statement by its first keywords, upper-cased', () => {
    expect(statementKind('select 1')).toBe('SELECT');
    expect(statementKind('INSERT INTO t VALUES (1)')).toBe('INSERT');
    expect(statementKind('OPTIMIZE TABLE t FINAL')).toBe('OPTIMIZE');
    expect(statementKind('RENAME TABLE a TO b')).toBe('RENAME');
    expect(statementKind('TRUNCATE TABLE t')).toBe('TRUNCATE');
    expect(statementKind('WITH 1 AS x SELECT x')).toBe('WITH');
  });

  it('names the kind of object for CREATE, ALTER, DROP, ATTACH and DETACH', () => {
    expect(statementKind('CREATE TABLE t (id UInt8) ENGINE = Memory')).toBe('CREATE TABLE');
    expect(statementKind('create materialized view v TO t AS SELECT 1')).toBe('CREATE MATERIALIZED VIEW');
    expect(statementKind('CREATE OR REPLACE TEMPORARY TABLE t (id UInt8)')).toBe('CREATE OR REPLACE TEMPORARY TABLE');
    expect(statementKind('ALTER TABLE t ADD COLUMN c String')).toBe('ALTER TABLE');
    expect(statementKind('DROP TABLE IF EXISTS t')).toBe('DROP TABLE');
    expect(statementKind('DROP DATABASE d')).toBe('DROP DATABASE');
    expect(statementKind('DETACH DICTIONARY d')).toBe('DETACH DICTIONARY');
    // No kind of object within reach: the verb alone.
    expect(statementKind('CREATE something_else x')).toBe('CREATE');
  });

  it('skips comments before the first keyword, and stops at what is not a word', () => {
    expect(statementKind('-- a\n/* b /* c */ */ # d\n  create /* e */ table t')).toBe('CREATE TABLE');
    expect(statementKind('(SELECT 1)')).toBe('');
    expect(statementKind('-- only a comment')).toBe('');
  });
});
