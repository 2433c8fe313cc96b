import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { findPgBinDir, toolVersion } from '../../src/cluster/binaries.js';
import { loadMigrations, readMigrationFiles } from '../../src/migrations/load.js';
import { cacheRoot } from '../../src/cache-root.js';
import { openParseCache, useParseCache } from '../../src/parse-cache.js';
import { loadReleaseNotes } from '../../src/release/notes.js';
import { fixturesDir, folderOf, repoRoot } from '../helpers/cli.js';

const made: string[] = [];
const temporary = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('cacheRoot', () => {
  it('is ASTRA_CACHE_DIR, else $XDG_CACHE_HOME/astra, else ~/.cache/astra; off turns it off; relative places are ignored', () => {
    expect(cacheRoot({ ASTRA_CACHE_DIR: '/srv/cache' })).toBe('/srv/cache');
    expect(cacheRoot({ ASTRA_CACHE_DIR: 'off' })).toBeUndefined();
    expect(cacheRoot({ ASTRA_CACHE_DIR: 'cache' })).toBeUndefined();
    expect(cacheRoot({ XDG_CACHE_HOME: '/xdg' })).toBe(join('/xdg', 'astra'));
    expect(cacheRoot({ XDG_CACHE_HOME: 'xdg' }, () => '/home/op')).toBe(join('/home/op', '.cache', 'astra'));
    expect(cacheRoot({}, () => '')).toBeUndefined();
  });

  it('is off, and fails nothing, for a user without a home folder', () => {
    expect(
      cacheRoot({}, () => {
        throw new Error('uv_os_homedir returned ENOENT');
      }),
    ).toBeUndefined();
  });
});

describe('the parse cache', () => {
  let root: string;
  let build: string;
  beforeEach(() => {
    root = temporary('astra-cache-unit-');
    build = join(temporary('astra-build-unit-'), 'cli.js');
    writeFileSync(build, '// a build');
    vi.stubEnv('ASTRA_CACHE_DIR', root);
    useParseCache(pathToFileURL(build).href);
  });
  afterEach(() => vi.unstubAllEnvs());

  const builds = () => readdirSync(root);
  const shelves = () => builds().flatMap((name) => readdirSync(join(root, name)).map((file) => join(root, name, file)));
  const isText = (value: unknown): value is string => typeof value === 'string';

  it('keeps what was written once saved, for the owner alone, and a later read keeps only what it used', () => {
    const cache = openParseCache('scope')!;
    cache.write('a', 'first');
    cache.write('b', 'second');
    expect(openParseCache('scope')!.read('a', isText)).toBeUndefined();
    cache.save();
    expect(statSync(join(root, builds()[0]!)).mode & 0o777).toBe(0o700);
    expect(statSync(shelves()[0]!).mode & 0o777).toBe(0o600);
    const again = openParseCache('scope')!;
    expect(again.read('a', isText)).toBe('first');
    expect(openParseCache('another scope')!.read('a', isText)).toBeUndefined();
    again.save();
    const last = openParseCache('scope')!;
    expect(last.read('a', isText)).toBe('first');
    expect(last.read('b', isText)).toBeUndefined();
  });

  it('reads nothing from a build folder others can write, nor what its check refuses', () => {
    const cache = openParseCache('scope')!;
    cache.write('a', 'first');
    cache.save();
    expect(openParseCache('scope')!.read('a', (value): value is number => typeof value === 'number')).toBeUndefined();
    chmodSync(join(root, builds()[0]!), 0o777);
    expect(openParseCache('scope')!.read('a', isText)).toBeUndefined();
  });

  it('reads nothing another build kept, and removes the folders of builds unused for 30 days', () => {
    const cache = openParseCache('scope')!;
    cache.write('a', 'first');
    cache.save();
    const [old] = builds();
    writeFileSync(build, '// another build');
    useParseCache(pathToFileURL(build).href);
    expect(openParseCache('scope')!.read('a', isText)).toBeUndefined();
    const newer = openParseCache('scope')!;
    newer.write('b', 'second');
    newer.save();
    expect(builds()).toHaveLength(2);
    const month = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    utimesSync(join(root, old!), month, month);
    writeFileSync(build, '// a third build');
    useParseCache(pathToFileURL(build).href);
    const third = openParseCache('scope')!;
    third.write('c', 'third');
    third.save();
    expect(builds()).toHaveLength(2);
    expect(builds()).not.toContain(old);
  });

  it('is off with ASTRA_CACHE_DIR=off, and a place it cannot write fails nothing', () => {
    vi.stubEnv('ASTRA_CACHE_DIR', 'off');
    useParseCache(pathToFileURL(build).href);
    expect(openParseCache('scope')).toBeUndefined();
    const file = join(temporary('astra-cache-file-'), 'not-a-folder');
    writeFileSync(file, '');
    vi.stubEnv('ASTRA_CACHE_DIR', file);
    useParseCache(pathToFileURL(build).href);
    const cache = openParseCache('scope')!;
    cache.write('a', 'first');
    expect(() => cache.save()).not.toThrow();
    expect(openParseCache('scope')!.read('a', isText)).toBeUndefined();
  });

  it('gives loadMigrations the statements it would parse, CONCURRENTLY plans and transaction markers included', async () => {
    for (const folder of [
      join(repoRoot, 'migrations'),
      join(fixturesDir, 'concurrently'),
      join(fixturesDir, 'adopt-dbmate'),
      join(fixturesDir, 'partitioned'),
    ]) {
      const parsed = await loadMigrations(folder);
      expect(await loadMigrations(folder, undefined, { parser: 'unneeded' })).toStrictEqual(parsed);
    }
    expect(shelves()).toHaveLength(4);
  });

  it('serves a kept entry only while its statements are text of the file', async () => {
    const folder = folderOf({ '001_a.sql': 'CREATE TABLE a (id int);\n', '002_b.sql': 'CREATE TABLE b (id int);\n' }, 'astra-cache-served-');
    made.push(folder);
    const parsed = await loadMigrations(folder);
    const [shelf] = shelves();
    const [first, second] = await readMigrationFiles(folder);
    const entries = JSON.parse(readFileSync(shelf!, 'utf8')) as Record<string, { kind: string; text: string }[]>;
    entries[first!.checksum]![0]!.kind = 'MarkedInTheCache';
    entries[second!.checksum]![0]!.text = 'DROP TABLE a';
    writeFileSync(shelf!, JSON.stringify(entries));
    const served = await loadMigrations(folder);
    expect(served[0]!.statements[0]!.kind).toBe('MarkedInTheCache');
    expect(served[1]!.statements).toStrictEqual(parsed[1]!.statements);
  });

  it('never keeps a file that does not parse: its error comes every time', async () => {
    const folder = folderOf({ '001_ok.sql': 'CREATE TABLE a (id int);\n', '002_bad.sql': 'CREATE TABLE (;\n' }, 'astra-cache-bad-');
    made.push(folder);
    await expect(loadMigrations(folder)).rejects.toThrow(/002_bad\.sql, line 1: the SQL does not parse/);
    await expect(loadMigrations(folder)).rejects.toThrow(/002_bad\.sql, line 1: the SQL does not parse/);
    expect(shelves()).toHaveLength(0);
  });

  it('gives loadReleaseNotes the notes the YAML holds, and reads a changed file again', async () => {
    const notes = temporary('astra-cache-notes-');
    cpSync(join(repoRoot, 'release-notes'), notes, { recursive: true });
    const parsed = await loadReleaseNotes(notes);
    const [shelf] = shelves();
    expect(Object.keys(JSON.parse(readFileSync(shelf!, 'utf8')) as object)).toHaveLength(parsed.length);
    expect(await loadReleaseNotes(notes)).toStrictEqual(parsed);
    const [first] = parsed;
    const file = join(notes, `${first!.metadata.version}.md`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^---\n/, '---\nupgrade_from: nonsense\n'));
    await expect(loadReleaseNotes(notes)).rejects.toThrow(/upgrade_from/);
  });

  it('answers for a PostgreSQL program asked before while its file is the same, and asks a changed one again', async () => {
    const installed = await findPgBinDir(['pg_dump']);
    expect(installed, 'a PostgreSQL pg_dump on this machine').toBeDefined();
    const dir = temporary('astra-cache-tool-');
    const program = join(dir, 'pg_dump');
    const install = () => {
      // A new file renamed into place, as a package upgrade does (never rewritten while something may run it).
      cpSync(join(installed!.dir, 'pg_dump'), `${program}.new`);
      renameSync(`${program}.new`, program);
    };
    install();
    const real = { dir, major: installed!.major, version: installed!.version };
    expect(await toolVersion(dir, 'pg_dump')).toEqual(real);
    // What the cache holds is what is answered: the program is not asked again.
    for (const shelf of shelves().filter((file) => readFileSync(file, 'utf8').includes(installed!.version))) {
      const entries = JSON.parse(readFileSync(shelf, 'utf8')) as Record<string, { major: number; version: string }>;
      for (const entry of Object.values(entries)) Object.assign(entry, { major: 99, version: '99.1' });
      writeFileSync(shelf, JSON.stringify(entries));
    }
    expect(await toolVersion(dir, 'pg_dump')).toEqual({ dir, major: 99, version: '99.1' });
    install();
    expect(await toolVersion(dir, 'pg_dump')).toEqual(real);
  });

  it("asks a script, such as a version manager's shim, every time", async () => {
    const dir = temporary('astra-cache-shim-');
    const asked = join(dir, 'asked');
    const program = join(dir, 'pg_dump');
    writeFileSync(program, `#!/bin/sh\necho run >> '${asked}'\necho 'pg_dump (PostgreSQL) 15.4'\n`);
    chmodSync(program, 0o755);
    expect(await toolVersion(dir, 'pg_dump')).toEqual({ dir, major: 15, version: '15.4' });
    expect(await toolVersion(dir, 'pg_dump')).toEqual({ dir, major: 15, version: '15.4' });
    expect(readFileSync(asked, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });
});
