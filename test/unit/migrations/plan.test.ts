import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../../src/db/ledger.js';
import { discoverMigrations } from '../../../src/migrations/discover.js';
import { checkTargetVersion, migrationStatuses, planUp } from '../../../src/migrations/plan.js';

const migrations = discoverMigrations(['001-a.sql', '002-b.sql', '003-c.sql'], 'm').map((migration) => ({ ...migration, checksum: `sum-${migration.version}` }));

function row(version: number, extra: Partial<LedgerRow> = {}): LedgerRow {
  return {
    version,
    name: 'x',
    checksum: `sum-${version}`,
    appliedAt: new Date(0),
    durationMs: 1,
    astraVersion: '0.0.0',
    dirty: false,
    nextStatement: null,
    failedStatement: null,
    error: null,
    ...extra,
  };
}

describe('planUp', () => {
  it('applies what is missing, in order, up to the target', () => {
    const plan = planUp(migrations, [row(1)], 2);
    expect(plan.pending.map((migration) => migration.version)).toEqual([2]);
    expect(plan.skipped).toEqual([1]);
  });

  it('refuses drift, naming the file', () => {
    expect(() => planUp(migrations, [row(1, { checksum: 'other' })])).toThrow('001-a.sql changed after it was applied');
  });

  it('refuses a ledger that knows versions the folder does not', () => {
    expect(() => planUp(migrations, [row(1), row(4)])).toThrow('The database is newer than these migrations: migration 4 (x) is applied but has no file here');
  });

  it('resumes a dirty migration at its recorded statement', () => {
    const plan = planUp(migrations, [row(1), row(2, { dirty: true, nextStatement: 3 })]);
    expect(plan.resume?.migration.version).toBe(2);
    expect(plan.resume?.fromStatement).toBe(3);
    expect(plan.pending.map((migration) => migration.version)).toEqual([3]);
  });

  it('will not resume a dirty migration whose file changed, and says how to get out', () => {
    expect(() => planUp(migrations, [row(1), row(2, { dirty: true, nextStatement: 1, checksum: 'old', failedStatement: 'VACUUM t' })])).toThrow(
      'Migration 2 (002-b.sql) was left unfinished and its file changed since; it stopped at: VACUUM t.',
    );
  });
});

describe('migrationStatuses', () => {
  it('names each state', () => {
    const states = migrationStatuses(migrations, [row(1), row(2, { dirty: true }), row(3, { checksum: 'z' }), row(9)]).map((status) => status.state);
    expect(states).toEqual(['applied', 'dirty', 'changed', 'no file']);
  });
});

describe('checkTargetVersion', () => {
  it('accepts 0 and known versions, refuses others as input errors', () => {
    expect(() => checkTargetVersion(migrations, 0, '--to')).not.toThrow();
    expect(() => checkTargetVersion(migrations, 3, '--to')).not.toThrow();
    expect(() => checkTargetVersion(migrations, 4, '--to')).toThrow('--to 4: no migration has version 4.');
  });
});
