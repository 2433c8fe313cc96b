import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { astra, copyFixture, fixturesDir } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';
import { parseJson, type LintReport } from '../helpers/reports.js';

const fixture = (name: string) => join(fixturesDir, name);

describe('astra lint', () => {
  it('fails on a breaking statement, naming file:line, the rule, the lock and the fix', async () => {
    const result = await astra(['lint', fixture('lint-breaking')]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('test/fixtures/lint-breaking/002-require-email.sql:4  set-not-null  [breaking]');
    expect(result.stdout).toContain('lock: ACCESS EXCLUSIVE on accounts (blocks reads and writes, reads every row)');
    expect(result.stdout).toContain('fix: ADD CONSTRAINT accounts_email_not_null CHECK (email IS NOT NULL) NOT VALID');
    expect(result.stdout).toContain('1 failing');
    expect(result.stderr).toContain(
      'lint found 1 breaking statement(s) that no release notes declare and no -- astra:allow acknowledges: test/fixtures/lint-breaking/002-require-email.sql:4 set-not-null',
    );
  });

  it('with --json, prints only JSON and still fails', async () => {
    const result = await astra(['lint', fixture('lint-breaking'), '--json']);
    expect(result.exitCode).toBe(1);
    const output = parseJson<LintReport>(result.stdout);
    expect(output.ok).toBe(false);
    expect(output.error?.message).toContain('002-require-email.sql:4 set-not-null');
  });

  it('passes when an -- astra:allow with a reason acknowledges the finding, and lists it as allowed', async () => {
    const result = await astra(['lint', fixture('lint-allowed'), '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const output = parseJson<LintReport>(result.stdout);
    expect(output.failing).toBe(0);
    expect(output.findings).toEqual([
      match.objectContaining({
        rule: 'set-not-null',
        file: 'test/fixtures/lint-allowed/002-require-email.sql',
        line: 5,
        table: 'accounts',
        lock: 'ACCESS EXCLUSIVE',
        blocks: 'reads+writes',
        rewrite: false,
        scan: true,
        verdict: 'breaking',
        status: 'allowed',
        allowed: 'accounts holds a few hundred rows: the scan takes milliseconds',
        message: match.stringContaining('reads every row'),
        fix: match.stringContaining('NOT VALID'),
      }),
    ]);
  });

  it('refuses an -- astra:allow without a reason (exit 2)', async () => {
    const result = await astra(['lint', fixture('lint-allow-no-reason')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('test/fixtures/lint-allow-no-reason/002-require-email.sql, line 1: "-- astra:allow set-not-null" gives no reason');
  });

  it('fails a release that labels a breaking migration safe, naming the release, the statement and the rule', async () => {
    const dir = fixture('lint-release');
    const result = await astra(['--migrations-dir', join(dir, 'migrations'), '--release-notes-dir', join(dir, 'release-notes'), 'lint']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      'label: test/fixtures/lint-release/release-notes/0.2.0.md labels 002-rename-email.sql safe, but line 2 (ALTER TABLE accounts RENAME COLUMN email TO email_address) is breaking by rule rename-column',
    );
    expect(result.stderr).toContain('002-rename-email.sql:2 rename-column');
  });

  it('reports a migration its release notes declare breaking without failing', async () => {
    const dir = copyFixture('lint-release');
    const notes = join(dir, 'release-notes', '0.2.0.md');
    writeFileSync(
      notes,
      readFileSync(notes, 'utf8')
        .replace('stop_application: false', 'stop_application: true')
        .replace('    safety: safe', '    safety: breaking\n    reason: renames accounts.email; stop the application first'),
    );
    const result = await astra(['--migrations-dir', join(dir, 'migrations'), '--release-notes-dir', join(dir, 'release-notes'), 'lint']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/002-rename-email\.sql:2 {2}rename-column {2}\[breaking, declared in .*0\.2\.0\.md\]/);
  });

  it('passes on the migrations and release notes shipped with astra', async () => {
    const result = await astra(['lint', '--json']);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    const output = parseJson<LintReport>(result.stdout);
    expect(output.labelViolations).toEqual([]);
    expect(output.migrations).toBeGreaterThan(40);
  });

  it('reads the file as written: CONCURRENTLY inside BEGIN ... COMMIT is reported', async () => {
    const result = await astra(['lint', fixture('lint-rules/concurrently-in-transaction/err.sql')]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('err.sql:3  concurrently-in-transaction  [breaking]');
  });

  it('refuses transaction control other than a BEGIN ... COMMIT wrapper (exit 2)', async () => {
    const dir = copyFixture('lint-breaking');
    writeFileSync(join(dir, '003-half.sql'), 'BEGIN;\nSELECT 1;\nCOMMIT;\nSELECT 2;\n');
    const result = await astra(['lint', dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('003-half.sql, line 1: "BEGIN" controls the transaction');
  });
});

describe('astra lint with a database', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query('CREATE TABLE accounts (id bigint PRIMARY KEY, email text)');
  });
  afterEach(async () => {
    await db.drop();
  });

  it('calls a blocking statement on a small table safe, from its real row count', async () => {
    await db.query("INSERT INTO accounts SELECT g, 'a' || g || '@example.com' FROM generate_series(1, 300) AS g");
    const result = await astra(['lint', fixture('lint-breaking'), '--json'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    const output = parseJson<LintReport>(result.stdout);
    expect(output.findings).toEqual([
      match.objectContaining({ rule: 'set-not-null', verdict: 'safe', status: 'ok', message: match.stringContaining('accounts holds about 300 rows') }),
    ]);
  });

  it('keeps it breaking on a table past the threshold', async () => {
    await db.query("INSERT INTO accounts SELECT g, 'a' || g || '@example.com' FROM generate_series(1, 20000) AS g");
    const result = await astra(['lint', fixture('lint-breaking')], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('002-require-email.sql:4  set-not-null  [breaking]');
  });
});

describe('astra lint on a partitioned table says what the runner runs', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE TABLE events (id bigint, at date NOT NULL, kind text) PARTITION BY RANGE (at);
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
      INSERT INTO events SELECT g, DATE '2026-06-01' + (g % 400), 'k' || g FROM generate_series(1, 2000) AS g`);
  });
  afterEach(async () => {
    await db.drop();
  });

  it('a named index: with the database, the partitions and their index names, as the runner then builds them; without, "depends on the table"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'astra-lint-partitioned-'));
    writeFileSync(join(dir, '001_events_at.sql'), 'CREATE INDEX events_at_idx ON events (at);\n');
    const withDb = await astra(['lint', dir, '--json'], { env: { DATABASE_URL: db.url } });
    expect(withDb.exitCode, withDb.stderr).toBe(0);
    const finding = parseJson<LintReport>(withDb.stdout).findings.find((candidate) => candidate.rule === 'partitioned-index');
    expect(finding?.message).toContain(
      'events is partitioned: PostgreSQL cannot build events_at_idx CONCURRENTLY, so astra builds events_at_idx ON ONLY events',
    );
    expect(finding?.message).toContain('Partitions: events_2026 (events_2026_at_idx), events_2027 (events_2027_at_idx).');

    const without = await astra(['lint', dir], { env: { DATABASE_URL: '' } });
    expect(without.exitCode, without.stderr).toBe(0);
    expect(without.stdout).toContain('Depends on the table: if events is partitioned');

    const applied = await astra(['--migrations-dir', dir, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    expect(applied.exitCode, applied.stderr).toBe(0);
    const indexes = await db.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid IN ('events'::regclass, 'events_2026'::regclass, 'events_2027'::regclass) ORDER BY 1`,
    );
    expect(indexes).toEqual([
      { name: 'events_2026_at_idx', valid: true },
      { name: 'events_2027_at_idx', valid: true },
      { name: 'events_at_idx', valid: true },
    ]);
  });

  it('an unnamed index fails lint with the database: the runner builds it as written, blocking writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'astra-lint-partitioned-'));
    writeFileSync(join(dir, '001_events_kind.sql'), 'CREATE INDEX ON events (kind);\n');
    const result = await astra(['lint', dir], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('001_events_kind.sql:1  partitioned-index-unnamed  [breaking]');
    expect(result.stdout).toContain('lock: SHARE on events (blocks writes');
    expect(result.stdout).toContain('Name the index');
  });
});
