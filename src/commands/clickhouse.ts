import type { Command } from 'commander';
import type { ClickhouseSettings } from '../clickhouse/runner.js';
import { parseDuration, parseVersionNumber } from '../duration.js';
import { AstraError, EXIT_FAILED, inputError } from '../errors.js';
import { renderTable } from '../ui/table.js';
import { useColor } from '../ui/log.js';
import type { Action, Context } from './context.js';
import { DEFAULT_LOCK_WAIT_MS } from '../defaults.js';

/** Commands that work on files alone, the same for every kind of database. */
const FILES_ONLY = new Set(['migrate create']);

/** What the commands that do not apply to ClickHouse say when they pass over one. */
const NOT_FOR_CLICKHOUSE: Record<string, string> = {
  backup: 'astra backs up PostgreSQL databases; a ClickHouse database is rolled back with its .down.sql files (astra migrate down)',
  rollback: 'a ClickHouse database is rolled back with its .down.sql files (astra migrate down), not from a backup',
  seed: 'seed catalogs are for PostgreSQL databases',
  adopt: 'astra adopts PostgreSQL databases that other tools migrated',
  migrate: 'astra runs migrate up, down and create on a ClickHouse database',
  serve: 'astra serve works on the PostgreSQL databases of a project',
};

const lockWait = (command: Command) => {
  const given = command.opts<{ lockWait?: string }>().lockWait;
  return given ? parseDuration(given, '--lock-wait') : DEFAULT_LOCK_WAIT_MS;
};

/**
 * A command on a ClickHouse database of a project: astra's ClickHouse runner
 * for status, migrate up/down, lint, doctor and the upgrade's dry run; the
 * same action for commands that only write files; and, for commands that
 * have no meaning there (backups, seeds), a line saying it is passed over —
 * or an error when the database was named with --db.
 */
export async function clickhouseCommand(
  path: string,
  context: Context,
  settings: ClickhouseSettings,
  command: Command,
  action: Action,
  args: unknown[],
  named: boolean,
): Promise<unknown> {
  const run = { log: context.log, signal: context.signal, lockWaitMs: lockWait(command) };
  switch (path) {
    case 'status': {
      const { clickhouseStatus } = await import('../clickhouse/runner.js');
      const report = await clickhouseStatus(settings);
      context.out(`Database     ClickHouse ${report.database} (server ${report.serverVersion})`);
      context.out(
        `Migrations   ${report.migrationsDir}: ${report.applied} applied, ${report.pending} pending${report.unfinished ? `, ${report.unfinished} unfinished` : ''}`,
      );
      if (report.migrations.length > 0) {
        context.out('');
        context.out(
          renderTable(
            ['VERSION', 'NAME', 'STATE', 'APPLIED AT (UTC)', ''],
            report.migrations.map((entry) => [String(entry.version), entry.name, entry.state, entry.appliedAt ?? '', entry.detail ?? '']),
          ),
        );
      }
      return report;
    }
    case 'migrate up': {
      const { clickhouseUp } = await import('../clickhouse/runner.js');
      const flags = command.opts<{ to?: string; dryRun?: boolean }>();
      const to = flags.to === undefined ? undefined : parseVersionNumber(flags.to, '--to');
      return clickhouseUp(settings, run, { ...(to !== undefined ? { to } : {}), dryRun: flags.dryRun === true });
    }
    case 'migrate down': {
      const { clickhouseDown } = await import('../clickhouse/runner.js');
      const given = args[0] as string | undefined;
      const count = given === undefined ? 1 : Number(given);
      if (!Number.isSafeInteger(count) || count < 1) throw inputError(`astra migrate down ${given}: the count must be a whole number of 1 or more.`);
      return clickhouseDown(settings, run, count);
    }
    case 'lint': {
      const [{ lintClickhouse }, { renderLintReport }] = await Promise.all([import('../clickhouse/lint.js'), import('../analysis/report.js')]);
      const outcome = lintClickhouse(settings.migrationsDir, settings.versions);
      context.out(renderLintReport(outcome));
      const failing = outcome.findings.filter((finding) => finding.status === 'failing');
      if (failing.length > 0) {
        context.emit(outcome);
        throw new AstraError(
          `lint found ${failing.length} breaking statement(s) that no -- astra:allow acknowledges: ${failing.map((finding) => `${finding.file}:${finding.line} ${finding.rule}`).join(', ')}.`,
          {
            fix: 'Rewrite each statement as its fix says, or acknowledge it with "-- astra:allow <rule-id> <reason>" right above it.',
            exitCode: EXIT_FAILED,
            result: outcome,
          },
        );
      }
      return outcome;
    }
    case 'doctor': {
      const [{ clickhouseDoctor }, { renderReport }, { DoctorFailedError }] = await Promise.all([
        import('../clickhouse/doctor.js'),
        import('../doctor/report.js'),
        import('./doctor.js'),
      ]);
      const report = await clickhouseDoctor(settings);
      context.out(renderReport(report, useColor(process.stdout)));
      const strict = command.opts<{ strict?: boolean }>().strict === true;
      if (!report.ok || (strict && report.summary.warn > 0)) {
        context.emit(report);
        throw new DoctorFailedError(report, strict);
      }
      return report;
    }
    case 'upgrade':
    case 'checklist': {
      const { planClickhouseUpgrade, renderClickhousePlan } = await import('../clickhouse/upgrade.js');
      const plan = await planClickhouseUpgrade(settings);
      context.out(renderClickhousePlan(plan));
      return { kind: 'clickhouse', dryRun: true, plan, applied: [] };
    }
    default: {
      if (FILES_ONLY.has(path)) return action(context, ...args);
      const why = NOT_FOR_CLICKHOUSE[path.split(' ')[0]!] ?? `astra ${path} works on PostgreSQL databases`;
      if (named) throw inputError(`astra ${path} does not apply to a ClickHouse database: ${why}.`, 'Name the PostgreSQL databases with --db.');
      context.log.info(`Passed over: ${why}.`);
      return { skipped: why };
    }
  }
}
