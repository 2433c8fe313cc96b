import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadMigrations, readMigrationFiles } from '../../../src/migrations/load.js';
import { loadReleaseNotes } from '../../../src/release/notes.js';
import { cacheRoot, openParseCache, useParseCache } from '../../../src/migrations/parse-cache.js';
import { fixturesDir, folderOf, repoRoot } from '../../helpers/cli.js';

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
  it('is ASTRA_CACHE_DIR, else $XDG_CACHE_HOME/astra, else ~/.cache/astra; off turns it off', () => {
    expect(cacheRoot({ ASTRA_CACHE_DIR: '/srv/cache' })).toBe('/srv/cache');
    expect(cacheRoot({ ASTRA_CACHE_DIR: 'off' })).toBeUndefined();
    expect(cacheRoot({ XDG_CACHE_HOME: '/xdg' })).toBe(join('/xdg', 'astra'));
    expect(cacheRoot({})).toMatch(/[\\/]\.cache[\\/]astra$/);
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

  const statements = [{ index: 0, text: 'SELECT 1', line: 1, kind: 'SelectStmt', node: { targetList: [] } }];

  it('keeps what was stored, the owner alone can read it, and holds nothing for another checksum', () => {
    const cache = openParseCache()!;
    cache.set('abc', statements);
    expect(openParseCache()!.get('abc')).toEqual(statements);
    expect(openParseCache()!.get('def')).toBeUndefined();
    const [folder] = readdirSync(root);
    expect(statSync(join(root, folder!)).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, folder!, 'abc.json')).mode & 0o777).toBe(0o600);
  });

  it('passes over an entry that is not JSON or not a list of statements', () => {
    const cache = openParseCache()!;
    cache.set('abc', statements);
    const [folder] = readdirSync(root);
    writeFileSync(join(root, folder!, 'abc.json'), '{"truncated');
    expect(openParseCache()!.get('abc')).toBeUndefined();
    writeFileSync(join(root, folder!, 'abc.json'), JSON.stringify([{ index: 0, text: 'SELECT 1', line: 1, kind: 'SelectStmt' }]));
    expect(openParseCache()!.get('abc')).toBeUndefined();
  });

  it('reads nothing another build stored, and the new build removes the old entries', () => {
    openParseCache()!.set('abc', statements);
    const before = readdirSync(root);
    utimesSync(build, new Date(), new Date(Date.now() + 60_000));
    const cache = openParseCache()!;
    expect(cache.get('abc')).toBeUndefined();
    cache.set('def', statements);
    const after = readdirSync(root);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it('is off with ASTRA_CACHE_DIR=off, and a folder it cannot write fails nothing', () => {
    vi.stubEnv('ASTRA_CACHE_DIR', 'off');
    expect(openParseCache()).toBeUndefined();
    const file = join(temporary('astra-cache-file-'), 'not-a-folder');
    writeFileSync(file, '');
    vi.stubEnv('ASTRA_CACHE_DIR', file);
    const cache = openParseCache()!;
    expect(() => cache.set('abc', statements)).not.toThrow();
    expect(cache.get('abc')).toBeUndefined();
  });

  it('gives loadMigrations the statements it would parse, CONCURRENTLY plans and transaction markers included', async () => {
    for (const folder of [join(repoRoot, 'migrations'), join(fixturesDir, 'concurrently'), join(fixturesDir, 'adopt-dbmate'), join(fixturesDir, 'partitioned')]) {
      const parsed = await loadMigrations(folder);
      const stored = readdirSync(readdirSync(root).map((name) => join(root, name))[0]!);
      expect(stored.length).toBeGreaterThan(0);
      expect(await loadMigrations(folder, undefined, { parser: 'unneeded' })).toEqual(parsed);
    }
  });

  it('gives loadReleaseNotes the notes the YAML holds, and reads a changed file again', async () => {
    const notes = temporary('astra-cache-notes-');
    cpSync(join(repoRoot, 'release-notes'), notes, { recursive: true });
    const parsed = await loadReleaseNotes(notes);
    expect(readdirSync(join(root, readdirSync(root)[0]!)).filter((name) => name.startsWith('notes-'))).toHaveLength(parsed.length);
    expect(await loadReleaseNotes(notes)).toEqual(parsed);
    const [first] = parsed;
    const file = join(notes, `${first!.metadata.version}.md`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^---\n/, '---\nupgrade_from: nonsense\n'));
    await expect(loadReleaseNotes(notes)).rejects.toThrow(/upgrade_from/);
  });

  it('never stores a file that does not parse: its error comes every time', async () => {
    const folder = folderOf({ '001_ok.sql': 'CREATE TABLE a (id int);\n', '002_bad.sql': 'CREATE TABLE (;\n' }, 'astra-cache-bad-');
    made.push(folder);
    await expect(loadMigrations(folder)).rejects.toThrow(/002_bad\.sql, line 1: the SQL does not parse/);
    await expect(loadMigrations(folder)).rejects.toThrow(/002_bad\.sql, line 1: the SQL does not parse/);
    const [bad] = readMigrationFiles(folder).filter((file) => file.file === '002_bad.sql');
    expect(openParseCache()!.get(bad!.checksum)).toBeUndefined();
  });
});
