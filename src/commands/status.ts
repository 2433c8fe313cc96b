import { oneLine } from '../migrations/plan.js';
import type { StatusReport } from '../migrations/status.js';
import { renderTable } from '../ui/table.js';
import type { Context } from './context.js';

/** `astra status`: the report, as a table on stdout (or the JSON object with --json). */
export async function status(context: Context): Promise<StatusReport> {
  const { statusReport } = await import('../migrations/status.js');
  const report = await statusReport(context);
  if (!context.json) printStatus(context, report);
  return report;
}

function printStatus(context: Context, report: StatusReport): void {
  const statuses = report.migrations;
  const log = { info: (line: string) => context.out(line) };
  log.info(`Database     ${report.database}`);
  log.info(`Application  ${report.applicationVersion}`);
  log.info(`Database at  ${report.databaseVersion ?? (report.schemaVersion === null ? 'nothing yet (empty)' : 'no complete release')}`);
  log.info(`Schema       ${report.schemaVersion === null ? 'empty (no migration applied)' : `migration ${report.schemaVersion}`}`);
  log.info(`Migrations   ${report.migrationsDir}: ${report.applied} applied, ${report.pending} pending${report.dirty ? `, ${report.dirty} dirty` : ''}`);
  if (statuses.length === 0 && !report.repeatables) return;
  log.info('');
  const rows = statuses.map((entry) => [
    String(entry.version),
    entry.name,
    entry.state,
    entry.appliedAt ? entry.appliedAt.replace('T', ' ').slice(0, 19) : '',
    entry.state === 'dirty' && entry.failedStatement ? `stopped at: ${oneLine(entry.failedStatement, 60)}` : '',
  ]);
  const repeatables = (report.repeatables ?? []).map((entry) => [
    'R',
    entry.name,
    entry.state === 'changed' ? 'changed (runs again)' : entry.state,
    entry.appliedAt ? entry.appliedAt.replace('T', ' ').slice(0, 19) : '',
    '',
  ]);
  log.info(renderTable(['VERSION', 'NAME', 'STATE', 'APPLIED AT (UTC)', ''], [...rows, ...repeatables]));
}
