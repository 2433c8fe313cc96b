import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { astra, copyFixture, fixturesDir, startAstra, waitForStderr } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, tableNames, type TestDatabase } from '../helpers/database.js';
import { parseJson, type MigrateReport, type StatusReport } from '../helpers/reports.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

const up = (dir: string, ...extra: string[]) => astra(['--migrations-dir', dir, 'migrate', 'up', ...extra], { env: { DATABASE_URL: db.url } });

describe('astra migrate up', () => {
  it.each([
    ['naming-dash', [1, 2]],
    ['naming-updown', [1, 2]],
    ['naming-plain', [1001, 1002]],
  ])('applies a %s folder and records each version', async (fixture, versions) => {
    const result = await up(join(fixturesDir, fixture));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`Applied 2 migration(s): ${versions.join(', ')}`);
    expect(await ledgerVersions(db)).toEqual(versions);
    expect(await tableNames(db)).toEqual(['astra_migrations', 'posts', 'users']);
    const [ledger] = await db.query<{ name: string; checksum: string; astra_version: string }>(
      'SELECT name, checksum, astra_version FROM astra_migrations ORDER BY version LIMIT 1',
    );
    expect(ledger?.name).toBe('users');
    expect(ledger?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(ledger?.astra_version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('orders by number, so 9 runs before 10', async () => {
    const result = await up(join(fixturesDir, 'numeric-order'));
    expect(result.exitCode).toBe(0);
    expect(await ledgerVersions(db)).toEqual([9, 10]);
    const columns = await db.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'things' ORDER BY ordinal_position",
    );
    expect(columns.map((column) => column.column_name)).toEqual(['id', 'label']);
  });

  it('is a no-op the second time, and says what it skipped', async () => {
    const dir = join(fixturesDir, 'naming-dash');
    expect((await up(dir)).exitCode).toBe(0);
    const again = await up(dir);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('No migrations to apply');
    expect(again.stderr).toContain('Skipped 2 already-applied migration(s)');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('--to stops at a version, and --json reports what was applied and skipped', async () => {
    const dir = join(fixturesDir, 'naming-plain');
    const first = await up(dir, '--to', '1001', '--json');
    expect(first.exitCode).toBe(0);
    const report = parseJson<MigrateReport>(first.stdout);
    expect(report.ok).toBe(true);
    expect(report.applied.map((entry) => entry.version)).toEqual([1001]);
    expect(await tableNames(db)).toEqual(['astra_migrations', 'users']);
    const second = parseJson<MigrateReport>((await up(dir, '--json')).stdout);
    expect(second.applied.map((entry) => entry.version)).toEqual([1002]);
    expect(second.skipped).toEqual([1001]);
  });

  it('--dry-run lists what it would apply and changes nothing', async () => {
    const result = await up(join(fixturesDir, 'concurrently'), '--dry-run');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('would apply 000002 unique_code (1 statement(s) outside a transaction: CREATE INDEX CONCURRENTLY)');
    expect(await tableNames(db)).toEqual([]);
  });

  it('stops at a bad migration: the earlier ones stay, its own effects are absent and unrecorded', async () => {
    const result = await up(join(fixturesDir, 'bad-middle'));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Migration 2 (002-beta.sql) failed at statement 3 of 3, line 4');
    expect(result.stderr).toContain('relation "gamma_missing" does not exist');
    expect(result.stderr).toContain('none of its changes were kept');
    expect(await ledgerVersions(db)).toEqual([1]);
    expect(await tableNames(db)).toEqual(['alpha', 'astra_migrations']);
  });

  it('refuses to run when an applied migration file changed, naming the file', async () => {
    const dir = copyFixture('naming-dash');
    expect((await up(dir)).exitCode).toBe(0);
    appendFileSync(join(dir, '001-users.sql'), '\nALTER TABLE users ADD COLUMN nickname text;\n');
    writeFileSync(join(dir, '003-more.sql'), 'CREATE TABLE more (id int);\n');
    const result = await up(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('001-users.sql changed after it was applied');
    expect(await tableNames(db)).not.toContain('more');
  });

  it('says the database is newer than the code when an applied version has no file', async () => {
    const dir = copyFixture('naming-dash');
    expect((await up(dir)).exitCode).toBe(0);
    rmSync(join(dir, '002-posts.sql'));
    const result = await up(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('The database is newer than these migrations: migration 2 (posts) is applied but has no file here');
    const status = await astra(['--migrations-dir', dir, 'status', '--json'], { env: { DATABASE_URL: db.url } });
    expect(parseJson<StatusReport>(status.stdout).migrations.find((entry) => entry.version === 2)!.state).toBe('no file');
  });

  it('stops at the next safe point on Ctrl-C: the running migration finishes, the rest do not start, exit 1', async () => {
    const child = startAstra(['--migrations-dir', join(fixturesDir, 'upgrade-slow', 'migrations'), 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    // Migration 2 sleeps three seconds right after 1 is applied.
    await waitForStderr(child, '001 first-step applied');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toContain('Interrupted (SIGINT): stopping at the next safe point (after the current migration)');
    expect(String(result.stderr)).toContain(
      'Stopped at a safe point as asked: migration(s) 1, 2 were applied; the database is at migration 002-slow-step.sql; 1 migration(s) were not run.',
    );
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await tableNames(db)).not.toContain('third_step');
  });
});
