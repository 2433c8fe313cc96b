import type { StatisticsOutcome } from '../backup/restored-check.js';
import type { Log } from '../ui/log.js';

/**
 * Says how gathering the restored database's statistics went: a line when
 * it did, a warning with the command to run when it did not, when ANALYZE
 * skipped tables the role may not analyze, or when it failed on some of
 * them. `database` is the name the database has once the rollback is done.
 */
export function reportStatistics(log: Log, database: string, outcome: StatisticsOutcome): void {
  const command = `vacuumdb --analyze-only --dbname=${shellWord(database)}`;
  const meanwhile = 'until then its queries may be planned as if its tables were empty; autovacuum gathers them in time otherwise';
  if (!outcome.gathered) {
    log.warn(
      `The planner's statistics of the restored ${database} could not be gathered (${outcome.problem}): once the rollback is done, run ${command} as its owner; ${meanwhile}.`,
    );
    return;
  }
  const of = outcome.failed.length > 0 ? `${outcome.tables - outcome.failed.length} of ` : '';
  log.info(`Gathered the planner's statistics of the restored ${database} (ANALYZE of ${of}${outcome.tables} table(s)).`);
  if (outcome.skipped.length > 0) {
    log.warn(
      `ANALYZE skipped ${outcome.skipped.length} table(s) the role may not analyze (${outcome.skipped.join('; ')}): run ${command} as their owner; ${meanwhile}.`,
    );
  }
  if (outcome.failed.length > 0) {
    const tables = outcome.failed.map((failure) => ` --table=${shellWord(failure.table)}`).join('');
    log.warn(
      `ANALYZE failed on ${outcome.failed.length} table(s) (${outcome.failed.map((failure) => `${failure.table}: ${failure.problem}`).join('; ')}): once the cause is fixed, run ${command}${tables}; ${meanwhile}.`,
    );
  }
}

/**
 * `text` as one word of a POSIX shell command: as it is when the shell would
 * read it so, else in single quotes (a quote in it closed, escaped and
 * reopened). Table names come quoted as SQL quotes them (`public."Order"`).
 */
export function shellWord(text: string): string {
  return /^[\w.,:/=@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
