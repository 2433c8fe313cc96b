import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { astra, fixturesDir, startAstra } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { parseJson, readJson, type BackupCreateReport, type BackupListReport, type BackupManifest, type JsonReport } from '../helpers/reports.js';
import { waitUntil } from '../helpers/wait.js';
import { match } from '../helpers/matchers.js';

const fixture = join(fixturesDir, 'backup-releases');
let db: TestDatabase;
let work: string;
let backupDir: string;

const run = (...args: string[]) =>
  astra(['--migrations-dir', join(fixture, 'migrations'), '--release-notes-dir', join(fixture, 'release-notes'), '--backup-dir', backupDir, ...args], {
    env: { DATABASE_URL: db.url },
  });

beforeEach(async () => {
  db = await createTestDatabase();
  work = mkdtempSync(join(tmpdir(), 'astra-backup-'));
  backupDir = join(work, 'not-yet', 'backups');
  expect((await run('migrate', 'up', '--to', '1')).exitCode).toBe(0);
  await db.query("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 1000) g");
  await db.query("INSERT INTO notes (account_id, body) SELECT g, 'note ' || g FROM generate_series(1, 500) g");
});
afterEach(async () => {
  await db.drop();
  rmSync(work, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('astra backup create', () => {
  it('writes a custom archive (0600) and its manifest into a folder it creates (0700)', async () => {
    const result = await run('backup', 'create', '--json');
    expect(result.exitCode).toBe(0);
    const { ok, backup } = parseJson<BackupCreateReport>(result.stdout);
    expect(ok).toBe(true);
    expect(readdirSync(backupDir).sort()).toEqual([`${backup.id}.dump`, `${backup.id}.json`]);
    expect(mode(backupDir)).toBe(0o700);
    expect(mode(join(backupDir, `${backup.id}.dump`))).toBe(0o600);
    expect(mode(join(backupDir, `${backup.id}.json`))).toBe(0o600);

    const manifest = readJson<BackupManifest>(join(backupDir, `${backup.id}.json`));
    expect(manifest).toEqual(backup);
    const server = inject('postgres');
    expect(manifest).toMatchObject({
      id: match.stringMatching(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/),
      database: { name: db.name, host: server.host, port: server.port, user: server.user },
      serverVersionNum: match.any(Number),
      schemaVersion: 1,
      appliedMigrations: [1],
      format: 'custom',
      archive: `${backup.id}.dump`,
    });
    expect(manifest.serverVersion).toMatch(new RegExp(`^${server.major}\\.`));
    expect(manifest.pgDumpVersion).toMatch(/^\d+\.\d+/);
    const archive = readFileSync(join(backupDir, manifest.archive));
    expect(manifest.sha256).toBe(createHash('sha256').update(archive).digest('hex'));
    expect(manifest.sizeBytes).toBe(archive.length);
    expect(manifest.tables).toEqual([
      { schema: 'public', name: 'accounts', rows: 1000, estimated: false },
      { schema: 'public', name: 'astra_migrations', rows: 1, estimated: false },
      { schema: 'public', name: 'notes', rows: 500, estimated: false },
    ]);
    expect(result.stderr).toContain('3 of 3 tables');
    for (const text of [result.stdout, result.stderr, readFileSync(join(backupDir, `${backup.id}.json`), 'utf8')]) {
      expect(text).not.toContain(server.password);
    }
  });

  it('lists backups newest first, with --json and for people', async () => {
    const first = parseJson<BackupCreateReport>((await run('backup', 'create', '--json')).stdout).backup;
    const second = parseJson<BackupCreateReport>((await run('backup', 'create', '--json')).stdout).backup;
    const listed = await run('backup', 'list', '--json');
    expect(listed.exitCode).toBe(0);
    const { backups } = parseJson<BackupListReport>(listed.stdout);
    expect(backups.map((backup) => backup.id)).toEqual([second.id, first.id]);
    expect(backups[0]).toMatchObject({ schemaVersion: 1, appVersion: first.appVersion, sizeBytes: second.sizeBytes, verified: null });
    const human = await run('backup', 'list');
    expect(human.stdout.split('\n')[0]).toMatch(/^ID\s+CREATED \(UTC\)\s+DATABASE\s+SCHEMA\s+APP\s+SIZE\s+VERIFIED$/);
    expect(human.stdout.indexOf(second.id)).toBeLessThan(human.stdout.indexOf(first.id));
  });

  it('writes a directory archive with --jobs, every file 0600, and it verifies', async () => {
    const result = await run('backup', 'create', '--jobs', '2', '--json');
    expect(result.exitCode).toBe(0);
    const { backup } = parseJson<BackupCreateReport>(result.stdout);
    expect(backup.format).toBe('directory');
    const folder = join(backupDir, backup.archive);
    expect(mode(folder)).toBe(0o700);
    const files = await readdir(folder);
    expect(files).toContain('toc.dat');
    for (const file of files) expect(mode(join(folder, file))).toBe(0o600);
    const verified = await run('backup', 'verify', backup.id, '--json');
    expect(verified.exitCode).toBe(0);
    expect(parseJson<JsonReport>(verified.stdout).ok).toBe(true);
  });

  it('says which folder it cannot write, exits 1, and leaves nothing that lists', async () => {
    const blocker = join(work, 'a-file');
    writeFileSync(blocker, 'not a folder\n');
    const unwritable = join(blocker, 'backups');
    const result = await astra(['--backup-dir', unwritable, 'backup', 'create'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`The backup folder ${unwritable}`);
    expect(result.stderr).toContain('--backup-dir');
    expect(readFileSync(blocker, 'utf8')).toBe('not a folder\n');
    // Nothing was made there: listing it says the path cannot be a backup folder.
    const listed = await astra(['--backup-dir', unwritable, 'backup', 'list', '--json']);
    expect(listed.exitCode).toBe(2);
    expect(listed.stderr).toContain(`The backup folder ${unwritable} is not a folder (a file is in its place).`);
  });

  it('refuses a pg_dump older than the server, naming both versions, and writes nothing', async () => {
    // A folder whose pg_dump reports an old major, as an old client package would.
    const oldBin = join(work, 'old-bin');
    mkdirSync(oldBin);
    writeFileSync(join(oldBin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 11.22"\n', { mode: 0o755 });
    const { major } = inject('postgres');
    const result = await run('backup', 'create', '--pg-bin-dir', oldBin);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `pg_dump 11.22 (${join(oldBin, 'pg_dump')}) is older than the PostgreSQL ${major} server; astra needs pg_dump ${major} or newer.`,
    );
    expect(result.stderr).toContain(`apt-get install postgresql-client-${major}`);
    const listed = await run('backup', 'list', '--json');
    expect(parseJson<BackupListReport>(listed.stdout).backups).toEqual([]);
  });

  it('refuses --jobs with the custom format as bad input', async () => {
    const result = await run('backup', 'create', '--format', 'custom', '--jobs', '2');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--jobs needs the directory format');
  });

  it('gives pg_dump no password in its argv', async () => {
    const { password } = inject('postgres');
    // Holding a lock on a table keeps pg_dump waiting, so it can be looked at while it runs.
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const child = startAstra(['--backup-dir', backupDir, 'backup', 'create'], { env: { DATABASE_URL: db.url } });
    let commandLines: string[] = [];
    await waitUntil(
      'pg_dump waits for the lock on accounts',
      async () => {
        const waiting = await db.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%pg_dump%' AND wait_event_type = 'Lock'",
        );
        if (waiting.length > 0) commandLines = await pgDumpCommandLines();
        return commandLines.length > 0;
      },
      { ended: child, intervalMs: 50 },
    );
    await holder.query('COMMIT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    for (const line of commandLines) {
      expect(line).toContain('--format=custom');
      expect(line).not.toContain(password);
      expect(line).not.toContain('postgresql://');
    }
    expect(`${String(result.stdout)}${String(result.stderr)}`).not.toContain(password);
    const [manifestName] = readdirSync(backupDir).filter((name) => name.endsWith('.json'));
    expect(readFileSync(join(backupDir, String(manifestName)), 'utf8')).not.toContain(password);
  });
});

describe('astra backup create, interrupted or on large tables', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('stops pg_dump, leaves no file behind and exits 1 saying so when stopped by %s', async (signal) => {
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const child = startAstra(['--backup-dir', backupDir, 'backup', 'create'], { env: { DATABASE_URL: db.url } });
    await waitUntil('pg_dump runs', async () => (await pgDumpCommandLines()).length > 0, { ended: child, intervalMs: 50 });
    child.kill(signal);
    const result = await child;
    await holder.query('ROLLBACK');
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(
      new RegExp(`Interrupted \\(${signal}\\) while backup \\S+ was being taken: the partial archive was removed and no backup was recorded`),
    );
    expect(readdirSync(backupDir)).toEqual([]);
    expect(await pgDumpCommandLines()).toEqual([]);
  });

  it('records the planner estimate, marked, for a table above a million rows', async () => {
    // The statistics say accounts is large; counting it would take long, so the estimate is recorded.
    // Autovacuum is turned off for the table first: an automatic ANALYZE of its 1,000 real rows would
    // otherwise put the true figure back before the backup reads it. The ALTER waits for one in progress.
    await db.query('ALTER TABLE accounts SET (autovacuum_enabled = false)');
    await db.query("UPDATE pg_class SET reltuples = 2500000 WHERE oid = 'accounts'::regclass");
    const result = await run('backup', 'create', '--json');
    expect(result.exitCode).toBe(0);
    const { backup } = parseJson<BackupCreateReport>(result.stdout);
    expect(backup.tables).toContainEqual({ schema: 'public', name: 'accounts', rows: 2500000, estimated: true });
    expect(backup.tables).toContainEqual({ schema: 'public', name: 'notes', rows: 500, estimated: false });
    const verified = await run('backup', 'verify', backup.id, '--deep');
    expect(verified.exitCode).toBe(0);
    expect(verified.stdout).toContain('1 large table(s) checked for presence only');
  });
});

/** The command lines of running pg_dump processes writing into this test's backup folder, arguments joined by spaces. */
async function pgDumpCommandLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const [program = ''] = argv.split('\0');
    const line = argv.split('\0').join(' ');
    if ((program.endsWith('/pg_dump') || program === 'pg_dump') && line.includes(backupDir)) lines.push(line);
  }
  return lines;
}
