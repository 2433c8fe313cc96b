import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import semver from 'semver';
import { LineCounter, parseDocument } from 'yaml';
import { errorMessage, inputError } from '../errors.js';
import { splitFrontMatter } from './front-matter.js';
import { inRange, parseMigrationFileName, type VersionRange } from '../migrations/discover.js';
import { validateReleaseMetadata, type ReleaseMetadata } from './schema.js';

/** One `release-notes/<version>.md`: its metadata and the Markdown a person reads. */
export interface ReleaseNotes {
  /** The path as it is shown in messages, e.g. `release-notes/0.9.0.md`. */
  file: string;
  metadata: ReleaseMetadata;
  body: string;
}

const FIX = 'Correct the front matter; docs/release-notes.md describes every field.';

/** The version a release notes file is named for: `release-notes/0.9.0.md` → `0.9.0`. */
export function versionOfFileName(file: string): string {
  return basename(file).replace(/\.md$/, '');
}

/**
 * Reads one release notes file. `file` names it in messages. Throws an input
 * error (exit code 2) naming the file and the field when the front matter is
 * missing, is not YAML, does not match the schema, or disagrees with the
 * file's name.
 */
export function parseReleaseNotes(file: string, text: string): ReleaseNotes {
  const { yaml, yamlFirstLine, body } = splitFrontMatter(file, text);

  const lineCounter = new LineCounter();
  const document = parseDocument(yaml, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError) {
    const where = ` at line ${lineCounter.linePos(yamlError.pos[0]).line + yamlFirstLine - 1}`;
    const reason = yamlError.message.split('\n')[0] ?? yamlError.code;
    throw inputError(`${file}: the front matter is not valid YAML${where}: ${reason}`, FIX, yamlError);
  }

  const data: unknown = document.toJS();
  if (data === null || data === undefined) {
    throw inputError(`${file}: the front matter is empty.`, FIX);
  }
  const result = validateReleaseMetadata(data);
  if (!result.ok) {
    const messages = result.issues.map((issue) => issue.message);
    throw inputError(`${file}: ${messages.join('; ')}.`, FIX);
  }

  const named = versionOfFileName(file);
  if (named !== result.metadata.version) {
    throw inputError(
      `${file}: version is ${result.metadata.version} but the file is named for ${named}.`,
      `Rename the file to ${result.metadata.version}.md, or correct its version field.`,
    );
  }
  return { file, metadata: result.metadata, body };
}

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
  for (const name of names.filter((entry) => entry.endsWith('.md')).sort()) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw inputError(`${file} cannot be read: ${errorMessage(error)}.`, 'Check the file exists and is readable.', error);
    }
    releases.push(parseReleaseNotes(file, text));
  }
  return sortReleases(versions ? releases.map((release) => onlyVersions(release, versions)) : releases);
}

function onlyVersions(release: ReleaseNotes, versions: VersionRange): ReleaseNotes {
  const migrations = release.metadata.migrations.filter((migration) => inRange(parseMigrationFileName(migration.file)?.version ?? -1, versions));
  return { ...release, metadata: { ...release.metadata, migrations } };
}
