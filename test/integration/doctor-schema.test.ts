import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { astra, copyFixture, fixturesDir } from '../helpers/cli.js';
import { entry } from '../helpers/doctor-report.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';

let db: TestDatabase;
let backupDir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-doctor-backups-'));
});
afterEach(async () => {
  await db.drop();
});

const cli = (args: string[], migrationsDir = join(fixturesDir, 'doctor-app')) =>
  astra(['--migrations-dir', migrationsDir, '--backup-dir', backupDir, ...args], { env: { DATABASE_URL: db.url } });

async function migrated(migrationsDir?: string): Promise<void> {
  const result = await cli(['migrate', 'up'], migrationsDir);
  expect(result.exitCode, result.stderr).toBe(0);
}

describe('migrations', () => {
  it('fails a dirty migration, quoting the statement it stopped at', async () => {
    await migrated();
    await db.query(
      "UPDATE astra_migrations SET dirty = true, failed_statement = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_account_id_idx ON orders (account_id)', error = 'canceling statement due to lock timeout' WHERE version = 2",
    );
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Migrations')).toEqual({
      status: 'fail',
      detail:
        'migration 2 (000002_orders.up.sql) is unfinished (dirty): it stopped at: CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_account_id_idx ON orders (account_id) — canceling statement due to lock timeout',
      fix: 'Repair the database by hand, then record where it stands with astra migrate force 2 (done) or astra migrate force 1 (not done).',
    });
    expect(result.stderr).toContain('error: doctor: 1 check failed: migrations');
  });

  it('fails checksum drift: a migration file edited after it was applied', async () => {
    const dir = copyFixture('doctor-app');
    await migrated(dir);
    appendFileSync(join(dir, '000001_accounts.up.sql'), 'CREATE INDEX accounts_name_idx ON accounts (name);\n');
    const result = await cli(['doctor'], dir);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Migrations')).toMatchObject({
      status: 'fail',
      detail: '000001_accounts.up.sql changed after it was applied (checksum drift: the file no longer matches the ledger)',
      fix: match.stringContaining('astra migrate create'),
    });
  });

  it('fails a database newer than the package: an applied version it does not know', async () => {
    await migrated();
    await db.query("INSERT INTO astra_migrations (version, name, checksum, astra_version) VALUES (4, 'from_the_future', 'abc', '9.9.9')");
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Migrations')).toMatchObject({
      status: 'fail',
      detail: 'the database is newer than this package: 4 (from_the_future) is applied but unknown here',
    });
  });
});

describe('schema-drift', () => {
  it('names each object the migrations made that is gone, and the migration that made it', async () => {
    await migrated();
    await db.query('DROP INDEX orders_account_id_idx');
    await db.query('ALTER TABLE accounts DROP COLUMN plan');
    await db.query('ALTER TABLE orders ALTER COLUMN amount_cents TYPE bigint');
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(1);
    const drift = entry(result.stdout, 'Schema drift');
    expect(drift.status).toBe('fail');
    expect(drift.detail).toBe(
      '3 objects the applied migrations made are gone or changed: column public.accounts.plan is missing (000002_orders.up.sql); column public.orders.amount_cents is bigint, created as integer (000002_orders.up.sql); index public.orders_account_id_idx is missing (000002_orders.up.sql)',
    );
    expect(drift.fix).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_account_id_idx ON orders (account_id);');

    // The fix works: rebuilt as the migration built it, the check passes.
    await db.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_account_id_idx ON orders (account_id)');
    await db.query("ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free'");
    await db.query('ALTER TABLE orders ALTER COLUMN amount_cents TYPE integer');
    const fixed = await cli(['doctor']);
    expect(entry(fixed.stdout, 'Schema drift').status).toBe('ok');
    expect(fixed.exitCode).toBe(0);
  });
});

describe('schema-drift, with the model kept from an earlier run', () => {
  /** The parse cache's shelf that holds the drift check's model (the one entry with origins), and that entry. */
  function keptModel(cacheDir: string): { file: string; shelf: Record<string, { tables: unknown[] }> } {
    const files = readdirSync(cacheDir)
      .filter((name) => name.startsWith('parsed-'))
      .flatMap((folder) => readdirSync(join(cacheDir, folder)).map((name) => join(cacheDir, folder, name)));
    const found = files.filter((file) => readFileSync(file, 'utf8').includes('"origins"'));
    expect(found).toHaveLength(1);
    return { file: found[0]!, shelf: JSON.parse(readFileSync(found[0]!, 'utf8')) as Record<string, { tables: unknown[] }> };
  }

  it('reads the model kept for the same files and ledger, and works it out again when a file is added, parse errors included', async () => {
    const dir = copyFixture('doctor-app');
    const cacheDir = mkdtempSync(join(tmpdir(), 'astra-doctor-cache-'));
    const doctor = () => astra(['--migrations-dir', dir, '--backup-dir', backupDir, 'doctor'], { env: { DATABASE_URL: db.url, ASTRA_CACHE_DIR: cacheDir } });
    await migrated(dir);
    const first = await doctor();
    expect(entry(first.stdout, 'Schema drift').status).toBe('ok');

    // A table the kept model says a migration made: the next run expects it, so it read the model and not the migrations.
    const { file, shelf } = keptModel(cacheDir);
    for (const model of Object.values(shelf)) model.tables.push(['public.ghost', 'public', 'ghost', 0, []]);
    writeFileSync(file, JSON.stringify(shelf));
    const second = await doctor();
    expect(entry(second.stdout, 'Schema drift')).toMatchObject({ status: 'fail', detail: match.stringContaining('table public.ghost is missing') });

    // An unfinished migration is always worked out from the parse trees; once finished again, the kept model is found again.
    await db.query('UPDATE astra_migrations SET dirty = true WHERE version = 3');
    const dirty = await doctor();
    expect(entry(dirty.stdout, 'Migrations').status).toBe('fail');
    expect(entry(dirty.stdout, 'Schema drift').detail).not.toContain('ghost');
    await db.query('UPDATE astra_migrations SET dirty = false WHERE version = 3');
    expect(entry((await doctor()).stdout, 'Schema drift').detail).toContain('table public.ghost is missing');

    // A new file changes the key: the model is worked out from the migrations again.
    writeFileSync(join(dir, '000004_notes.up.sql'), 'CREATE TABLE notes (id bigint PRIMARY KEY);\n');
    const third = await doctor();
    expect(entry(third.stdout, 'Schema drift').status).toBe('ok');
    expect(entry(third.stdout, 'Migrations')).toMatchObject({ status: 'warn', detail: match.stringContaining('1 pending: 4 (000004_notes.up.sql)') });

    // And a file that does not parse is met, never hidden by a model kept before it was written.
    writeFileSync(join(dir, '000005_broken.up.sql'), 'CREATE TABLE broken (id bigint PRIMARY KEY;\n');
    const fourth = await doctor();
    expect(fourth.exitCode).toBe(1);
    expect(entry(fourth.stdout, 'Schema drift')).toMatchObject({ status: 'fail', detail: match.stringContaining('skipped: the migrations could not be read') });
    expect(entry(fourth.stdout, 'Schema drift').detail).toContain('000005_broken.up.sql');
    expect(entry(fourth.stdout, 'Migrations')).toMatchObject({
      status: 'fail',
      detail: match.stringContaining('000005_broken.up.sql, line 1: the SQL does not parse'),
    });
  });
});

describe('a migration applied that this astra cannot parse', () => {
  it('the migrations check finds it applied as it is; the drift check says it cannot read it, and why', async () => {
    const dir = copyFixture('doctor-app');
    await migrated(dir);
    const text = 'CREATE TABLE legacy (id bigint PRIMARY KEY;\n';
    writeFileSync(join(dir, '000004_legacy.up.sql'), text);
    await db.query("INSERT INTO astra_migrations (version, name, checksum, astra_version) VALUES (4, 'legacy', $1, '0.0.1')", [
      createHash('sha256').update(text).digest('hex'),
    ]);
    const result = await cli(['doctor'], dir);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Migrations')).toMatchObject({ status: 'ok', detail: '4 applied, none pending (newest 4)' });
    expect(entry(result.stdout, 'Schema drift')).toEqual({
      status: 'fail',
      detail: match.stringContaining('skipped: the migrations could not be read (000004_legacy.up.sql, line 1: the SQL does not parse'),
      fix: 'Fix the SQL; nothing was applied.',
    });
  });
});

describe('invalid-indexes', () => {
  it('fails the INVALID index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves, with the DROP that clears it', async () => {
    await migrated();
    await db.query("INSERT INTO accounts (email) VALUES ('a@example.com'), ('a@example.com')");
    await expect(db.query('CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email)')).rejects.toThrow(/could not create unique index/);
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(1);
    const invalid = entry(result.stdout, 'Invalid indexes');
    expect(invalid.status).toBe('fail');
    expect(invalid.detail).toContain('INVALID index left by a failed concurrent build: public.accounts_email_key on public.accounts');
    expect(invalid.fix).toMatch(/^DROP INDEX CONCURRENTLY "public"\."accounts_email_key"; Then re-run the build/);

    await db.query('DROP INDEX CONCURRENTLY "public"."accounts_email_key"');
    const fixed = await cli(['doctor']);
    expect(entry(fixed.stdout, 'Invalid indexes')).toMatchObject({ status: 'ok', detail: 'no INVALID indexes' });
    expect(fixed.exitCode).toBe(0);
  });
});
