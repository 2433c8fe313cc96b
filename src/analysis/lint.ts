import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../engine/context.js';
import { withDatabase } from '../engine/run-lock.js';
import { inputError } from '../errors.js';
import { inRange, parseMigrationFileName } from '../migrations/discover.js';
import { anotherFolderError, checkBundle, describesAnotherFolder, formatProblem } from '../release/check.js';
import { loadReleaseNotes, type ReleaseNotes } from '../release/notes.js';
import { packageRoot } from '../version.js';
import { analyzeMigrations, type MigrationAnalysis } from './analyze.js';
import { readDatabaseFacts, type DatabaseFacts } from './database-facts.js';
import { lintOutcome, type LintOutcome } from './outcome.js';
import { displayPath, inFolder, readLintSources } from './sources.js';

export interface LintOptions {
  /** Read row counts and column types from the database. */
  withDatabase?: boolean;
}

/**
 * `astra lint` and the library's `lint()`: the safety analysis of the given
 * files or folders (default: the migrations folder), with row counts and
 * column types read from the database when one is meant. Returns the outcome,
 * failing findings included; throws only on bad input.
 */
export async function lintMigrations(context: Context, paths: string[], options: LintOptions = {}): Promise<LintOutcome> {
  const { sources, folders } = await readLintSources(paths.length > 0 ? paths : [context.migrationsDir], process.cwd(), {
    folder: context.migrationsDir,
    versions: context.versions,
  });
  const releases = await releaseNotesFor(context, folders);

  let database: DatabaseFacts | undefined;
  if (options.withDatabase) {
    database = await withDatabase(context, (db) =>
      readDatabaseFacts(
        db,
        sources.flatMap((source) => source.statements),
      ),
    );
    context.log.info(`Read row counts and column types of ${database.tables.size} table(s) from the database (PostgreSQL ${database.serverMajor}).`);
  }

  const analysis = analyzeMigrations(sources, database ? { database } : {});
  const problems = analysis.flatMap((migration) => migration.problems);
  if (problems.length > 0) {
    throw inputError(`${problems.join('; ')}.`, 'Write each acknowledgement as "-- astra:allow <rule-id> <reason>" on the line(s) right above the statement.');
  }
  const releasesFor = (migration: MigrationAnalysis) => (inFolder(migration, context.migrationsDir) ? releases : []);
  const outcome = lintOutcome(analysis, releasesFor);
  return outcome;
}

/**
 * The release notes that label the migrations folder, when the folder is
 * linted: read and checked against the folder (checkBundle). Files outside
 * the migrations folder are not labelled by them.
 */
async function releaseNotesFor(context: Context, folders: string[]): Promise<ReleaseNotes[]> {
  const lintsMigrationsFolder = folders.includes(context.migrationsDir);
  const explicit = context.releaseNotesDir !== resolve(packageRoot, 'release-notes');
  if (!existsSync(context.releaseNotesDir)) {
    if (explicit) throw inputError(`The release notes folder ${context.releaseNotesDir} does not exist.`, 'Check --release-notes-dir.');
    return [];
  }
  const releases = await loadReleaseNotes(context.releaseNotesDir, context.versions);
  if (lintsMigrationsFolder) {
    const files = readdirSync(context.migrationsDir).filter((file) => inRange(parseMigrationFileName(file)?.version ?? -1, context.versions));
    if (describesAnotherFolder(releases, files)) throw anotherFolderError(context);
    const problems = checkBundle(releases, files);
    if (problems.length > 0) {
      throw inputError(
        `The release notes in ${context.releaseNotesDir} do not match the migrations in ${context.migrationsDir}: ${problems.map(formatProblem).join('; ')}.`,
        'Correct the release notes front matter (docs/release-notes.md describes it) so that every migration belongs to exactly one release.',
      );
    }
  }
  // Named as the person typed them, like the migrations.
  return releases.map((release) => ({ ...release, file: displayPath(release.file) }));
}
