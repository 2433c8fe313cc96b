import type { Command } from 'commander';
import type { LintOptions } from '../analysis/lint.js';
import type { LintOutcome } from '../analysis/outcome.js';
import { AstraError, EXIT_FAILED } from '../errors.js';
import type { Context, Wrap } from './context.js';

/** Adds `astra lint [paths...]`. */
export function registerLint(program: Command, run: Wrap): void {
  program
    .command('lint')
    .description('the safety analysis of migration SQL: locks, rewrites, and what to write instead')
    .argument('[paths...]', 'migration files or folders (default: the migrations folder)')
    .option('--with-database', 'read row counts and column types from the database even without --database-url or DATABASE_URL')
    .action(run((context, paths, flags) => lint(context, (paths as string[] | undefined) ?? [], flags as LintOptions)));
}

/** `astra lint`: the report on stdout; exit 1 when a breaking statement is neither declared nor acknowledged. */
async function lint(context: Context, paths: string[], options: LintOptions): Promise<LintOutcome> {
  // A database named by --database-url or DATABASE_URL is read; --with-database reads the one PG* or the local cluster gives.
  const withDatabase = options.withDatabase === true || Boolean(context.databaseUrl) || Boolean(process.env.DATABASE_URL);
  const [{ lintMigrations }, { renderLintReport }] = await Promise.all([import('../analysis/lint.js'), import('../analysis/report.js')]);
  const outcome = await lintMigrations(context, paths, { withDatabase });
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
