import { describe, expect, it } from 'vitest';
import { clickhouseHits } from '../../../src/clickhouse/lint.js';
import { prefixChecksum, type ClickhouseMigration } from '../../../src/clickhouse/migrations.js';
import type { ClickhouseLedgerRow } from '../../../src/clickhouse/ledger.js';
import { planClickhouse } from '../../../src/clickhouse/runner.js';
import { splitStatements } from '../../../src/clickhouse/statements.js';

function migration(version: number, sql: string): ClickhouseMigration {
  return {
    version,
    name: `m${version}`,
    file: `00${version}_m${version}.sql`,
    style: 'plain',
    digits: `00${version}`,
    path: `/x/00${version}.sql`,
    checksum: `sum${version}`,
    statements: splitStatements(sql),
  };
}

function row(m: ClickhouseMigration, state: ClickhouseLedgerRow['state'], done = m.statements.length): ClickhouseLedgerRow {
  return {
    version: m.version,
    name: m.name,
    checksum: m.checksum,
    statements: m.statements.length,
    done,
    doneChecksum: prefixChecksum(m.statements, done),
    state,
    error: '',
    appliedAt: '',
    astraVersion: '',
  };
}

describe('planClickhouse', () => {
  const one = migration(1, 'CREATE TABLE a (x UInt8) ENGINE = Memory;');
  const two = migration(2, 'CREATE TABLE b (x UInt8) ENGINE = Memory; INSERT INTO b VALUES (1); INSERT INTO b VALUES (2);');

  it('plans what the ledger does not record as applied', () => {
    expect(planClickhouse('db', [one, two], [row(one, 'applied')]).pending.map((m) => m.version)).toEqual([2]);
  });

  it('resumes an unfinished migration at the statement after the last completed one', () => {
    const plan = planClickhouse('db', [one, two], [row(one, 'applied'), row(two, 'failed', 1)]);
    expect(plan.resume).toMatchObject({ from: 1 });
    expect(plan.pending.map((m) => m.version)).toEqual([2]);
  });

  it('refuses a resume when the completed statements were edited, a changed applied file, and a ledger row without its file', () => {
    const edited = migration(2, 'CREATE TABLE b (x UInt16) ENGINE = Memory; INSERT INTO b VALUES (1);');
    expect(() => planClickhouse('db', [one, edited], [row(one, 'applied'), row(two, 'failed', 1)])).toThrow(/were edited since/);
    expect(() => planClickhouse('db', [one], [{ ...row(one, 'applied'), checksum: 'other' }])).toThrow(/was changed after it was applied/);
    expect(() => planClickhouse('db', [one], [row(one, 'applied'), row(two, 'applied')])).toThrow(/does not have/);
  });

  it('refuses a migration added below applied ones', () => {
    expect(() => planClickhouse('db', [one, two], [row(two, 'applied')])).toThrow(/is not applied, and migrations after it are/);
  });
});

describe('ClickHouse lint rules', () => {
  const rules = (sql: string) => clickhouseHits(sql).map((hit) => `${hit.rule}:${hit.verdict}`);

  it('finds mutations, drops and a missing IF NOT EXISTS', () => {
    expect(rules("ALTER TABLE events UPDATE note = 'x' WHERE id = 1")).toEqual(['clickhouse-mutation:safe']);
    expect(rules('ALTER TABLE events DROP COLUMN note')).toEqual(['clickhouse-drop:breaking']);
    expect(rules('DROP TABLE events')).toEqual(['clickhouse-drop:breaking', 'clickhouse-if-not-exists:safe']);
    expect(rules('TRUNCATE TABLE events')).toEqual(['clickhouse-drop:breaking']);
    expect(rules('CREATE TABLE events (id UInt8) ENGINE = Memory')).toEqual(['clickhouse-if-not-exists:safe']);
    expect(rules('CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT 1')).toEqual([]);
  });

  it('tells a mutation from a TTL that deletes, and finds a column given a new type', () => {
    expect(rules('ALTER TABLE events MODIFY TTL event_time + INTERVAL 30 DAY DELETE')).toEqual([]);
    expect(rules('ALTER TABLE events ON CLUSTER main DELETE WHERE id = 1')).toEqual(['clickhouse-mutation:safe']);
    expect(rules('ALTER TABLE events MODIFY COLUMN note LowCardinality(String)')).toEqual(['clickhouse-mutation:safe']);
    expect(rules("ALTER TABLE events MODIFY COLUMN note DEFAULT 'x'")).toEqual([]);
  });

  it('does not take a word inside a string for a mutation', () => {
    expect(rules("ALTER TABLE events ADD COLUMN note String DEFAULT 'delete me'")).toEqual([]);
  });
});
