import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { analyzeMigrations, type MigrationAnalysis } from '../analysis/analyze.js';
import { readDatabaseFacts, type DatabaseFacts } from '../analysis/database-facts.js';
import { lintOutcome, type LintOutcome } from '../analysis/outcome.js';
import { renderLintReport } from '../analysis/report.js';
import { displayPath, inFolder, readLintSources } from '../analysis/sources.js';
import { AstraError, EXIT_FAILED, inputError } from '../errors.js';
import { anotherFolderError, checkBundle, describesAnotherFolder, formatProblem } from '../release/check.js';
import { loadReleaseNotes, type ReleaseNotes } from '../release/notes.js';
import { packageRoot } from '../version.js';
import { withDatabase, type Context, type Wrap } from './context.js';

export interface LintOptions {
  /** Connect even without --database-url or DATABASE_URL (PG* variables, or the embedded cluster). */
  withDatabase?: boolean;
}

/** Lint failed: carries the whole result, for --json. */
/** Adds `astra lint [paths...]`. */
export function registerLint(program: Command, run: Wrap): void {
  program
    .command('lint')
    .description('the safety analysis of migration SQL: locks, rewrites, and what to write instead')
    .argument('[paths...]', 'migration files or folders (default: the migrations folder)')
    .option('--with-database', 'read row counts and column types from the database even without --database-url or DATABASE_URL')
    .action(run((context, paths, flags) => lint(context, (paths as string[] | undefined) ?? [], flags as LintOptions)));
}

export async function lint(context: Context, paths: string[], options: LintOptions = {}): Promise<LintOutcome> {
  const { sources, folders } = await readLintSources(paths.length > 0 ? paths : [context.migrationsDir]);
  const releases = await releaseNotesFor(context, folders);

  let database: DatabaseFacts | undefined;
  if (context.databaseUrl || process.env.DATABASE_URL || options.withDatabase) {
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
  context.out(renderLintReport(outcome));

  const failing = outcome.findings.filter((finding) => finding.status === 'failing');
  if (failing.length > 0) {
    const list = failing.slice(0, 5).map((finding) => `${finding.file}:${finding.line} ${finding.rule}`);
    throw new AstraError(
      `lint found ${failing.length} breaking statement(s) that no release notes declare and no -- astra:allow acknowledges: ${list.join(', ')}${failing.length > 5 ? ', ...' : ''}.`,
      {
        fix: 'Rewrite each statement as its fix says; or mark the migration breaking in its release notes; or acknowledge the finding with "-- astra:allow <rule-id> <reason>" right above the statement.',
        exitCode: EXIT_FAILED,
        result: outcome,
      },
    );
  }
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
  const releases = await loadReleaseNotes(context.releaseNotesDir);
  if (lintsMigrationsFolder) {
    const files = readdirSync(context.migrationsDir);
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
