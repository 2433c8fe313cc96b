import type { ForeignLedger } from '../../db/foreign-ledgers.js';
import { adoptCommand } from '../../migrations/fresh.js';
import type { LedgerRow } from '../../db/ledger.js';
import { ledgerHoles, migrationStatuses, oneLine, previousVersion, type MigrationStatus } from '../../migrations/plan.js';
import type { Migration } from '../../migrations/load.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

interface Finding {
  status: 'warn' | 'fail';
  detail: string;
  fix: string;
}

/** A migration as the check reads it: its statements only where a finding needs them (an unfinished migration). */
type KnownMigration = Omit<Migration, 'statements'> & { statements?: Migration['statements'] };

const named = (status: MigrationStatus) => `${status.version} (${status.file ?? status.name})`;

/** Names a few migrations, or the first and last of many. */
function list(statuses: MigrationStatus[]): string {
  if (statuses.length <= 5) return statuses.map(named).join(', ');
  return `${named(statuses[0]!)} to ${named(statuses.at(-1)!)}`;
}

function dirtyFinding(status: MigrationStatus, row: LedgerRow | undefined, migrations: KnownMigration[]): Finding {
  const migration = migrations.find((candidate) => candidate.version === status.version);
  const total = migration?.statements?.length;
  // Resuming makes sense when the ledger says where, for the file as it was applied.
  const resumeAt = row && row.nextStatement !== null && row.checksum === migration?.checksum ? row.nextStatement : undefined;
  // A run that was killed records no failed statement; the one it was at is the one to resume at.
  const statement = status.failedStatement ?? (resumeAt === undefined ? undefined : migration?.statements?.[resumeAt]?.text);
  const position = resumeAt === undefined ? '' : ` at statement ${resumeAt + 1}${total ? ` of ${total}` : ''}`;
  const text = statement ? `${position ? ':' : ' at:'} ${oneLine(statement)}` : '';
  const cause = status.error ? ` — ${status.error}` : status.failedStatement ? '' : ' (the run was interrupted)';
  return {
    status: 'fail',
    detail: `migration ${status.version} (${status.file}) is unfinished (dirty): it stopped${position}${text}${cause}`,
    fix:
      resumeAt === undefined
        ? `Repair the database by hand, then record where it stands with astra migrate force ${status.version} (done) or astra migrate force ${previousVersion(migrations, status.version)} (not done).`
        : `Fix the cause, then run astra migrate up: it resumes at statement ${resumeAt + 1}.`,
  };
}

/** Decides on the ledger against the package's migrations. */
export function judgeMigrations(migrations: KnownMigration[], rows: LedgerRow[], changedRepeatables: string[] = []): CheckOutcome {
  const statuses = migrationStatuses(migrations, rows);
  const rowByVersion = new Map(rows.map((row) => [row.version, row]));
  const of = (state: MigrationStatus['state']) => statuses.filter((status) => status.state === state);
  const findings: Finding[] = [];

  const unknown = of('no file');
  if (unknown.length > 0) {
    findings.push({
      status: 'fail',
      detail: `the database is newer than this package: ${list(unknown)} ${unknown.length === 1 ? 'is' : 'are'} applied but unknown here`,
      fix: 'Run the astra version that applied them (npx astra@latest), or point --migrations-dir at the right folder; do not downgrade the application.',
    });
  }
  const changed = of('changed');
  if (changed.length > 0) {
    findings.push({
      status: 'fail',
      detail: `${changed.map((status) => status.file).join(', ')} changed after ${changed.length === 1 ? 'it was' : 'they were'} applied (checksum drift: the file no longer matches the ledger)`,
      fix: 'Restore the file as it was applied and put new changes in a new migration (astra migrate create).',
    });
  }
  for (const status of of('dirty')) findings.push(dirtyFinding(status, rowByVersion.get(status.version), migrations));
  // A migration missing below one recorded is a hole, which migrate up and upgrade refuse: not "pending".
  const found = ledgerHoles(statuses);
  if (found) {
    const { holes, last } = found;
    findings.push({
      status: 'fail',
      detail: `the ledger has a hole: ${list(holes)} ${holes.length === 1 ? 'is' : 'are'} not recorded as applied, yet later migrations are (up to ${last})`,
      fix: `If ${holes.length === 1 ? 'the file is' : 'the files are'} new, number ${holes.length === 1 ? 'it' : 'them'} above ${last}; if the database has what ${holes.length === 1 ? 'it' : 'they'} made, record that with astra migrate force ${last}; otherwise restore a backup.`,
    });
  }
  const pending = of('pending').filter((status) => !found?.holes.includes(status));
  if (pending.length > 0) {
    findings.push({
      status: 'warn',
      detail: `${pending.length} pending: ${list(pending)}`,
      fix: 'Apply them with astra upgrade (backup first) or astra migrate up.',
    });
  }
  if (changedRepeatables.length > 0) {
    findings.push({
      status: 'warn',
      detail: `repeatable migration(s) new or changed since last applied: ${changedRepeatables.join(', ')}`,
      fix: 'astra migrate up (or astra upgrade) runs them after the versioned migrations.',
    });
  }

  if (findings.length === 0) {
    const applied = of('applied');
    return {
      status: 'ok',
      detail: applied.length === 0 ? 'no migrations to apply' : `${applied.length} applied, none pending (newest ${applied.at(-1)?.version})`,
    };
  }
  return {
    status: findings.some((finding) => finding.status === 'fail') ? 'fail' : 'warn',
    detail: findings.map((finding) => finding.detail).join('; '),
    fix: findings.map((finding) => finding.fix).join(' '),
  };
}

/** A database another tool migrated and astra has not adopted: migrate up and upgrade refuse it. */
export function foreignManaged(managed: ForeignLedger): CheckOutcome {
  return {
    status: 'fail',
    detail: `the database is managed by ${managed.tool} (its ledger ${managed.shown} records migrations as applied) and astra's ledger records nothing`,
    fix: `Take it over with ${adoptCommand(managed)} (read its mapping first with --dry-run); astra migrate up and upgrade refuse the database until then.`,
  };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const [files, rows] = await Promise.all([input.migrationFiles(), input.ledgerRows()]);
  if (rows.length === 0 && files.length > 0) {
    const managed = await input.foreignManager?.();
    if (managed) return foreignManaged(managed.ledger);
  }
  // Read and parsed only when a file is not applied as it is, or a migration is unfinished: a file that
  // does not parse is reported, and an unfinished migration's finding names the statement it stopped at.
  // Every other file ran on this database as it is.
  const recorded = new Map(rows.map((row) => [row.version, row]));
  const asApplied = files.every((file) => recorded.get(file.version)?.checksum === file.checksum);
  const migrations = asApplied && !rows.some((row) => row.dirty) ? files : await input.migrations();
  return judgeMigrations(migrations, rows, (await input.changedRepeatables?.()) ?? []);
}

export const migrations: DoctorCheck = {
  id: 'migrations',
  title: 'Migrations',
  area: 'schema',
  connection: 'needs',
  run,
};
