import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFixture, analyzeSql, ruleFixtures } from './helpers.js';

/** The statements of a rule's err.sql, each on its own line. */
const errLines = (rule: string) =>
  readFileSync(join(ruleFixtures, rule, 'err.sql'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('--'));

describe('objects other than tables', () => {
  it.each(['drop-object', 'rename-object', 'move-object', 'revoke-privilege', 'refresh-materialized-view'])(
    '%s reports every statement of its err fixture, as breaking',
    (rule) => {
      const findings = analyzeFixture(rule, 'err.sql').findings.filter((finding) => finding.rule === rule);
      expect(findings.map((finding) => finding.statement)).toEqual(errLines(rule).map((line) => line.replace(/;$/, '')));
      for (const finding of findings) expect(finding.verdict).toBe('breaking');
    },
  );

  it('names the object and its kind, and warns of CASCADE', () => {
    const [view, schema] = analyzeSql('DROP VIEW billing.open_invoices;\nDROP SCHEMA reporting CASCADE;').findings.filter(
      (finding) => finding.rule === 'drop-object',
    );
    expect(view?.message).toContain('removes the view billing.open_invoices');
    expect(schema?.message).toContain('the schema reporting and everything in it, and CASCADE drops whatever depends on it');
    const [value] = analyzeSql("ALTER TYPE mood RENAME VALUE 'happy' TO 'glad';").findings;
    expect(value?.message).toContain("Renaming the value 'happy' of the enum mood to 'glad'");
  });

  it('lets an object pass that an earlier migration did not create but this one did, and not one CREATE OR REPLACE may have replaced', () => {
    expect(
      analyzeSql('CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nDROP FUNCTION f();').findings.filter((f) => f.rule === 'drop-object'),
    ).toEqual([]);
    expect(analyzeSql('CREATE OR REPLACE VIEW v AS SELECT 1;\nDROP VIEW v;').findings.filter((f) => f.rule === 'drop-object')).toHaveLength(1);
    // IF NOT EXISTS may have found the application's own schema there.
    expect(analyzeSql('CREATE SCHEMA IF NOT EXISTS reporting;\nDROP SCHEMA reporting CASCADE;').findings.filter((f) => f.rule === 'drop-object')).toHaveLength(
      1,
    );
    // Created by an earlier migration: the running application may use it.
    expect(analyzeSql('DROP VIEW v;', ['CREATE VIEW v AS SELECT 1;']).findings.filter((f) => f.rule === 'drop-object')).toHaveLength(1);
  });

  it('shows the lock a refresh takes: ACCESS EXCLUSIVE without CONCURRENTLY, EXCLUSIVE with it (reads pass)', () => {
    const [plain, concurrent] = analyzeSql('REFRESH MATERIALIZED VIEW counts;\nREFRESH MATERIALIZED VIEW CONCURRENTLY counts;').statements;
    expect(plain?.effects).toEqual([expect.objectContaining({ table: 'counts', lock: 'ACCESS EXCLUSIVE', rewrite: true })]);
    expect(concurrent?.effects).toEqual([expect.objectContaining({ table: 'counts', lock: 'EXCLUSIVE', rewrite: false, scan: false })]);
  });
});

describe('objects this migration created stay new under another name', () => {
  it('after RENAME or SET SCHEMA, dropping them passes; an object of an earlier migration renamed here does not', () => {
    const findings = (sql: string, earlier: string[] = []) =>
      analyzeSql(sql, earlier)
        .findings.filter((finding) => ['drop-object', 'drop-table', 'rename-object', 'move-object'].includes(finding.rule))
        .map((finding) => [finding.rule, finding.line]);
    expect(findings('CREATE VIEW v AS SELECT 1;\nALTER VIEW v RENAME TO w;\nDROP VIEW w;')).toEqual([]);
    expect(
      findings(
        'CREATE SCHEMA archive;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nALTER FUNCTION f() SET SCHEMA archive;\nDROP FUNCTION archive.f();',
      ),
    ).toEqual([]);
    expect(findings('CREATE TABLE t (id int);\nALTER TABLE t RENAME TO u;\nDROP TABLE u;')).toEqual([]);
    expect(findings('ALTER VIEW v RENAME TO w;\nDROP VIEW w;', ['CREATE VIEW v AS SELECT 1;'])).toEqual([
      ['rename-object', 1],
      ['drop-object', 2],
    ]);
  });
});

describe('what lint reports for locks the measured corpus found', () => {
  const rulesOf = (sql: string, earlier: string[] = []) => analyzeSql(sql, earlier).findings.map((finding) => [finding.rule, finding.verdict, finding.blocks]);

  it('a REINDEX without CONCURRENTLY blocks reads too: the index is locked ACCESS EXCLUSIVE', () => {
    // As written (astra's runner would run it CONCURRENTLY).
    const [finding] = analyzeSql('REINDEX TABLE t;', ['CREATE TABLE t (id int PRIMARY KEY);'], { concurrency: false }).findings;
    expect(finding).toMatchObject({ rule: 'index-not-concurrent', lock: 'SHARE', blocks: 'reads+writes', verdict: 'breaking' });
    expect(finding?.message).toContain('so does every query on t');
  });

  it('REINDEX SCHEMA runs outside the transaction, and without CONCURRENTLY it fails lint', () => {
    const analysis = analyzeSql('REINDEX SCHEMA public;', ['CREATE TABLE t (id int PRIMARY KEY);']);
    expect(analysis.statements[0]?.outsideTransaction).toBe('REINDEX SCHEMA');
    expect(analysis.statements[0]?.effects).toEqual([expect.objectContaining({ table: 't', lock: 'SHARE', blocks: 'reads+writes' })]);
    expect(rulesOf('REINDEX SCHEMA public;')).toEqual([['index-not-concurrent', 'breaking', 'none']]);
    expect(rulesOf('REINDEX SCHEMA CONCURRENTLY public;')).toEqual([]);
  });

  it('ALTER DOMAIN ... ADD CONSTRAINT checks every table with a column of the domain under SHARE; NOT VALID does not', () => {
    const earlier = ['CREATE DOMAIN posint AS int;\nCREATE TABLE d (id int, v posint);'];
    expect(rulesOf('ALTER DOMAIN posint ADD CONSTRAINT positive CHECK (VALUE > 0);', earlier)).toEqual([['blocking-table-scan', 'breaking', 'writes']]);
    expect(rulesOf('ALTER DOMAIN posint ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;', earlier)).toEqual([]);
  });

  it('ALTER SEQUENCE writes the sequence anew, which is not a blocking rewrite; ALTER INDEX ... SET TABLESPACE is', () => {
    expect(rulesOf('ALTER SEQUENCE s RESTART WITH 100;', ['CREATE SEQUENCE s;'])).toEqual([]);
    const [moved] = analyzeSql('ALTER INDEX t_a_idx SET TABLESPACE fast;', ['CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);']).findings;
    expect(moved).toMatchObject({ rule: 'blocking-table-scan', table: 't', lock: null, blocks: 'reads+writes' });
    expect(moved?.message).toContain('while holding ACCESS EXCLUSIVE on one of its indexes');
  });

  it('a partitioned table: statements reach its partitions, a new partition checks the DEFAULT one, dropping a partition locks the parent', () => {
    const earlier = [
      'CREATE TABLE pt (id int, k int) PARTITION BY RANGE (k);\nCREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (10);\nCREATE TABLE pt_def PARTITION OF pt DEFAULT;',
    ];
    const effects = (sql: string) => analyzeSql(sql, earlier).statements[0]?.effects.map((effect) => [effect.table, effect.lock, effect.rewrite]);
    expect(effects('TRUNCATE pt;')).toEqual([
      ['pt', 'ACCESS EXCLUSIVE', false],
      ['pt_1', 'ACCESS EXCLUSIVE', true],
      ['pt_def', 'ACCESS EXCLUSIVE', true],
    ]);
    expect(effects('CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (10) TO (20);')).toContainEqual(['pt_def', 'ACCESS EXCLUSIVE', false]);
    expect(effects('DROP TABLE pt_1;')).toEqual([
      ['pt_1', 'ACCESS EXCLUSIVE', false],
      ['pt', 'ACCESS EXCLUSIVE', false],
    ]);
    expect(effects('ALTER TABLE ONLY pt ADD COLUMN note text;')).toEqual([['pt', 'ACCESS EXCLUSIVE', false]]);
  });

  it('a type change between timestamp and timestamptz rewrites unless the session is in UTC (a SET earlier in the migration)', () => {
    const earlier = ['CREATE TABLE t (ts timestamp);'];
    const rewrites = (sql: string) => analyzeSql(sql, earlier).statements.flatMap((statement) => statement.effects.map((effect) => effect.rewrite));
    expect(rewrites('ALTER TABLE t ALTER COLUMN ts TYPE timestamptz;')).toEqual([true]);
    expect(rewrites("SET LOCAL TimeZone = 'UTC';\nALTER TABLE t ALTER COLUMN ts TYPE timestamptz;")).toEqual([false]);
    expect(rewrites("SET TIME ZONE 'Europe/Paris';\nALTER TABLE t ALTER COLUMN ts TYPE timestamptz;")).toEqual([true]);
  });

  it('a data-modifying WITH query writes its table; MERGE writes its target and reads its source', () => {
    const effects = (sql: string) => analyzeSql(sql).statements[0]?.effects.map((effect) => [effect.table, effect.lock]);
    expect(effects('WITH gone AS (DELETE FROM t WHERE id = 1 RETURNING id) SELECT count(*) FROM gone;')).toEqual([['t', 'ROW EXCLUSIVE']]);
    expect(effects('MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 0;')).toEqual([
      ['t', 'ROW EXCLUSIVE'],
      ['s', 'ACCESS SHARE'],
    ]);
  });
});

describe('functions are named with their argument types, as the server tells overloads apart', () => {
  const dropFindings = (sql: string, earlier: string[] = []) => analyzeSql(sql, earlier).findings.filter((finding) => finding.rule === 'drop-object');

  it('names the overload a DROP removes', () => {
    const [finding] = dropFindings('DROP FUNCTION billing.total(int, varchar(10));');
    expect(finding?.message).toContain('billing.total(int4, varchar)');
  });

  it('lets a function made here be dropped, not another overload of its name; without arguments, the name matches', () => {
    const made = 'CREATE FUNCTION total(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;\n';
    expect(dropFindings(`${made}DROP FUNCTION total(integer);`)).toEqual([]);
    expect(dropFindings(`${made}DROP FUNCTION total;`)).toEqual([]);
    expect(dropFindings(`${made}DROP FUNCTION total(text);`)).toHaveLength(1);
    // OUT parameters are not part of its identity.
    expect(dropFindings('CREATE FUNCTION pair(a int, OUT b int) LANGUAGE sql AS $$ SELECT a $$;\nDROP FUNCTION pair(int);')).toEqual([]);
  });

  it('follows a function made here through RENAME and SET SCHEMA, arguments and all', () => {
    const made = 'CREATE FUNCTION total(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;\n';
    expect(dropFindings(`${made}ALTER FUNCTION total(int) RENAME TO sum_of;\nDROP FUNCTION sum_of(int);`)).toEqual([]);
    expect(dropFindings(`${made}ALTER FUNCTION total SET SCHEMA archive;\nDROP FUNCTION archive.total(int);`)).toEqual([]);
    expect(dropFindings(`${made}ALTER FUNCTION total(int) RENAME TO sum_of;\nDROP FUNCTION total(int);`)).toHaveLength(1);
  });
});

describe('what a statement reaches beyond what it names', () => {
  const partitioned = [
    'CREATE TABLE pt (id int, k int) PARTITION BY RANGE (k);\nCREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (10);\nCREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (10) TO (20);',
  ];
  const rules = (sql: string, earlier = partitioned) => analyzeSql(sql, earlier).findings.map((finding) => [finding.rule, finding.table, finding.verdict]);

  it('is covered by the finding on the statement: one finding for a partitioned table, and its acknowledgement covers the partitions', () => {
    expect(rules('ALTER TABLE pt ALTER COLUMN id TYPE bigint;')).toEqual([['column-type-rewrite', 'pt', 'breaking']]);
    const allowed = analyzeSql('-- astra:allow column-type-rewrite the table is empty\nALTER TABLE pt ALTER COLUMN id TYPE bigint;', partitioned);
    expect(allowed.verdict).toBe('safe');
    expect(rules('TRUNCATE pt;')).toEqual([['truncate', 'pt', 'breaking']]);
  });

  it('does not reach the partitions with what changes the partitioned table alone', () => {
    const effects = (sql: string) => analyzeSql(sql, partitioned).statements[0]?.effects.map((effect) => effect.table);
    expect(effects('ALTER TABLE pt SET TABLESPACE fast;')).toEqual(['pt']);
    expect(effects('ALTER TABLE pt OWNER TO app;')).toEqual(['pt']);
    expect(effects('ALTER TABLE pt ADD COLUMN note text;')).toEqual(['pt', 'pt_1', 'pt_2']);
  });

  it('a foreign table has no rows here to rewrite or read; a sequence one row', () => {
    const earlier = ["CREATE FOREIGN TABLE ft (a int) SERVER files OPTIONS (filename '/dev/null');\nCREATE SEQUENCE s;"];
    expect(rules('ALTER FOREIGN TABLE ft ALTER COLUMN a TYPE bigint;', earlier)).toEqual([]);
    expect(rules('ALTER SEQUENCE s SET LOGGED;', earlier)).toEqual([]);
  });

  it('an index on a partitioned table with a foreign partition is run as written: breaking, not advice', () => {
    const earlier = [`${partitioned[0]}\nCREATE FOREIGN TABLE pt_f PARTITION OF pt FOR VALUES FROM (20) TO (30) SERVER files OPTIONS (filename '/dev/null');`];
    const [finding] = analyzeSql('CREATE INDEX pt_k_idx ON pt (k);', earlier).findings;
    expect(finding).toMatchObject({ rule: 'partitioned-index-unnamed', verdict: 'breaking', lock: 'SHARE', statement: 'CREATE INDEX pt_k_idx ON pt (k)' });
    expect(finding?.message).toContain('pt_f, a partition of pt, is a foreign table');
  });
});

describe('TRUNCATE names every table it empties', () => {
  it('CASCADE: the tables with foreign keys to it, in its one finding', () => {
    const earlier = ['CREATE TABLE orders (id int PRIMARY KEY);\nCREATE TABLE order_items (order_id int REFERENCES orders (id));'];
    const findings = analyzeSql('TRUNCATE orders CASCADE;', earlier).findings;
    expect(findings.map((finding) => finding.rule)).toEqual(['truncate']);
    expect(findings[0]?.message).toContain('It empties order_items too.');
  });
});
