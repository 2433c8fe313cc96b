import { inputError, operationError } from '../errors.js';
import type { LedgerRow } from '../db/ledger.js';
import type { DiscoveredMigration } from './discover.js';
import { byVersion, compareVersions, type MigrationVersion } from '../migration-version.js';

interface Checksummed extends DiscoveredMigration {
  checksum: string;
}

export type MigrationState = 'applied' | 'pending' | 'dirty' | 'changed' | 'no file';

export interface MigrationStatus {
  version: MigrationVersion;
  name: string;
  file: string | null;
  state: MigrationState;
  appliedAt: Date | null;
  durationMs: number | null;
  /** For dirty migrations: the statement it stopped at and the error. */
  failedStatement: string | null;
  error: string | null;
}

/** Every migration known to the folder or the ledger, with its state, by version. */
export function migrationStatuses(migrations: Checksummed[], ledger: LedgerRow[]): MigrationStatus[] {
  const rowByVersion = new Map(ledger.map((row) => [row.version, row]));
  const statuses: MigrationStatus[] = migrations.map((migration) => {
    const row = rowByVersion.get(migration.version);
    const state: MigrationState = !row ? 'pending' : row.dirty ? 'dirty' : row.checksum !== migration.checksum ? 'changed' : 'applied';
    return {
      version: migration.version,
      name: migration.name,
      file: migration.file,
      state,
      appliedAt: row?.appliedAt ?? null,
      durationMs: row && !row.dirty ? row.durationMs : null,
      failedStatement: row?.failedStatement ?? null,
      error: row?.error ?? null,
    };
  });
  const known = new Set(migrations.map((migration) => migration.version));
  for (const row of ledger) {
    if (known.has(row.version)) continue;
    statuses.push({
      version: row.version,
      name: row.name,
      file: null,
      state: 'no file',
      appliedAt: row.appliedAt,
      durationMs: row.durationMs,
      failedStatement: row.failedStatement,
      error: row.error,
    });
  }
  return statuses.sort(byVersion);
}

/**
 * Refuses a ledger with a hole: a migration not recorded as applied while a
 * later one is. Whatever made it (a row deleted by hand, a restore of part of
 * the table), it is not a fresh start: the plan would run that migration, and
 * for an upgrade treat the database as empty, so breaking migrations would
 * run without the consent they need.
 */
export function refuseLedgerHoles(statuses: MigrationStatus[]): void {
  const found = ledgerHoles(statuses);
  if (!found) return;
  const { holes, last } = found;
  throw operationError(
    `The ledger has a hole: ${describe(holes)} ${holes.length === 1 ? 'is' : 'are'} not recorded as applied, yet later migrations are (up to ${last}); astra does not guess what the database holds, so nothing was changed.`,
    `If ${holes.length === 1 ? 'the file is' : 'the files are'} new (a branch merged after later migrations were applied), number ${holes.length === 1 ? 'it' : 'them'} above ${last}. If the ledger lost ${holes.length === 1 ? 'its row' : 'their rows'} and the database has what ${holes.length === 1 ? 'it' : 'they'} made (check with astra doctor), record that with astra migrate force ${last}. Otherwise restore a backup (astra backup list).`,
  );
}

/** The migrations not recorded while a later one is, with the last version recorded; undefined when there is no hole. */
export function ledgerHoles(statuses: MigrationStatus[]): { holes: MigrationStatus[]; last: MigrationVersion } | undefined {
  const last = statuses.filter((status) => status.state !== 'pending').at(-1)?.version;
  if (last === undefined) return undefined;
  const holes = statuses.filter((status) => status.state === 'pending' && compareVersions(status.version, last) < 0);
  return holes.length > 0 ? { holes, last } : undefined;
}

/** A row left unfinished because astra was stopped in it (killed, cut off) rather than because a statement failed. */
export function wasInterrupted(row: LedgerRow): boolean {
  return row.dirty && row.error === null;
}

/** Checks a target version given on the command line: 0 or a version with a file. */
export function checkTargetVersion(migrations: DiscoveredMigration[], target: MigrationVersion, flag: string): void {
  if (target === 0 || migrations.some((migration) => migration.version === target)) return;
  const last = migrations.at(-1);
  throw inputError(
    `${flag} ${target}: no migration has version ${target}.`,
    last ? `Use one of the versions astra status lists (the newest is ${last.version}), or 0.` : 'The migrations folder is empty.',
  );
}

export interface UpPlan<M extends Checksummed> {
  /** Migrations to apply, in order. */
  pending: M[];
  /** Versions already applied, left alone. */
  skipped: MigrationVersion[];
  /** A dirty migration to finish first, from `fromStatement`. */
  resume?: { migration: M; fromStatement: number; row: LedgerRow };
}

/**
 * What `migrate up` would do, or the reason it must not: a migration file
 * changed after it was applied, a version applied that has no file (the
 * database is newer than this code), or a dirty migration that cannot resume.
 */
export function planUp<M extends Checksummed>(migrations: M[], ledger: LedgerRow[], target?: MigrationVersion): UpPlan<M> {
  const statuses = migrationStatuses(migrations, ledger);

  const missing = statuses.filter((status) => status.state === 'no file');
  if (missing.length > 0) {
    throw operationError(
      `The database is newer than these migrations: ${describe(missing)} ${missing.length === 1 ? 'is' : 'are'} applied but ${missing.length === 1 ? 'has' : 'have'} no file here.`,
      'Run the astra version that applied them (npx astra@latest), or point --migrations-dir at the right folder.',
    );
  }
  const changed = statuses.filter((status) => status.state === 'changed');
  if (changed.length > 0) {
    throw operationError(
      `${changed.map((status) => status.file).join(', ')} changed after ${changed.length === 1 ? 'it was' : 'they were'} applied (the checksum differs from the ledger's).`,
      'Restore the file as it was applied and put new changes in a new migration (astra migrate create).',
    );
  }

  refuseLedgerHoles(statuses);

  const migrationByVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const rowByVersion = new Map(ledger.map((row) => [row.version, row]));
  const dirty = statuses.filter((status) => status.state === 'dirty');
  let resume: UpPlan<M>['resume'];
  if (dirty.length > 0) {
    const first = dirty[0]!;
    const row = rowByVersion.get(first.version)!;
    const migration = migrationByVersion.get(first.version)!;
    if (dirty.length > 1 || row.nextStatement === null || row.checksum !== migration.checksum) {
      const why = row.checksum !== migration.checksum ? ' and its file changed since' : row.nextStatement === null ? ' by a failed down migration' : '';
      throw operationError(
        `Migration ${first.version} (${first.file}) was left unfinished${why}${row.failedStatement ? `; it stopped at: ${oneLine(row.failedStatement)}` : ''}${row.error ? ` (${row.error})` : ''}.`,
        `Repair the database by hand, then record where it stands with astra migrate force ${first.version} (done) or astra migrate force ${previousVersion(migrations, first.version)} (not done).`,
      );
    }
    resume = { migration, fromStatement: row.nextStatement, row };
  }

  const pending = migrations.filter((migration) => !rowByVersion.has(migration.version) && (target === undefined || compareVersions(migration.version, target) <= 0));
  const skipped = statuses.filter((status) => status.state === 'applied').map((status) => status.version);
  return resume ? { pending, skipped, resume } : { pending, skipped };
}

export function previousVersion(migrations: DiscoveredMigration[], version: MigrationVersion): MigrationVersion {
  const earlier = migrations.filter((migration) => compareVersions(migration.version, version) < 0);
  return earlier.at(-1)?.version ?? 0;
}

function describe(statuses: MigrationStatus[]): string {
  const names = statuses.map((status) => `${status.version} (${status.name})`);
  return names.length === 1 ? `migration ${names[0]}` : `migrations ${names.join(', ')}`;
}

export function oneLine(sql: string, max = 120): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
