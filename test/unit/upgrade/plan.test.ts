import { beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../../src/db/ledger.js';
import { discoverMigrations } from '../../../src/migrations/discover.js';
import type { Migration } from '../../../src/migrations/load.js';
import { loadParser, parseStatements } from '../../../src/migrations/parse.js';
import { parseReleaseNotes, type ReleaseNotes } from '../../../src/release/read-notes.js';
import { planUpgrade } from '../../../src/upgrade/plan.js';

const SQL: Record<string, string> = {
  '001-users.sql': 'CREATE TABLE users (id int PRIMARY KEY, legacy text);',
  '002-posts.sql': 'CREATE TABLE posts (id int PRIMARY KEY, user_id int);',
  '003-posts-index.sql': 'CREATE INDEX CONCURRENTLY posts_user_idx ON posts (user_id);',
  '004-drop-legacy.sql': 'ALTER TABLE users DROP COLUMN legacy;',
};

function release(version: string, files: [string, 'safe' | 'breaking'][], extra = ''): ReleaseNotes {
  const migrations = files
    .map(([file, safety]) => `  - file: ${file}\n    safety: ${safety}${safety === 'breaking' ? '\n    reason: Drops a column.' : ''}`)
    .join('\n');
  const stop = files.some(([, safety]) => safety === 'breaking');
  return parseReleaseNotes(
    `${version}.md`,
    `---\nversion: ${version}\ndate: 2026-01-01\nstop_application: ${stop}\n${extra}migrations:\n${migrations}\n---\n# ${version}\n`,
  );
}

let migrations: Migration[];
const releases = [
  release('1.0.0', [
    ['001-users.sql', 'safe'],
    ['002-posts.sql', 'safe'],
  ]),
  release('1.1.0', [['003-posts-index.sql', 'safe']]),
  release('2.0.0', [['004-drop-legacy.sql', 'breaking']], 'upgrade_from: 1.1.0\n'),
];

beforeAll(async () => {
  await loadParser();
  migrations = discoverMigrations(Object.keys(SQL), 'm').map((migration) => ({
    ...migration,
    path: migration.file,
    sql: SQL[migration.file]!,
    checksum: `sum-${migration.version}`,
    statements: parseStatements(SQL[migration.file]!, migration.file),
  }));
});

function applied(...versions: number[]): LedgerRow[] {
  return versions.map((version) => ({
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
  }));
}

const plan = (ledger: LedgerRow[], target?: string) => planUpgrade({ releases, migrations, ledger, packageVersion: '2.0.0', ...(target ? { target } : {}) });

describe('planUpgrade', () => {
  it('plans a fresh install to the newest release, with the tables that exist before each migration', () => {
    const result = plan([]);
    expect(result.from).toBeNull();
    expect(result.to).toBe('2.0.0');
    expect(result.pending.map((migration) => migration.file)).toEqual(Object.keys(SQL));
    expect(result.breaking.map((migration) => migration.file)).toEqual(['004-drop-legacy.sql']);
    expect(result.pending[2]?.outsideTransaction).toEqual(['CREATE INDEX CONCURRENTLY']);
    expect(result.tables).toEqual([]);
  });

  it('from a release, plans what is left and names the existing tables touched', () => {
    const result = plan(applied(1, 2, 3));
    expect(result.from).toBe('1.1.0');
    expect(result.pending.map((migration) => migration.file)).toEqual(['004-drop-legacy.sql']);
    expect(result.stopApplication).toBe(true);
    expect(result.tables).toEqual(['users']);
  });

  it('refuses to skip a required stop and names the path', () => {
    expect(() => plan(applied(1, 2))).toThrow('1.0.0 cannot upgrade straight to 2.0.0: release 2.0.0 requires upgrading from 1.1.0 or later.');
  });

  it('with path, plans one step per required stop instead of refusing, each on the ledger the step before leaves', () => {
    const result = planUpgrade({ releases, migrations, ledger: applied(1, 2), packageVersion: '2.0.0', path: true });
    expect(result.steps?.map((step) => [step.from, step.to])).toEqual([
      ['1.0.0', '1.1.0'],
      ['1.1.0', '2.0.0'],
    ]);
    expect(result.steps?.map((step) => step.pending.map((migration) => migration.file))).toEqual([['003-posts-index.sql'], ['004-drop-legacy.sql']]);
    expect(result.to).toBe('1.1.0');
  });

  it('with path, a target one step away has no steps', () => {
    expect(planUpgrade({ releases, migrations, ledger: applied(1, 2, 3), packageVersion: '2.0.0', path: true }).steps).toBeUndefined();
  });

  it('refuses a database newer than the package', () => {
    expect(() => plan(applied(1, 2, 3, 4, 5))).toThrow('The database is newer than astra 2.0.0');
  });

  it('refuses a target that is not a release, as bad input', () => {
    try {
      plan([], '3.0.0');
      expect.unreachable();
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
      expect((error as Error).message).toBe('--to 3.0.0: there is no release 3.0.0.');
    }
  });

  it('does not go backwards', () => {
    expect(() => plan(applied(1, 2, 3), '1.0.0')).toThrow('The database is at 1.1.0, newer than the target 1.0.0');
  });
});

describe('tablesTouched', () => {
  it('names the existing tables a TRUNCATE or DROP TABLE works on, not the ones created before', async () => {
    const { tablesTouched } = await import('../../../src/upgrade/tables.js');
    const statements = parseStatements(
      'CREATE TABLE fresh (id int); TRUNCATE fresh, audit_log; DROP TABLE IF EXISTS old_events; ALTER TABLE users ADD COLUMN x int;',
      'x.sql',
    );
    expect(tablesTouched(statements, new Set())).toEqual(['audit_log', 'old_events', 'users']);
  });
});
