import { existsSync } from 'node:fs';
import { Ledger } from '../db/ledger.js';
import { loadMigrations } from '../migrations/load.js';
import { migrationStatuses, oneLine, type MigrationStatus } from '../migrations/plan.js';
import { renderTable } from '../ui/table.js';
import { loadReleaseNotes } from '../release/notes.js';
import { databaseVersion } from '../release/versions.js';
import { astraVersion } from '../version.js';
import { withDatabase, type Context } from './context.js';

export interface StatusReport {
  database: string;
  applicationVersion: string;
  /** The highest release whose migrations are all applied; null when none is, or without release notes. */
  databaseVersion: string | null;
  /** Highest applied migration version, or null when none is. */
  schemaVersion: number | null;
  migrationsDir: string;
  applied: number;
  pending: number;
  dirty: number;
  migrations: (Omit<MigrationStatus, 'appliedAt'> & { appliedAt: string | null })[];
}

/** `astra status`: application version, database version, applied and pending migrations. */
export async function status(context: Context): Promise<StatusReport> {
  const migrations = await loadMigrations(context.migrationsDir);
  const { statuses, label } = await withDatabase(context, async (db) => {
    const ledger = await Ledger.open(db, { create: false });
    return { statuses: migrationStatuses(migrations, await ledger.rows()), label: db.target.label };
  });
  // Without a release notes folder there is no release to name; invalid notes are an input error.
  const releases = existsSync(context.releaseNotesDir) ? await loadReleaseNotes(context.releaseNotesDir) : [];
  const appliedFiles = statuses.filter((entry) => entry.state === 'applied' && entry.file).map((entry) => entry.file!);
  const count = (state: MigrationStatus['state']) => statuses.filter((entry) => entry.state === state).length;
  const recorded = statuses.filter((entry) => entry.state !== 'pending');
  const report: StatusReport = {
    database: label,
    applicationVersion: astraVersion,
    databaseVersion: databaseVersion(releases, appliedFiles),
    schemaVersion: recorded.at(-1)?.version ?? null,
    migrationsDir: context.migrationsDir,
    applied: count('applied'),
    pending: count('pending'),
    dirty: count('dirty'),
    migrations: statuses.map((entry) => ({ ...entry, appliedAt: entry.appliedAt ? entry.appliedAt.toISOString() : null })),
  };
  if (!context.json) printStatus(context, report, statuses);
  return report;
}

function printStatus(context: Context, report: StatusReport, statuses: MigrationStatus[]): void {
  const log = { info: context.out };
  log.info(`Database     ${report.database}`);
  log.info(`Application  ${report.applicationVersion}`);
  log.info(`Database at  ${report.databaseVersion ?? (report.schemaVersion === null ? 'nothing yet (empty)' : 'no complete release')}`);
  log.info(`Schema       ${report.schemaVersion === null ? 'empty (no migration applied)' : `migration ${report.schemaVersion}`}`);
  log.info(`Migrations   ${report.migrationsDir}: ${report.applied} applied, ${report.pending} pending${report.dirty ? `, ${report.dirty} dirty` : ''}`);
  if (statuses.length === 0) return;
  log.info('');
  const rows = statuses.map((entry) => [
    String(entry.version),
    entry.name,
    entry.state,
    entry.appliedAt ? entry.appliedAt.toISOString().replace('T', ' ').slice(0, 19) : '',
    entry.state === 'dirty' && entry.failedStatement ? `stopped at: ${oneLine(entry.failedStatement, 60)}` : '',
  ]);
  log.info(renderTable(['VERSION', 'NAME', 'STATE', 'APPLIED AT (UTC)', ''], rows));
}
