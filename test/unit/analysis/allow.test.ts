import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../src/analysis/registry.js';
import { readAllowComments } from '../../../src/analysis/allow.js';
import { analyzeSql } from './helpers.js';

describe('-- astra:allow', () => {
  it('attaches to the statement right below its comment block', () => {
    const sql = `SELECT 1;
-- astra:allow drop-table the 0.8 gateway was the last to read it
-- and nothing else does
DROP TABLE IF EXISTS legacy;`;
    const allows = readAllowComments(sql, 'm.sql', RULE_IDS);
    expect(allows.problems).toEqual([]);
    expect([...allows.byStatementLine]).toEqual([[4, [{ line: 2, rule: 'drop-table', reason: 'the 0.8 gateway was the last to read it' }]]]);
  });

  it('is an input problem without a reason, with an unknown rule, or above no statement', () => {
    const sql = `-- astra:allow drop-table
DROP TABLE a;
-- astra:allow drop-tables because
DROP TABLE b;
-- astra:allow truncate it is empty

TRUNCATE c;`;
    expect(readAllowComments(sql, 'm.sql', RULE_IDS).problems).toEqual([
      'm.sql, line 1: "-- astra:allow drop-table" gives no reason; say why this is acceptable after the rule id',
      'm.sql, line 3: "-- astra:allow drop-tables" names no rule astra knows (see docs/rules/)',
      'm.sql, line 5: "-- astra:allow truncate" stands above no statement; put it on the line(s) right above the statement it is for',
    ]);
  });

  it('is not a comment inside a string', () => {
    const sql = `SELECT '
-- astra:allow drop-table no';
DROP TABLE a;`;
    const allows = readAllowComments(sql, 'm.sql', RULE_IDS);
    expect(allows.byStatementLine.size).toBe(0);
    expect(allows.problems).toEqual([]);
  });

  it('acknowledges only the rule it names, keeping the finding visible', () => {
    const analysis = analyzeSql(`-- astra:allow drop-table nothing reads it since 0.8
DROP TABLE IF EXISTS legacy;
TRUNCATE other;`);
    expect(analysis.findings.map((finding) => [finding.rule, finding.allowed])).toEqual([
      ['drop-table', 'nothing reads it since 0.8'],
      ['truncate', undefined],
    ]);
    expect(analysis.verdict).toBe('breaking');
  });

  it('works above a statement inside a DO block, and above the block', () => {
    const analysis = analyzeSql(`-- astra:allow truncate the queue is drained before upgrades
DO $$
BEGIN
  -- astra:allow drop-table superseded by jobs in 0.7
  DROP TABLE IF EXISTS old_jobs;
  TRUNCATE queue;
END
$$;`);
    expect(analysis.findings.map((finding) => [finding.rule, finding.line, finding.allowed])).toEqual([
      ['drop-table', 5, 'superseded by jobs in 0.7'],
      ['truncate', 6, 'the queue is drained before upgrades'],
    ]);
    expect(analysis.verdict).toBe('safe');
  });
});
