import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../../src/db/ledger.js';
import { tablesCreated } from '../../../src/migrations/fresh.js';
import { loadParser, parseStatements } from '../../../src/migrations/parse.js';
import { migrationStatuses, refuseLedgerHoles } from '../../../src/migrations/plan.js';
import type { Migration } from '../../../src/migrations/load.js';

await loadParser();

const migration = (version: number, sql: string): Migration => ({
  version,
  name: `m${version}`,
  file: `00${version}-m${version}.sql`,
  digits: `00${version}`,
  style: 'dash',
  path: `/m/00${version}-m${version}.sql`,
  sql,
  checksum: `c${version}`,
  statements: parseStatements(sql, `00${version}-m${version}.sql`),
});

const row = (version: number): LedgerRow => ({
  version,
  name: `m${version}`,
  checksum: `c${version}`,
  appliedAt: new Date(0),
  durationMs: 0,
  astraVersion: 'test',
  dirty: false,
  nextStatement: null,
  failedStatement: null,
  error: null,
});

describe('tablesCreated', () => {
  it('names each CREATE TABLE as a quoted SQL name, with its schema', () => {
    const migrations = [migration(1, 'CREATE TABLE users (id int); CREATE TABLE IF NOT EXISTS app."Events" (id int);'), migration(2, 'ALTER TABLE users ADD COLUMN x int;')];
    expect(tablesCreated(migrations)).toEqual(['"users"', '"app"."Events"']);
  });
});

describe('refuseLedgerHoles', () => {
  const migrations = [migration(1, 'SELECT 1;'), migration(2, 'SELECT 2;'), migration(3, 'SELECT 3;')];

  it('lets a ledger without a hole through: a prefix applied, or nothing', () => {
    expect(() => refuseLedgerHoles(migrationStatuses(migrations, [row(1), row(2)]))).not.toThrow();
    expect(() => refuseLedgerHoles(migrationStatuses(migrations, []))).not.toThrow();
  });

  it('refuses a migration missing below one recorded, naming it and the repairs (exit 1)', () => {
    try {
      refuseLedgerHoles(migrationStatuses(migrations, [row(1), row(3)]));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('The ledger has a hole: migration 2 (m2) is not recorded as applied, yet later migrations are (up to 3)');
      expect((error as { fix: string }).fix).toContain('number it above 3');
      expect((error as { fix: string }).fix).toContain('astra migrate force 3');
      expect((error as { exitCode: number }).exitCode).toBe(1);
    }
  });
});
