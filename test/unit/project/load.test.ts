import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl, findProjectFile, loadProject, selectDatabases } from '../../../src/project/load.js';
import { passwordProblem } from '../../../src/project/schema.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function projectDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'astra-project-unit-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const load = (text: string, name = 'astra.config.yaml') => loadProject(join(projectDir({ [name]: text }), name));

describe('loadProject', () => {
  it('fills the defaults: kind postgres, schema public, the ledger in that schema, required, paths from the file', () => {
    const project = load('databases:\n  - name: app\n    env: APP_URL\n    migrations: db/migrations\n');
    const [app] = project.databases;
    expect(app).toMatchObject({
      name: 'app',
      kind: 'postgres',
      url: { env: 'APP_URL' },
      schema: 'public',
      ledger: { schema: 'public', table: 'astra_migrations' },
      required: true,
    });
    expect(app!.migrationsDir).toBe(join(project.file, '..', 'db', 'migrations'));
    expect(app!.releaseNotesDir).toBe(join(project.file, '..', 'release-notes'));
  });

  it('puts the ledger in the target schema unless told otherwise', () => {
    const project = load(
      'databases:\n  - name: orch\n    env: U\n    migrations: m\n    schema: orchestrator\n  - name: b\n    env: U\n    migrations: n\n    ledger: { schema: meta, table: b_migrations }\n',
    );
    expect(project.databases.map((database) => database.ledger)).toEqual([
      { schema: 'orchestrator', table: 'astra_migrations' },
      { schema: 'meta', table: 'b_migrations' },
    ]);
  });

  it('reads JSON as well', () => {
    const project = load('{"databases":[{"name":"app","url":"postgresql://app@db/app","migrations":"m","versions":{"from":1,"to":99}}]}', 'astra.config.json');
    expect(project.databases[0]).toMatchObject({ url: { template: 'postgresql://app@db/app' }, versions: { from: 1, to: 99 } });
  });

  it.each([
    ['no databases', 'databases: []\n', 'databases must name at least one database'],
    [
      'an unknown top-level key',
      'databases:\n  - { name: a, env: U, migrations: m }\nbackups: x\n',
      'the file has an unknown field "backups" (allowed: databases, backupDir)',
    ],
    ['neither env nor url', 'databases:\n  - { name: a, migrations: m }\n', 'databases[0] must say where its URL comes from with exactly one of env'],
    ['both env and url', 'databases:\n  - { name: a, env: U, url: "postgresql://h/d", migrations: m }\n', 'exactly one of env'],
    [
      'a range the wrong way round',
      'databases:\n  - { name: a, env: U, migrations: m, versions: { from: 9, to: 1 } }\n',
      'databases[0].versions must have from no greater than to',
    ],
    ['an upper-case name', 'databases:\n  - { name: Tenant, env: U, migrations: m }\n', 'databases[0].name must be a short lower-case name'],
    ['a kind astra does not know', 'databases:\n  - { name: a, kind: mysql, env: U, migrations: m }\n', 'databases[0].kind must be "postgres"'],
    ['required as text', 'databases:\n  - { name: a, env: U, migrations: m, required: "no" }\n', 'databases[0].required must be true or false (found "no")'],
    [
      'a URL that is not postgresql://',
      'databases:\n  - { name: a, url: "host=db password=x", migrations: m }\n',
      'databases[0].url must be a postgresql:// URL',
    ],
    [
      'two databases in one folder without ranges',
      'databases:\n  - { name: a, env: U, migrations: m }\n  - { name: b, env: U, migrations: ./m/ }\n',
      'databases[1].versions is needed: databases[0] has the same migrations folder',
    ],
    [
      'overlapping ranges of one folder',
      'databases:\n  - { name: a, env: U, migrations: m, versions: { from: 1, to: 100 } }\n  - { name: b, env: U, migrations: m, versions: { from: 50, to: 200 } }\n',
      'databases[1].versions overlaps databases[0].versions (1–100) in the same migrations folder',
    ],
  ])('refuses %s, naming the file and the key', (_, text, message) => {
    expect(() => load(text)).toThrow(message);
    try {
      load(text);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
      expect((error as Error).message).toMatch(/^The project file \/.*astra\.config\.yaml is invalid: /);
    }
  });

  it('never echoes a URL it refuses, which may hold a password', () => {
    expect(() => load('databases:\n  - "postgresql://u:hunter2@h/db"\n')).toThrow(/databases\[0\] must be a mapping of fields \(found a URL\)/);
    try {
      load('databases:\n  - "postgresql://u:hunter2@h/db"\n');
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('refuses YAML aliases, which would let a small file grow without bound', () => {
    expect(() => load('x: &a [1, 2]\ndatabases:\n  - { name: a, env: U, migrations: m, versions: *a }\n')).toThrow(
      'uses a YAML alias (*name), which astra does not follow.',
    );
  });

  it('refuses a file that is not YAML', () => {
    expect(() => load('databases: [\n')).toThrow(/is not valid YAML/);
  });
});

describe('passwordProblem', () => {
  it.each([
    ['postgresql://app:secret@db/app', true],
    ['postgresql://app:${APP_PASSWORD}@db/app', false],
    ['postgresql://app@db/app', false],
    ['postgresql://${USER}@${HOST}:5432/app', false],
    ['postgresql://app@db/app?password=secret', true],
    ['postgresql://app@db/app?password=${PW}', false],
    ['postgresql://app:${A}x@db/app', true],
  ])('%s: %s', (url, refused) => {
    expect(passwordProblem(url) !== undefined).toBe(refused);
  });
});

describe('databaseUrl', () => {
  const database = (url: { env: string } | { template: string }) => ({ ...load('databases:\n  - { name: a, env: U, migrations: m }\n').databases[0]!, url });

  it('reads a variable, or names it when unset', () => {
    expect(databaseUrl(database({ env: 'APP_URL' }), { APP_URL: 'postgresql://h/d' })).toEqual({ url: 'postgresql://h/d' });
    expect(databaseUrl(database({ env: 'APP_URL' }), {})).toEqual({ missing: ['APP_URL'] });
  });

  it('fills ${VAR} references, encoding a password as a URL needs it', () => {
    const template = database({ template: 'postgresql://app:${PW}@${HOST}:5432/app' });
    expect(databaseUrl(template, { PW: 'p@ss/word', HOST: 'db.internal' })).toEqual({ url: 'postgresql://app:p%40ss%2Fword@db.internal:5432/app' });
    expect(databaseUrl(template, { HOST: 'db' })).toEqual({ missing: ['PW'] });
  });
});

describe('findProjectFile and selectDatabases', () => {
  it('finds the file in a folder above, and refuses two in one folder', () => {
    const dir = projectDir({ 'astra.config.yaml': 'databases:\n  - { name: a, env: U, migrations: m }\n' });
    mkdirSync(join(dir, 'deep', 'er'), { recursive: true });
    expect(findProjectFile(join(dir, 'deep', 'er'))).toBe(join(dir, 'astra.config.yaml'));
    writeFileSync(join(dir, 'astra.config.json'), '{}');
    expect(() => findProjectFile(dir)).toThrow('holds 2 project files (astra.config.json, astra.config.yaml)');
  });

  it('keeps the declared order and refuses a name the file does not declare', () => {
    const project = load('databases:\n  - { name: control, env: U, migrations: c }\n  - { name: tenant, env: U, migrations: t }\n');
    expect(selectDatabases(project, ['tenant', 'control']).map((database) => database.name)).toEqual(['control', 'tenant']);
    expect(selectDatabases(project, []).map((database) => database.name)).toEqual(['control', 'tenant']);
    expect(() => selectDatabases(project, ['billing'])).toThrow('--db billing: ');
  });
});
