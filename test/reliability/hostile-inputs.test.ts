import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { astra } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * Bad input, as a hostile but realistic user gives it: each gets exit 2, one
 * sentence saying what is wrong, and changes nothing (the database has no
 * table, the folders no new file).
 */
let db: TestDatabase;
let migrations: string;
let backups: string;
beforeAll(async () => {
  db = await createTestDatabase();
  migrations = mkdtempSync(join(tmpdir(), 'astra-hostile-'));
  writeFileSync(join(migrations, '001_t.sql'), 'CREATE TABLE t (id int);\n');
  backups = mkdtempSync(join(tmpdir(), 'astra-hostile-backups-'));
});
afterAll(async () => {
  await db.drop();
});

const someFile = () => {
  const file = join(mkdtempSync(join(tmpdir(), 'astra-file-')), 'not-a-folder');
  writeFileSync(file, 'x');
  return file;
};
const aliasBomb = () => {
  const dir = mkdtempSync(join(tmpdir(), 'astra-bomb-'));
  const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  for (let level = 1; level < 9; level++)
    lines.push(
      `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + level)}`)
        .join(', ')}]`,
    );
  lines.push('databases: []');
  writeFileSync(join(dir, 'astra.config.yaml'), `${lines.join('\n')}\n`);
  return join(dir, 'astra.config.yaml');
};

/** A folder holding `files` (name → text; a name ending in / is a folder). */
const folder = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'astra-hostile-case-'));
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith('/')) mkdirSync(join(dir, name), { recursive: true });
    else writeFileSync(join(dir, name), text);
  }
  return dir;
};
const T = 'CREATE TABLE t (id int);\n';
const notes = (front: string) => folder({ '1.0.0.md': `---\n${front}---\n\n# 1.0.0\n` });
const safeRelease = 'version: 1.0.0\ndate: 2026-01-10\nstop_application: false\nmigrations:\n  - file: 001_t.sql\n    safety: safe\n';
const upgradeWith = (releaseNotes: string) => [
  'upgrade',
  '--yes',
  '--migrations-dir',
  migrations,
  '--release-notes-dir',
  releaseNotes,
  '--backup-dir',
  backups,
];
const project = (file: string, text: string) => {
  const dir = folder({ [file]: text, 'm/': '' });
  writeFileSync(join(dir, 'm', '001_t.sql'), T);
  return dir;
};

const cases: { name: string; args: () => string[]; env?: () => Record<string, string>; cwd?: () => string; sentence: RegExp }[] = [
  // Flags
  {
    name: 'a --lock-wait that is no duration',
    args: () => ['migrate', 'up', '--migrations-dir', migrations, '--lock-wait', '10parsecs'],
    sentence: /--lock-wait "10parsecs" is not a duration/,
  },
  {
    name: 'a negative --lock-timeout',
    args: () => ['migrate', 'up', '--migrations-dir', migrations, '--lock-timeout', '-1s'],
    sentence: /--lock-timeout "-1s" is not a duration/,
  },
  {
    name: 'a negative --lock-retries',
    args: () => ['migrate', 'up', '--migrations-dir', migrations, '--lock-retries', '-3'],
    sentence: /--lock-retries "-3" is not a whole number/,
  },
  {
    name: '--to that is no version',
    args: () => ['migrate', 'up', '--migrations-dir', migrations, '--to', 'abc'],
    sentence: /--to "abc" is not a migration version/,
  },
  {
    name: '--to a version the folder does not have',
    args: () => ['migrate', 'up', '--migrations-dir', migrations, '--to', '999'],
    sentence: /--to 999: no migration has version 999/,
  },
  { name: 'migrate down 0', args: () => ['migrate', 'down', '0', '--migrations-dir', migrations], sentence: /migrate down needs a count of at least 1/ },
  { name: 'migrate down -1', args: () => ['migrate', 'down', '-1', '--migrations-dir', migrations], sentence: /down "-1" is not a whole number/ },
  { name: 'migrate goto a word', args: () => ['migrate', 'goto', 'abc', '--migrations-dir', migrations], sentence: /goto "abc" is not a migration version/ },
  {
    name: 'migrate force a negative version',
    args: () => ['migrate', 'force', '-5', '--migrations-dir', migrations],
    sentence: /force "-5" is not a migration version/,
  },
  { name: 'an unknown command', args: () => ['frobnicate'], sentence: /unknown command 'frobnicate'/ },
  { name: 'an unknown option', args: () => ['migrate', 'up', '--frob', '--migrations-dir', migrations], sentence: /unknown option '--frob'/ },
  {
    name: '--long-transaction forever',
    args: () => ['upgrade', '--long-transaction', 'forever', '--migrations-dir', migrations],
    sentence: /--long-transaction "forever" is not a duration/,
  },
  {
    name: 'doctor --check-timeout 0s',
    args: () => ['doctor', '--check-timeout', '0s', '--migrations-dir', migrations],
    sentence: /--check-timeout must be longer than 0/,
  },
  {
    name: 'doctor --health-url that is not http',
    args: () => ['doctor', '--health-url', 'ftp://x', '--migrations-dir', migrations],
    sentence: /--health-url \(ftp:\/\/x\) is not an http:\/\/ or https:\/\/ URL/,
  },
  {
    name: 'backup prune --keep abc',
    args: () => ['backup', 'prune', '--keep', 'abc', '--backup-dir', backups],
    sentence: /--keep "abc" is not a whole number/,
  },
  {
    name: 'serve on a port that does not exist',
    args: () => ['serve', '--port', '99999', '--migrations-dir', migrations],
    sentence: /--port 99999 is not a port number/,
  },
  {
    name: 'serve on every address without a secret',
    args: () => ['serve', '--host', '0.0.0.0', '--migrations-dir', migrations],
    sentence: /will not listen on 0\.0\.0\.0 without a secret/,
  },
  {
    name: 'serve with a secret file that is not there',
    args: () => ['serve', '--secret-file', '/nonexistent-secret', '--migrations-dir', migrations],
    sentence: /--secret-file \/nonexistent-secret: there is no such file/,
  },
  {
    name: 'serve with a secret too short',
    args: () => ['serve', '--migrations-dir', migrations],
    env: () => ({ ASTRA_SERVICE_SECRET: 'short' }),
    sentence: /is 5 characters long; astra serve needs at least 16/,
  },
  { name: 'an empty --backup-dir', args: () => ['backup', 'create', '--backup-dir='], sentence: /--backup-dir \(backupDir\) is an empty path/ },
  { name: 'an empty --migrations-dir', args: () => ['migrate', 'up', '--migrations-dir='], sentence: /--migrations-dir \(migrationsDir\) is an empty path/ },
  // Backups and manifests
  {
    name: 'backup verify of text that is no id',
    args: () => ['backup', 'verify', 'nonexistent-id', '--backup-dir', backups],
    sentence: /"nonexistent-id" is not a backup id/,
  },
  {
    name: 'a backup id that climbs out of the folder',
    args: () => ['rollback', '--backup', '../../etc/passwd', '--migrations-dir', migrations, '--backup-dir', backups],
    sentence: /"\.\.\/\.\.\/etc\/passwd" is not a backup id/,
  },
  // Migration files
  {
    name: 'a migrations folder that is a file',
    args: () => ['migrate', 'up', '--migrations-dir', join(migrations, '001_t.sql')],
    sentence: /The migrations folder .*001_t\.sql cannot be read: not a folder/,
  },
  {
    name: 'two migrations with one version',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_a.sql': T, '001_b.sql': T })],
    sentence: /001_a\.sql and 001_b\.sql both have version 1/,
  },
  {
    name: 'a file name that follows no scheme',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': T, 'notes.sql': T })],
    sentence: /notes\.sql: the name follows no migration naming scheme/,
  },
  {
    name: 'a down migration without its up migration',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '000001_t.up.sql': T, '000002_u.down.sql': T })],
    sentence: /000002_u\.down\.sql: a down migration without its up migration/,
  },
  {
    name: 'SQL that does not parse',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': 'CREATE TABLE (;\n' })],
    sentence: /001_t\.sql, line 1: the SQL does not parse/,
  },
  {
    name: 'a file that controls the transaction itself',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': `${T}BEGIN;\nCREATE TABLE u (id int);\nCOMMIT;\n` })],
    sentence: /001_t\.sql, line 2: "BEGIN" controls the transaction, which astra manages itself/,
  },
  {
    name: 'a psql meta-command',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': `\\c otherdb\n${T}` })],
    sentence: /001_t\.sql, line 1: the SQL does not parse/,
  },
  {
    name: 'COPY with its data inline',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': `${T}COPY t FROM STDIN;\n1\n\\.\n` })],
    sentence: /001_t\.sql, line 3: the SQL does not parse/,
  },
  {
    name: 'a 5 MB migration file that does not parse, named in one short sentence',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': `${T}${'SELEKT 1;\n'.repeat(500_000)}` })],
    sentence: /^error: 001_t\.sql, line 2: the SQL does not parse: syntax error at or near "SELEKT"\.$/m,
  },
  {
    name: 'an empty migration file',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': '' })],
    sentence: /001_t\.sql: the SQL does not parse/,
  },
  {
    name: 'a folder named like a migration',
    args: () => ['migrate', 'up', '--migrations-dir', folder({ '001_t.sql': T, '002_x.sql/': '' })],
    sentence: /The migration file .*002_x\.sql cannot be read/,
  },
  {
    name: 'migrate create with an empty name',
    args: () => ['migrate', 'create', '', '--migrations-dir', migrations],
    sentence: /"" is not a usable migration name/,
  },
  { name: 'lint of a file that is not there', args: () => ['lint', '/nonexistent-astra.sql'], sentence: /\/nonexistent-astra\.sql cannot be read/ },
  // Release notes
  {
    name: 'release notes with a misspelt field',
    args: () => upgradeWith(notes(`${safeRelease}    reson: x\n`)),
    sentence: /migrations\[0\] has an unknown field "reson"/,
  },
  {
    name: 'release notes for another version than their name',
    args: () => upgradeWith(notes(safeRelease.replace('1.0.0', '1.0.1'))),
    sentence: /version is 1\.0\.1 but the file is named for 1\.0\.0/,
  },
  {
    name: 'release notes without front matter',
    args: () => upgradeWith(folder({ '1.0.0.md': '# 1.0.0\n' })),
    sentence: /the file does not begin with front matter/,
  },
  {
    name: 'release notes with a date that does not exist',
    args: () => upgradeWith(notes(safeRelease.replace('2026-01-10', '2026-02-30'))),
    sentence: /date must be a date such as 2026-10-01/,
  },
  {
    name: 'a breaking migration without a reason',
    args: () => upgradeWith(notes(safeRelease.replace('safety: safe', 'safety: breaking').replace('false', 'true'))),
    sentence: /migrations\[0\]\.reason is required when safety is "breaking"/,
  },
  {
    name: 'release notes naming a migration twice',
    args: () => upgradeWith(notes(`${safeRelease}  - file: 001_t.sql\n    safety: safe\n`)),
    sentence: /migrations\[1\]\.file names 001_t\.sql a second time/,
  },
  {
    name: 'an upgrade stop later than the release',
    args: () => upgradeWith(notes(safeRelease.replace('stop_application', 'upgrade_from: 2.0.0\nstop_application'))),
    sentence: /upgrade_from must be a version earlier than 1\.0\.0/,
  },
  {
    name: 'release notes of another application',
    args: () => upgradeWith(notes(safeRelease.replace('001_t.sql', '009_nope.sql'))),
    sentence: /name none of the migrations in .*: they describe another application's migrations/,
  },
  {
    name: 'a rollback to a release that has no notes',
    args: () => ['rollback', '--to', '7.7.7', '--migrations-dir', migrations, '--release-notes-dir', notes(safeRelease), '--backup-dir', backups],
    sentence: /There are no release notes for version 7\.7\.7/,
  },
  // Project files
  {
    name: 'a project file that is not valid JSON',
    args: () => ['status'],
    cwd: () => project('astra.config.json', '{"databases": ['),
    sentence: /is not valid JSON/,
  },
  {
    name: 'a project file with no database',
    args: () => ['status'],
    cwd: () => project('astra.config.yaml', 'databases: []\n'),
    sentence: /databases must name at least one database/,
  },
  {
    name: 'a database kind astra does not know',
    args: () => ['status'],
    cwd: () => project('astra.config.yaml', 'databases:\n  - name: app\n    kind: mysql\n    env: X\n    migrations: m\n'),
    sentence: /databases\[0\]\.kind must be "postgres" or "clickhouse" \(found "mysql"\)/,
  },
  {
    name: '--db naming no database of the project',
    args: () => ['status', '--db', 'nope'],
    cwd: () => project('astra.config.yaml', 'databases:\n  - name: app\n    env: DATABASE_URL\n    migrations: m\n'),
    sentence: /--db nope: .* declares no database of that name/,
  },
  {
    name: 'a seed catalog that is not there',
    args: () => ['seed'],
    cwd: () =>
      project(
        'astra.config.yaml',
        'databases:\n  - name: app\n    env: DATABASE_URL\n    migrations: m\n    seeds:\n      - { file: nope.json, table: t, key: id }\n',
      ),
    sentence: /The seed catalog nope\.json cannot be read/,
  },
  {
    name: 'a seed catalog with a mode astra does not know',
    args: () => ['status'],
    cwd: () =>
      project(
        'astra.config.yaml',
        'databases:\n  - name: app\n    env: DATABASE_URL\n    migrations: m\n    seeds:\n      - { file: x.json, table: t, key: id, mode: replace }\n',
      ),
    sentence: /databases\[0\]\.seeds\[0\]\.mode must be "insert", "upsert" or "sync"/,
  },
  {
    name: 'a ClickHouse database with a postgresql:// URL',
    args: () => ['status'],
    cwd: () => project('astra.config.yaml', 'databases:\n  - name: events\n    kind: clickhouse\n    url: postgresql://h/db\n    migrations: m\n'),
    sentence: /databases\[0\]\.url must be an http:\/\/ or https:\/\/ URL of ClickHouse/,
  },
  {
    name: 'backup create of a ClickHouse database named with --db',
    args: () => ['backup', 'create', '--db', 'events', '--backup-dir', backups],
    cwd: () => project('astra.config.yaml', 'databases:\n  - name: events\n    kind: clickhouse\n    url: http://127.0.0.1:1/events\n    migrations: m\n'),
    sentence: /astra backup create does not apply to a ClickHouse database: astra backs up PostgreSQL databases/,
  },
  { name: '--config naming a folder', args: () => ['status', '--config', tmpdir()], sentence: /The project file .* cannot be read: not a file/ },
  {
    name: 'a database URL with no host',
    args: () => ['migrate', 'up', '--migrations-dir', migrations, '--database-url', 'postgresql:///app'],
    sentence: /error: The database URL names no host\./,
  },
  {
    name: 'an sslmode that does not exist',
    args: () => ['migrate', 'up', '--migrations-dir', migrations],
    env: () => ({ DATABASE_URL: `${db.url}?sslmode=sometimes` }),
    sentence: /error: The database URL has sslmode=sometimes, which is not an SSL mode\./,
  },
  {
    name: 'a URL that is not a postgresql:// URL',
    args: () => ['migrate', 'up', '--migrations-dir', migrations, '--database-url', 'mysql://app@db/app'],
    sentence: /error: The database URL must start with postgresql:\/\/ or postgres:\/\//,
  },
  {
    name: 'backup list on a path that is a file',
    args: () => ['backup', 'list', '--backup-dir', someFile()],
    sentence: /error: The backup folder .* is not a folder \(a file is in its place\)\./,
  },
  {
    name: 'migrate create with a 300-character name',
    args: () => ['migrate', 'create', 'x'.repeat(300), '--migrations-dir', migrations],
    sentence: /error: The migration name is 300 characters long; at most 100/,
  },
  {
    name: 'a project file that is a YAML alias bomb',
    args: () => ['status', '--config', aliasBomb()],
    sentence: /error: The project file .* uses a YAML alias \(\*name\), which astra does not follow\./,
  },
  {
    name: 'an unknown --db without a project file',
    args: () => ['status', '--db', 'tenant', '--migrations-dir', migrations],
    sentence: /error: --db tenant names a database of a project file, and there is none here or above/,
  },
];

describe('hostile input: exit 2, one sentence, nothing changed', () => {
  it.each(cases)('$name', async ({ args, env, cwd, sentence }) => {
    const where = cwd?.() ?? mkdtempSync(join(tmpdir(), 'astra-hostile-cwd-'));
    const result = await astra(args(), { env: { DATABASE_URL: db.url, ...(env?.() ?? {}) }, cwd: where });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(sentence);
    expect(result.stderr).not.toContain('Unexpected error');
    // One sentence and its fix, whatever the size of the input.
    expect(result.stderr.length).toBeLessThan(2_000);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).toEqual([{ n: 0 }]);
    expect(readdirSync(migrations)).toEqual(['001_t.sql']);
    expect(readdirSync(backups)).toEqual([]);
    // Nothing written where the command ran either (no backup, no local cluster).
    expect(readdirSync(where).filter((name) => name === '.astra' || name.endsWith('.dump'))).toEqual([]);
  });
});
