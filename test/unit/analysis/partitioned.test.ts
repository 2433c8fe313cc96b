import { describe, expect, it } from 'vitest';
import { analyzeSql } from './helpers.js';

const rulesOf = (sql: string, earlier: string[] = []) =>
  analyzeSql(sql, earlier)
    .findings.filter((finding) => finding.rule.startsWith('partitioned-index'))
    .map((finding) => finding.message);

/** The lines of `rule`'s findings in `sql`, after `earlier` migrations. */
const linesOf = (sql: string, rule: string, earlier: string[] = []) =>
  analyzeSql(sql, earlier)
    .findings.filter((finding) => finding.rule === rule)
    .map((finding) => finding.line);

describe('indexes on partitioned tables', () => {
  it('a table only altered so far is not known to be plain: its index depends on the table', () => {
    expect(rulesOf('CREATE INDEX events_x_idx ON events (x);', ['ALTER TABLE events ADD COLUMN x int;'])).toEqual([
      expect.stringContaining('Depends on the table: if events is partitioned'),
    ]);
  });

  it('ATTACH PARTITION in an earlier migration shows the table is partitioned, with that partition', () => {
    const [message] = rulesOf('CREATE INDEX events_at_idx ON events (at);', [
      "ALTER TABLE events ATTACH PARTITION events_2030 FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');",
    ]);
    expect(message).toContain('events is partitioned');
    expect(message).toContain('Partitions known to lint: events_2030 (events_2030_at_idx); any others are built the same way.');
  });

  it("names the partitions' indexes as the runner does, in another schema too", () => {
    const [message] = rulesOf('CREATE INDEX events_at_idx ON app.events (at);', [
      "CREATE TABLE app.events (at date NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    ]);
    expect(message).toContain('Partitions: app.events_2026 (events_2026_at_idx).');
  });

  it('lists what runs for a sub-partitioned table as the runner builds it: ON ONLY at each level, the leaves CONCURRENTLY, each attached', () => {
    const analysis = analyzeSql('CREATE INDEX events_at_idx ON events (at);', [
      [
        'CREATE TABLE events (at date NOT NULL, region text NOT NULL) PARTITION BY RANGE (at);',
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') PARTITION BY LIST (region);",
        "CREATE TABLE events_2026_eu PARTITION OF events_2026 FOR VALUES IN ('eu');",
      ].join('\n'),
    ]);
    expect(analysis.runs.flatMap((change) => change.runs)).toEqual([
      'CREATE INDEX "events_at_idx" ON ONLY "public"."events" (at)',
      'CREATE INDEX "events_2026_at_idx" ON ONLY "public"."events_2026" (at)',
      'CREATE INDEX CONCURRENTLY "events_2026_eu_at_idx" ON "public"."events_2026_eu" (at)',
      'ALTER INDEX "public"."events_2026_at_idx" ATTACH PARTITION "public"."events_2026_eu_at_idx"',
      'ALTER INDEX "public"."events_at_idx" ATTACH PARTITION "public"."events_2026_at_idx"',
    ]);
  });
});

describe('an object dropped and made again in the same transaction', () => {
  const dropObject = (sql: string) => linesOf(sql, 'drop-object');

  it('passes: a trigger or policy replaced is never missing for the application', () => {
    expect(
      dropObject(
        'DROP TRIGGER IF EXISTS touch ON users;\nCREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\nDROP POLICY own ON users;\nCREATE POLICY own ON users USING (true);',
      ),
    ).toEqual([]);
  });

  it('is reported when something of the migration runs outside its transaction, or what is made is another object', () => {
    expect(
      dropObject(
        'DROP TRIGGER touch ON users;\nCREATE INDEX CONCURRENTLY users_x_idx ON users (x);\nCREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();',
      ),
    ).toEqual([1]);
    expect(dropObject('DROP TRIGGER touch ON users;\nCREATE TRIGGER touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch();')).toEqual([1]);
  });
});

describe('review cases', () => {
  it('a view, sequence or schema dropped and made again, or a trigger dropped with CASCADE, is still breaking', () => {
    expect(linesOf('DROP VIEW v;\nCREATE VIEW v AS SELECT 1 AS id;', 'drop-object')).toEqual([1]);
    expect(linesOf('DROP SCHEMA reporting CASCADE;\nCREATE SCHEMA reporting;', 'drop-object')).toEqual([1]);
    expect(
      linesOf('DROP TRIGGER touch ON users CASCADE;\nCREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();', 'drop-object'),
    ).toEqual([1]);
  });

  it('a trigger replaced before an index build that runs outside the transaction passes: they commit together', () => {
    expect(
      linesOf(
        'DROP TRIGGER IF EXISTS touch ON orders;\nCREATE TRIGGER touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();\nCREATE INDEX orders_x ON orders (x);',
        'drop-object',
      ),
    ).toEqual([]);
  });

  it('a detach followed by an attach on the same table in the transaction, or of a partition made here, is not reported', () => {
    expect(
      linesOf(
        "ALTER TABLE events DETACH PARTITION events_default;\nCREATE TABLE events_2030 PARTITION OF events FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');\nALTER TABLE events ATTACH PARTITION events_default DEFAULT;",
        'detach-partition',
      ),
    ).toEqual([]);
    expect(linesOf('ALTER TABLE events DETACH PARTITION events_2026;', 'detach-partition')).toEqual([1]);
  });

  it('partitions known only from an ATTACH are said to be those lint knows, and no run list is made from them', () => {
    const analysis = analyzeSql(
      "ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');\nCREATE INDEX events_kind_idx ON events (kind);",
    );
    expect(analysis.findings.find((finding) => finding.rule === 'partitioned-index')?.message).toContain('Partitions known to lint: events_2027');
    expect(analysis.runs.filter((change) => change.written.includes('events_kind_idx'))).toEqual([
      expect.objectContaining({ runs: ['CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind)'] }),
    ]);
  });

  it("a schema created and renamed here is new under its new name; an old table renamed onto a new one's former name is not", () => {
    expect(linesOf('CREATE SCHEMA scratch;\nALTER SCHEMA scratch RENAME TO scratch2;\nDROP SCHEMA scratch2;', 'drop-object')).toEqual([]);
    expect(linesOf('CREATE TABLE t_tmp (id int);\nALTER TABLE t_tmp RENAME TO t2;\nALTER TABLE t RENAME TO t_tmp;\nDROP TABLE t_tmp;', 'drop-table')).toEqual([
      4,
    ]);
  });
});
