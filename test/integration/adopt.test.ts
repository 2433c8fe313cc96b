import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { astra, cleanEnv, copyFixture, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';
import { parseJson } from '../helpers/reports.js';

/**
 * Taking over a database another tool migrated. dbmate and node-pg-migrate
 * run for real (devDependencies); golang-migrate's and goose's ledgers are
 * written as their own sources write them (cited in src/db/foreign-ledgers.ts).
 */
let db: TestDatabase;
let empty: TestDatabase;
const folders: string[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  empty = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
  await empty.drop();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function fixture(name: string): string {
  const dir = copyFixture(name);
  folders.push(dir);
  return dir;
}

const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
const run = (dir: string, args: string[], database = db) => astra([...args, '--migrations-dir', dir], { env: { DATABASE_URL: database.url } });

/** The application's schema (columns, indexes, functions), ledgers left out: equal means the same database. */
async function schemaOf(database: TestDatabase): Promise<string[]> {
  const ledgers = "('astra_migrations', 'astra_migrations_repeatable', 'schema_migrations', 'pgmigrations', 'goose_db_version', 'flyway_schema_history')";
  const rows = await database.query<{ line: string }>(
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS line FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name NOT IN ${ledgers}
     UNION ALL
     SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT IN ${ledgers}
     UNION ALL
     SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
     ORDER BY 1`,
  );
  return rows.map((row) => row.line);
}

/** Runs a migration tool installed from npm, for real, on the test database; fails the test if it fails. */
async function runTool(name: 'dbmate' | 'node-pg-migrate', args: string[], url: string): Promise<void> {
  const result = await execa(bin(name), args, { env: cleanEnv({ DATABASE_URL: url }), extendEnv: false, reject: false });
  expect(result.exitCode, String(result.stderr)).toBe(0);
}

const dbmateUp = (dir: string) => runTool('dbmate', ['--migrations-dir', dir, '--no-dump-schema', 'up'], `${db.url}?sslmode=disable`);

/** goose's table as its postgres dialect creates it, with the row of version 0 it writes first. */
async function gooseTable(): Promise<void> {
  await db.query(
    'CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))',
  );
  await db.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)');
}

/** The up part of a file written for `marker`'s tool, split as the tool itself would (not by astra's code). */
function upPart(path: string, downMarker: RegExp): string {
  return readFileSync(path, 'utf8').split(downMarker)[0]!;
}

/**
 * What every tool's take-over must show: astra refuses to migrate the
 * database until it is adopted, adopts it (the other ledger untouched),
 * then applies only a new migration; the schema is the one the whole folder
 * gives an empty database when astra applies it.
 */
async function adoptAndContinue(tool: string, dir: string, newFile: { name: string; text: string }, foreignLedger: string): Promise<void> {
  const refused = await run(dir, ['migrate', 'up']);
  expect(refused.exitCode).toBe(1);
  expect(refused.stderr).toContain(`is managed by ${tool}`);
  expect(refused.stderr).toContain(`astra adopt --from ${tool}`);
  expect(await ledgerVersions(db)).toEqual([]);
  const doctor = await run(dir, ['doctor', '--json']);
  const check = parseJson<{ checks: { id: string; status: string; detail: string }[] }>(doctor.stdout).checks.find((entry) => entry.id === 'migrations');
  expect(check?.status).toBe('fail');
  expect(check?.detail).toContain(`the database is managed by ${tool}`);

  const foreignBefore = await db.query(`SELECT * FROM ${foreignLedger} ORDER BY 1`);
  const dryRun = await run(dir, ['adopt', '--from', tool, '--dry-run', '--json']);
  expect(dryRun.exitCode).toBe(0);
  expect(await ledgerVersions(db)).toEqual([]);

  const adopted = await run(dir, ['adopt', '--from', tool, '--yes', '--json']);
  expect(adopted.exitCode, adopted.stderr).toBe(0);
  const report = parseJson<{ adopted: { file: string }[]; backup: { id: string } | null }>(adopted.stdout);
  const files = readdirSync(dir).filter((file) => file.endsWith('.sql') && !file.endsWith('.down.sql') && !/^U\d+__/.test(file));
  expect(report.adopted.map((entry) => entry.file)).toEqual(files.sort());
  expect(report.backup).not.toBeNull();
  const marks = await db.query<{ adopted_from: string }>('SELECT DISTINCT adopted_from FROM astra_migrations');
  expect(marks.map((row) => row.adopted_from)).toEqual([tool]);
  expect(await db.query(`SELECT * FROM ${foreignLedger} ORDER BY 1`)).toEqual(foreignBefore);

  writeFileSync(join(dir, newFile.name), newFile.text);
  const next = await run(dir, ['migrate', 'up', '--json']);
  expect(next.exitCode, next.stderr).toBe(0);
  expect(parseJson<{ applied: { file: string }[] }>(next.stdout).applied.map((entry) => entry.file)).toEqual([newFile.name]);

  const fresh = await run(dir, ['migrate', 'up'], empty);
  expect(fresh.exitCode, fresh.stderr).toBe(0);
  expect(await schemaOf(db)).toEqual(await schemaOf(empty));
}

/**
 * As Flyway does on PostgreSQL: its history table (PostgreSQLDatabase.getRawCreateScript), each
 * versioned file applied, and a row per file with its CRC-32 over the lines (here node's own crc32).
 */
async function flywayMigrated(dir: string): Promise<void> {
  await db.query(`CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)`);
  await db.query('ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank")');
  await db.query('CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success")');
  const files = ['V1__create_users.sql', 'V2__add_email.sql'];
  for (const [index, script] of files.entries()) {
    const text = readFileSync(join(dir, script), 'utf8');
    await db.query(text);
    const checksum = crc32(text.split('\n').join('')) | 0;
    await db.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       VALUES ($1, $2, $3, 'SQL', $4, $5, 'flyway', 3, true)`,
      [index + 1, String(index + 1), script.replace(/^V\d+__|\.sql$/g, '').replace(/_/g, ' '), script, checksum],
    );
  }
}

/**
 * Applies `scripts` as Flyway would and writes its history rows: the version as written in the
 * name (null for a repeatable), the description with underscores as spaces, type SQL, the CRC-32.
 */
async function flywayApplied(dir: string, scripts: string[]): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)`);
  for (const script of scripts) {
    const text = readFileSync(join(dir, script), 'utf8');
    await db.query(text);
    const [, version = null, description = ''] = /^(?:V([\d._]+)|R)__(.+)\.sql$/.exec(script)!;
    await db.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       VALUES ((SELECT coalesce(max(installed_rank), 0) + 1 FROM flyway_schema_history), $1, $2, 'SQL', $3, $4, 'flyway', 3, true)`,
      [version?.replace(/_/g, '.') ?? null, description.replace(/_/g, ' '), script, crc32(text.split('\n').join('')) | 0],
    );
  }
}

describe('Flyway dotted versions and repeatable migrations', () => {
  const ledgerKeys = async () =>
    (await db.query<{ version: string }>('SELECT version::text AS version FROM astra_migrations ORDER BY version')).map((row) => row.version);

  it('applies versions part by part (1.9 before 1.10), the repeatable after them, and again only when its file changes', async () => {
    const dir = fixture('flyway-dotted');
    const first = await run(dir, ['migrate', 'up', '--to', '1.9', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const firstReport = parseJson<{ applied: { version: number | string; file: string }[]; repeatablesApplied?: string[] }>(first.stdout);
    expect(firstReport.applied.map((entry) => entry.version)).toEqual([1, '1.1', '1.9']);
    // Stopped before the last versioned migration: the repeatable waits for it.
    expect(firstReport.repeatablesApplied).toBeUndefined();
    expect(await db.query('SELECT 1 FROM pg_views WHERE viewname = $1', ['user_names'])).toEqual([]);

    const rest = await run(dir, ['migrate', 'up', '--json']);
    expect(rest.exitCode, rest.stderr).toBe(0);
    const restReport = parseJson<{ applied: { file: string }[]; repeatablesApplied: string[] }>(rest.stdout);
    expect(restReport.applied.map((entry) => entry.file)).toEqual(['V1.10__add_bio.sql', 'V2_1__create_posts.sql']);
    expect(restReport.repeatablesApplied).toEqual(['R__user_names.sql']);
    expect(await ledgerKeys()).toEqual(['1', '1.00000000000000000001', '1.00000000000000000009', '1.00000000000000000010', '2.00000000000000000001']);

    const again = await run(dir, ['migrate', 'up', '--json']);
    expect(parseJson<{ applied: unknown[]; repeatablesApplied: string[] }>(again.stdout)).toMatchObject({ applied: [], repeatablesApplied: [] });

    writeFileSync(join(dir, 'R__user_names.sql'), 'CREATE OR REPLACE VIEW user_names AS SELECT id, name, email FROM users;\n');
    const status = await run(dir, ['status', '--json']);
    const report = parseJson<{ schemaVersion: string; migrations: { version: number | string }[]; repeatables: { file: string; state: string }[] }>(
      status.stdout,
    );
    expect(report.schemaVersion).toBe('2.1');
    expect(report.migrations.map((entry) => entry.version)).toEqual([1, '1.1', '1.9', '1.10', '2.1']);
    expect(report.repeatables).toEqual([expect.objectContaining({ file: 'R__user_names.sql', state: 'changed' })]);
    const doctor = await run(dir, ['doctor', '--json']);
    const check = parseJson<{ checks: { id: string; status: string; detail: string }[] }>(doctor.stdout).checks.find((entry) => entry.id === 'migrations');
    expect(check?.status).toBe('warn');
    expect(check?.detail).toContain('new or changed since last applied: R__user_names.sql');
    const changed = await run(dir, ['migrate', 'up', '--json']);
    expect(parseJson<{ applied: unknown[]; repeatablesApplied: string[] }>(changed.stdout)).toMatchObject({
      applied: [],
      repeatablesApplied: ['R__user_names.sql'],
    });
    expect(await schemaOf(db)).toContain('user_names.email text YES');

    const goto = await run(dir, ['migrate', 'force', '1.9.0']);
    expect(goto.exitCode, goto.stderr).toBe(0);
    expect(await ledgerKeys()).toHaveLength(3);
    const unknown = await run(dir, ['migrate', 'up', '--to', '1.5']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('--to 1.5: no migration has version 1.5');
  });

  it('upgrades through release notes that name dotted versions, running the repeatable after the last migration', async () => {
    const dir = fixture('flyway-dotted');
    const notes = join(dir, 'release-notes');
    const backups = join(dir, 'backups');
    mkdirSync(notes);
    const files = ['V1__create_users.sql', 'V1.1__add_email.sql', 'V1.9__add_age.sql', 'V1.10__add_bio.sql', 'V2_1__create_posts.sql'];
    writeFileSync(
      join(notes, '0.1.0.md'),
      `---\nversion: 0.1.0\ndate: 2026-01-12\nstop_application: false\nmigrations:\n${files.map((file) => `  - file: ${file}\n    safety: safe\n`).join('')}---\n\n# 0.1.0\n`,
    );
    const upgraded = await run(dir, ['--release-notes-dir', notes, '--backup-dir', backups, 'upgrade', '--yes', '--json']);
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    const report = parseJson<{ to: string; applied: { version: number | string }[]; repeatablesApplied: string[] }>(upgraded.stdout);
    expect(report.to).toBe('0.1.0');
    expect(report.applied.map((entry) => entry.version)).toEqual([1, '1.1', '1.9', '1.10', '2.1']);
    expect(report.repeatablesApplied).toEqual(['R__user_names.sql']);
    expect(await schemaOf(db)).toContain('user_names.name text YES');
    // The release notes name no repeatable migration, and lint takes the folder as it is.
    const lint = await run(dir, ['--release-notes-dir', notes, 'lint']);
    expect(lint.exitCode, lint.stderr).toBe(0);

    // A new release that only changes the repeatable migration: the upgrade runs it, after a backup.
    writeFileSync(join(dir, 'R__user_names.sql'), 'CREATE OR REPLACE VIEW user_names AS SELECT id, name, email FROM users;\n');
    const planned = await run(dir, ['--release-notes-dir', notes, '--backup-dir', backups, 'upgrade', '--dry-run', '--json']);
    expect(parseJson<{ repeatablesWouldApply: string[] }>(planned.stdout).repeatablesWouldApply).toEqual(['R__user_names.sql']);
    const again = await run(dir, ['--release-notes-dir', notes, '--backup-dir', backups, 'upgrade', '--yes', '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    const second = parseJson<{ applied: unknown[]; repeatablesApplied: string[]; backup: { id: string } | null }>(again.stdout);
    expect(second).toMatchObject({ applied: [], repeatablesApplied: ['R__user_names.sql'] });
    expect(second.backup).not.toBeNull();
    expect(await schemaOf(db)).toContain('user_names.email text YES');
  });

  it('records a dotted version whose migration switches role, the ledger taking dotted versions before the migration runs', async () => {
    const dir = fixture('flyway-dotted');
    await db.query('CREATE ROLE flyway_app_owner');
    try {
      await db.query('GRANT CREATE ON SCHEMA public TO flyway_app_owner');
      writeFileSync(join(dir, 'V1.2__owned_table.sql'), 'SET ROLE flyway_app_owner;\nCREATE TABLE owned (id int);\n');
      const up = await run(dir, ['migrate', 'up', '--json']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(await ledgerKeys()).toContain('1.00000000000000000002');
      expect(await db.query("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'")).toEqual([{ tableowner: 'flyway_app_owner' }]);
    } finally {
      await db.query('DROP TABLE IF EXISTS owned');
      await db.query('REVOKE ALL ON SCHEMA public FROM flyway_app_owner');
      await db.query('DROP ROLE flyway_app_owner');
    }
  });

  it('says which repeatable migrations a failure leaves applied, and that the database changed', async () => {
    const dir = fixture('flyway-dotted');
    writeFileSync(join(dir, 'R__zz_broken.sql'), 'SELECT no_such_column FROM users;\n');
    const up = await run(dir, ['migrate', 'up', '--json']);
    expect(up.exitCode).toBe(1);
    const error = parseJson<{ ok: boolean; error: { message: string; database: string } }>(up.stdout).error;
    expect(error.message).toContain('The repeatable migration R__zz_broken.sql failed');
    expect(error.message).toContain('Applied before it in this run, and kept: V1__create_users.sql');
    expect(error.message).toContain('R__user_names.sql');
    expect(error.database).toBe('changed');
  });

  it('refuses a failing repeatable migration whole, recording nothing of it', async () => {
    const dir = fixture('flyway-dotted');
    writeFileSync(join(dir, 'R__user_names.sql'), 'CREATE OR REPLACE VIEW user_names AS SELECT id, name FROM users;\nSELECT no_such_column FROM users;\n');
    const up = await run(dir, ['migrate', 'up']);
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toContain('The repeatable migration R__user_names.sql failed at statement 2 of 2');
    expect(await db.query('SELECT 1 FROM pg_views WHERE viewname = $1', ['user_names'])).toEqual([]);
    // The table that records repeatables is created with the first one recorded, in its transaction: rolled back with it.
    expect(await db.query("SELECT to_regclass('astra_migrations_repeatable') AS found")).toEqual([{ found: null }]);
    expect(await ledgerKeys()).toHaveLength(5);
  });

  it('takes over a database Flyway migrated with dotted versions and a repeatable migration, then goes on', async () => {
    const dir = fixture('flyway-dotted');
    await flywayApplied(dir, ['V1__create_users.sql', 'V1.1__add_email.sql', 'V1.9__add_age.sql', 'R__user_names.sql']);
    const refused = await run(dir, ['migrate', 'up']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('astra adopt --from flyway');

    const adopted = await run(dir, ['adopt', '--from', 'flyway', '--yes', '--no-backup', '--json']);
    expect(adopted.exitCode, adopted.stderr).toBe(0);
    const report = parseJson<{ adopted: { version: number | string }[]; pending: string[]; repeatables: { file: string; changed: boolean }[] }>(adopted.stdout);
    expect(report.adopted.map((entry) => entry.version)).toEqual([1, '1.1', '1.9']);
    expect(report.pending).toEqual(['V1.10__add_bio.sql', 'V2_1__create_posts.sql']);
    expect(report.repeatables).toEqual([{ file: 'R__user_names.sql', changed: false }]);
    expect(await db.query('SELECT adopted_from FROM astra_migrations_repeatable')).toEqual([{ adopted_from: 'flyway' }]);

    const next = await run(dir, ['migrate', 'up', '--json']);
    expect(next.exitCode, next.stderr).toBe(0);
    const applied = parseJson<{ applied: { file: string }[]; repeatablesApplied: string[] }>(next.stdout);
    expect(applied.applied.map((entry) => entry.file)).toEqual(['V1.10__add_bio.sql', 'V2_1__create_posts.sql']);
    // Flyway applied the repeatable as the file is: it is not run again.
    expect(applied.repeatablesApplied).toEqual([]);
    const fresh = await run(dir, ['migrate', 'up'], empty);
    expect(fresh.exitCode, fresh.stderr).toBe(0);
    expect(await schemaOf(db)).toEqual(await schemaOf(empty));
  });

  it('adopts a repeatable migration whose file changed since Flyway applied it as changed, and runs it again next', async () => {
    const dir = fixture('flyway-dotted');
    await flywayApplied(dir, ['V1__create_users.sql', 'V1.1__add_email.sql', 'R__user_names.sql']);
    writeFileSync(join(dir, 'R__user_names.sql'), 'CREATE OR REPLACE VIEW user_names AS SELECT id, name, email FROM users;\n');
    const adopted = await run(dir, ['adopt', '--from', 'flyway', '--yes', '--no-backup', '--json']);
    expect(adopted.exitCode, adopted.stderr).toBe(0);
    expect(parseJson<{ repeatables: unknown[] }>(adopted.stdout).repeatables).toEqual([{ file: 'R__user_names.sql', changed: true }]);
    const next = await run(dir, ['migrate', 'up', '--json']);
    expect(parseJson<{ repeatablesApplied: string[] }>(next.stdout).repeatablesApplied).toEqual(['R__user_names.sql']);
    expect(await schemaOf(db)).toContain('user_names.email text YES');
  });

  it('refuses a repeatable migration Flyway applied whose file is gone, changing nothing', async () => {
    const dir = fixture('flyway-dotted');
    await flywayApplied(dir, ['V1__create_users.sql', 'R__user_names.sql']);
    rmSync(join(dir, 'R__user_names.sql'));
    const adopted = await run(dir, ['adopt', '--from', 'flyway', '--yes', '--no-backup']);
    expect(adopted.exitCode).toBe(1);
    expect(adopted.stderr).toContain('flyway applied the repeatable migration R__user_names.sql, and the folder has no such file');
    expect(await ledgerVersions(db)).toEqual([]);
  });
});

describe('files in other tools’ formats', () => {
  it('runs only the up part of a dbmate file, and migrate down runs its down part', async () => {
    const dir = fixture('adopt-dbmate');
    const up = await run(dir, ['migrate', 'up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await schemaOf(db)).toEqual(expect.arrayContaining(['users.email text YES', expect.stringContaining('users_email_idx')]));
    const down = await run(dir, ['migrate', 'down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await schemaOf(db)).not.toEqual(expect.arrayContaining([expect.stringContaining('users_email_idx')]));
    expect(await ledgerVersions(db)).toEqual([20240101120001, 20240101120002]);
  });

  it('applies Flyway V files in version order and undoes with their U files', async () => {
    const dir = fixture('adopt-flyway');
    const up = await run(dir, ['migrate', 'up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(parseJson<{ applied: { file: string }[] }>(up.stdout).applied.map((entry) => entry.file)).toEqual(['V1__create_users.sql', 'V2__add_email.sql']);
    const down = await run(dir, ['migrate', 'down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await schemaOf(db)).not.toContain('users.email text YES');
    expect(await ledgerVersions(db)).toEqual([1]);
  });

  it('refuses a folder that mixes conventions, naming two files, and runs nothing', async () => {
    const dir = fixture('adopt-dbmate');
    writeFileSync(join(dir, '20240101120004_plain.sql'), 'CREATE TABLE plain (id int);\n');
    const mixed = await run(dir, ['migrate', 'up']);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toContain(
      "mixes conventions: 20240101120001_create_users.sql uses dbmate's up/down markers, 20240101120004_plain.sql has no up/down markers",
    );
    expect(await ledgerVersions(db)).toEqual([]);
    expect(await schemaOf(db)).toEqual([]);
  });

  it('writes the next file in the folder’s tool layout', async () => {
    const dir = fixture('adopt-goose');
    const created = await run(dir, ['migrate', 'create', 'add email', '--json']);
    expect(created.exitCode, created.stderr).toBe(0);
    const [file] = parseJson<{ files: string[] }>(created.stdout).files;
    expect(file).toMatch(/00004_add_email\.sql$/);
    expect(readFileSync(file!, 'utf8')).toMatch(/^-- \+goose Up\n[\s\S]*-- \+goose Down\n/);
  });
});

describe('astra adopt', () => {
  it('takes over a database dbmate migrated', async () => {
    const dir = fixture('adopt-dbmate');
    await dbmateUp(dir);
    await adoptAndContinue(
      'dbmate',
      dir,
      {
        name: '20240201000000_add_bio.sql',
        text: '-- migrate:up\nALTER TABLE users ADD COLUMN bio text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN bio;\n',
      },
      'schema_migrations',
    );
  });

  it('takes over a database node-pg-migrate migrated', async () => {
    const dir = fixture('adopt-node-pg-migrate');
    await runTool('node-pg-migrate', ['up', '--migrations-dir', dir, '--no-verbose'], db.url);
    await adoptAndContinue(
      'node-pg-migrate',
      dir,
      {
        name: '1700000000002_add-bio.sql',
        text: '-- Up Migration\nALTER TABLE users ADD COLUMN bio text;\n\n-- Down Migration\nALTER TABLE users DROP COLUMN bio;\n',
      },
      'pgmigrations',
    );
  });

  it('takes over a database golang-migrate migrated', async () => {
    const dir = fixture('adopt-golang-migrate');
    // As golang-migrate's postgres driver does: its version table, each up file, then the one row of where it stands.
    await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null)');
    for (const file of ['000001_create_users.up.sql', '000002_add_email.up.sql']) await db.query(readFileSync(join(dir, file), 'utf8'));
    await db.query('INSERT INTO schema_migrations (version, dirty) VALUES (2, false)');
    await adoptAndContinue('golang-migrate', dir, { name: '000003_add_bio.up.sql', text: 'ALTER TABLE users ADD COLUMN bio text;\n' }, 'schema_migrations');
  });

  it('takes over a database goose migrated', async () => {
    const dir = fixture('adopt-goose');
    // As goose does: its table, then a row per applied migration.
    await gooseTable();
    for (const [version, file] of [
      [1, '00001_create_users.sql'],
      [2, '00002_touch_function.sql'],
      [3, '00003_users_login_index.sql'],
    ] as const) {
      await db.query(upPart(join(dir, file), /^-- \+goose Down/m).replace(/^-- \+goose.*$/gm, ''));
      await db.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)', [version]);
    }
    await adoptAndContinue(
      'goose',
      dir,
      { name: '00004_add_bio.sql', text: '-- +goose Up\nALTER TABLE users ADD COLUMN bio text;\n\n-- +goose Down\nALTER TABLE users DROP COLUMN bio;\n' },
      'goose_db_version',
    );
  });

  it('takes over a database Flyway migrated, checking its checksums', async () => {
    const dir = fixture('adopt-flyway');
    await flywayMigrated(dir);
    await adoptAndContinue('flyway', dir, { name: 'V3__add_bio.sql', text: 'ALTER TABLE users ADD COLUMN bio text;\n' }, 'flyway_schema_history');
  });

  it('refuses a failed Flyway row and a file changed after Flyway applied it, changing nothing', async () => {
    const dir = fixture('adopt-flyway');
    await flywayMigrated(dir);
    writeFileSync(join(dir, 'V2__add_email.sql'), 'ALTER TABLE users ADD COLUMN email varchar(200);\n');
    const changed = await run(dir, ['adopt', '--from', 'flyway', '--yes']);
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toContain('V2__add_email.sql changed after flyway applied it');
    expect(await ledgerVersions(db)).toEqual([]);

    await db.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       VALUES (3, '3', 'add bio', 'SQL', 'V3__add_bio.sql', 1, 'flyway', 1, false)`,
    );
    const failed = await run(dir, ['adopt', '--from', 'flyway', '--yes']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('Flyway recorded V3__add_bio.sql (version 3) as failed');
    expect(await ledgerVersions(db)).toEqual([]);
  });

  it("takes over AtlasAI's control database from its own schema_migrations table, through the project file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'astra-adopt-atlasai-'));
    folders.push(dir);
    cpSync(join(repoRoot, 'examples', 'atlasai'), dir, { recursive: true });
    // As AtlasAI's runner keeps it: version, name, applied_at, a row per applied file of the control range.
    await db.query('CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const control = readdirSync(join(dir, 'migrations'))
      .filter((file) => file.startsWith('100'))
      .sort();
    for (const file of control) {
      await db.query(readFileSync(join(dir, 'migrations', file), 'utf8'));
      await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [Number(file.slice(0, 4)), file.slice(5, -4)]);
    }
    const env = { CONTROL_PLANE_DATABASE_URL: db.url };
    const refused = await astra(['migrate', 'up', '--db', 'control'], { cwd: dir, env });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('astra adopt --from schema-migrations');
    const adopted = await astra(['adopt', '--from', 'schema-migrations', '--db', 'control', '--yes', '--json'], { cwd: dir, env });
    expect(adopted.exitCode, adopted.stderr).toBe(0);
    const report = parseJson<{ databases: { control: { adopted: { file: string }[] } } }>(adopted.stdout);
    expect(report.databases.control.adopted.map((entry) => entry.file)).toEqual(control);
    const status = await astra(['status', '--db', 'control', '--json'], { cwd: dir, env });
    expect(parseJson<{ databases: { control: { applied: number; pending: number } } }>(status.stdout).databases.control).toMatchObject({
      applied: control.length,
      pending: 0,
    });
  });

  it('takes a ledger that records nothing applied for no ledger: goose with its version-0 row only', async () => {
    const dir = fixture('adopt-goose');
    await gooseTable();
    await db.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, true), (1, false)');
    const up = await run(dir, ['migrate', 'up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3]);
  });

  it('refuses a dirty golang-migrate ledger, a version without its file, and a second adoption, changing nothing', async () => {
    const dir = fixture('adopt-golang-migrate');
    await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null)');
    await db.query(readFileSync(join(dir, '000001_create_users.up.sql'), 'utf8'));
    await db.query('INSERT INTO schema_migrations (version, dirty) VALUES (2, true)');
    const dirty = await run(dir, ['adopt', '--from', 'golang-migrate', '--yes']);
    expect(dirty.exitCode).toBe(1);
    expect(dirty.stderr).toContain('golang-migrate recorded version 2 as dirty');
    expect(dirty.stderr).toContain('nothing was changed');
    expect(await ledgerVersions(db)).toEqual([]);

    await db.query('UPDATE schema_migrations SET version = 7, dirty = false');
    const missing = await run(dir, ['adopt', '--from', 'golang-migrate', '--yes']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('golang-migrate is at version 7, and no file has that version');
    expect(await ledgerVersions(db)).toEqual([]);

    await db.query('UPDATE schema_migrations SET version = 1');
    expect((await run(dir, ['adopt', '--from', 'golang-migrate', '--yes', '--no-backup'])).exitCode).toBe(0);
    const again = await run(dir, ['adopt', '--from', 'golang-migrate', '--yes']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('astra manages this database, and there is nothing to adopt');
    expect(await ledgerVersions(db)).toEqual([1]);
  });

  it('refuses a dbmate version whose file is gone, a tool whose ledger is not there, and an unknown tool', async () => {
    const dir = fixture('adopt-dbmate');
    await dbmateUp(dir);
    rmSync(join(dir, '20240101120002_add_email.sql'));
    const gone = await run(dir, ['adopt', '--from', 'dbmate', '--yes']);
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toContain('dbmate applied version 20240101120002, and no file of the folder is that migration');
    expect(await ledgerVersions(db)).toEqual([]);

    const wrongTool = await run(dir, ['adopt', '--from', 'goose', '--yes']);
    expect(wrongTool.exitCode).toBe(1);
    expect(wrongTool.stderr).toContain('has no goose ledger; it has dbmate (schema_migrations)');

    const unknown = await run(dir, ['adopt', '--from', 'liquibase']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('--from liquibase is not a tool astra adopts from');
    expect(await ledgerVersions(db)).toEqual([]);
  });
});
