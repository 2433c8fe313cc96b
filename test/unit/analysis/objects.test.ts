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
