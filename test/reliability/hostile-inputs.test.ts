import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
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
beforeAll(async () => {
  db = await createTestDatabase();
  migrations = mkdtempSync(join(tmpdir(), 'astra-hostile-'));
  writeFileSync(join(migrations, '001_t.sql'), 'CREATE TABLE t (id int);\n');
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

const cases: { name: string; args: () => string[]; env?: () => Record<string, string>; sentence: RegExp }[] = [
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
  it.each(cases)('$name', async ({ args, env, sentence }) => {
    const result = await astra(args(), { env: { DATABASE_URL: db.url, ...(env?.() ?? {}) }, cwd: tmpdir() });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(sentence);
    expect(result.stderr).not.toContain('Unexpected error');
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).toEqual([{ n: 0 }]);
    expect(readdirSync(migrations)).toEqual(['001_t.sql']);
  });
});
