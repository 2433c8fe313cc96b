import type { RunnerEvents } from './apply.js';
import type { Migration } from './load.js';
import { oneLine } from './plan.js';
import { formatMs } from '../duration.js';
import { green, yellow, type Log } from '../ui/log.js';

export function migrationLabel(migration: { digits: string; name: string }): string {
  return `${migration.digits} ${migration.name}`;
}

/** Prints the runner's progress, one line per event, on stderr. */
export function runnerEventsFor(log: Log, verb = 'applied'): RunnerEvents {
  return {
    migrationStarted: (migration: Migration, resumeAt?: number) => {
      if (resumeAt !== undefined) {
        log.info(`  … resuming ${migrationLabel(migration)} at statement ${resumeAt + 1} of ${migration.statements.length}`);
      }
    },
    statementOutside: (migration, statement) =>
      log.info(`  … ${migrationLabel(migration)}: ${statement.outsideTransaction} outside the transaction: ${oneLine(statement.text, 90)}`),
    lockRetry: (migration, statement, attempt, of, delayMs) =>
      log.info(
        yellow(
          log.color,
          `  ↻ ${migrationLabel(migration)}: lock not granted within lock_timeout for "${oneLine(statement.text, 60)}"; attempt ${attempt} of ${of} in ${formatMs(delayMs)}`,
        ),
      ),
    invalidIndexDropped: (migration, index) =>
      log.info(yellow(log.color, `  ↻ ${migrationLabel(migration)}: dropped the INVALID index ${index} left by a failed concurrent build; building it again`)),
    indexFoundBuilt: (migration, index) => log.info(`  ↻ ${migrationLabel(migration)}: the index ${index} was finished before the interruption; going on`),
    migrationApplied: (migration, durationMs) => log.info(`  ${green(log.color, '✔')} ${migrationLabel(migration)} ${verb} (${formatMs(durationMs)})`),
  };
}
