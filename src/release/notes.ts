import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as semver from '../semver.js';
import { errorMessage, inputError } from '../errors.js';
import { inRange, parseMigrationFileName, type VersionRange } from '../migrations/discover.js';
import type { ReleaseNotes } from './read-notes.js';
import { openParseCache } from '../parse-cache.js';

export type { ReleaseNotes } from './read-notes.js';

/** Sorts releases by version (0.9.0 before 0.10.0); does not change its input. */
export function sortReleases<T extends { metadata: { version: string } }>(releases: readonly T[]): T[] {
  return [...releases].sort((a, b) => semver.compare(a.metadata.version, b.metadata.version));
}

/**
 * Reads every `*.md` file of a release notes folder, sorted by version. The
 * first unreadable or invalid file stops it with an input error naming it.
 * With `versions`, each release keeps only the migrations numbered in that
 * range: one release folder can describe every database of a project, each
 * database seeing its own part.
 */
export async function loadReleaseNotes(dir: string, versions?: VersionRange): Promise<ReleaseNotes[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw inputError(
      `The release notes folder ${dir} cannot be read: ${errorMessage(error)}.`,
      'Check the path, or pass --release-notes-dir with the folder that holds <version>.md files.',
      error,
    );
  }
  const releases: ReleaseNotes[] = [];
  // Notes read before come from the CLI's cache (src/parse-cache.ts): the YAML parser and the schema are loaded only for a file it does not hold.
  const cache = openParseCache(`release notes\n${resolve(dir)}`);
  let reader: typeof import('./read-notes.js') | undefined;
  for (const name of names.filter((entry) => entry.endsWith('.md')).sort()) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw inputError(`${file} cannot be read: ${errorMessage(error)}.`, 'Check the file exists and is readable.', error);
    }
    const key = `notes-${createHash('sha256').update(`${file}\n${text}`).digest('hex')}`;
    const cached = cache?.read(key, (value): value is ReleaseNotes => isReleaseNotes(value, file));
    if (cached) {
      releases.push(cached);
      continue;
    }
    reader ??= await import('./read-notes.js');
    const notes = reader.parseReleaseNotes(file, text);
    cache?.write(key, notes);
    releases.push(notes);
  }
  cache?.save();
  return sortReleases(versions ? releases.map((release) => onlyVersions(release, versions)) : releases);
}

function onlyVersions(release: ReleaseNotes, versions: VersionRange): ReleaseNotes {
  const migrations = release.metadata.migrations.filter((migration) => inRange(parseMigrationFileName(migration.file)?.version ?? -1, versions));
  return { ...release, metadata: { ...release.metadata, migrations } };
}

/** What the cache gives back is notes of this file (the schema checked them when they were stored). */
function isReleaseNotes(value: unknown, file: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const notes = value as Partial<Record<keyof ReleaseNotes, unknown>>;
  const metadata = notes.metadata as { version?: unknown; migrations?: unknown } | null | undefined;
  return (
    notes.file === file &&
    typeof notes.body === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof metadata.version === 'string' &&
    Array.isArray(metadata.migrations) &&
    metadata.migrations.every((migration: unknown) => typeof (migration as { file?: unknown } | null)?.file === 'string')
  );
}
