import { existingTables } from '../db/activity.js';
import type { MigrationVersion } from '../migration-version.js';
import { DEFAULT_TABLES, findForeignLedgers, readForeignLedger, recordVersion, type ForeignLedger } from '../db/foreign-ledgers.js';
import type { Database } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import type { LedgerRow } from '../db/ledger.js';
import { operationError } from '../errors.js';
import type { Migration } from './load.js';
import { inRange } from './discover.js';

type RangeVar = { relname?: string; schemaname?: string } | undefined;

/** The tables the migrations create (CREATE TABLE), as quoted SQL names. */
export function tablesCreated(migrations: Migration[]): string[] {
  const names = new Set<string>();
  for (const migration of migrations) {
    for (const statement of migration.statements) {
      if (statement.kind !== 'CreateStmt') continue;
      const relation = statement.node.relation as RangeVar;
      // As SQL names, quoted: to_regclass reads them the way the migration wrote them.
      if (relation?.relname) names.add(relation.schemaname ? `${quoteIdent(relation.schemaname)}.${quoteIdent(relation.relname)}` : quoteIdent(relation.relname));
    }
  }
  return [...names];
}

/**
 * A ledger that records no migration means a fresh install only when the
 * database holds none of the tables the migrations create. When it does, the
 * ledger was dropped or emptied (or another tool migrated the database):
 * running every migration again, breaking ones included, on a database with
 * data is exactly what must not happen. Throws, changing nothing.
 */
export async function refuseFalseFreshStart(db: Database, migrations: Migration[], ledger: LedgerRow[]): Promise<void> {
  if (ledger.length > 0 || migrations.length === 0) return;
  await refuseForeignManaged(db, migrations);
  const found = await existingTables(db, tablesCreated(migrations));
  if (found.length === 0) return;
  const shown = found.slice(0, 5).join(', ') + (found.length > 5 ? `, and ${found.length - 5} more` : '');
  throw operationError(
    `astra's ledger records no migration, yet ${db.target.label} already has ${found.length} table(s) the migrations create (${shown}): this is not a fresh install, and running every migration again could destroy data; nothing was changed.`,
    "If astra's ledger was dropped or emptied, record where the database stands with astra migrate force <version> (the last migration whose changes it has), then run again; if another tool migrated it, do the same with that tool's version; if those tables belong to another application, give this one a database or schema of its own.",
  );
}

/** What another tool applied to a database astra has not adopted. */
export interface ForeignManager {
  ledger: ForeignLedger;
  /** Migrations it recorded as applied (golang-migrate: its version). */
  applied: number;
}

/**
 * The other tool that migrated the database, if one did: a ledger of
 * golang-migrate, dbmate, node-pg-migrate, goose, Flyway or an application's
 * own schema_migrations table, in the search path, that records a migration
 * applied (or a failed or dirty one). Tables the migrations create
 * themselves are not another tool's; nor is a ledger with nothing applied
 * (goose's version-0 row, Flyway's schema row).
 */
export async function foreignManager(db: Database, migrations: Migration[]): Promise<ForeignManager | undefined> {
  const created = tablesCreated(migrations).map((name) => name.replace(/^.*\./, '').replace(/"/g, ''));
  for (const ledger of await findForeignLedgers(db, undefined, created)) {
    if (ledger.rows === 0) continue;
    const reading = await readForeignLedger(db, ledger);
    // A table shared by a project's databases: only this database's range counts.
    const range = db.target.placement?.versions;
    const inOurRange = (version: MigrationVersion | undefined) => !range || version === undefined || inRange(version, range);
    const ours = reading.applied.filter((record) => inOurRange(recordVersion(record)));
    // golang-migrate records only where it stands: at version N, N files are applied (a dotted baseline counts one).
    const upTo = reading.upTo !== undefined && reading.upTo !== 0 && inOurRange(reading.upTo) ? reading.upTo : 0;
    const applied = ours.length + (typeof upTo === 'number' ? upTo : 1) + reading.repeatables.length;
    if (applied > 0 || reading.problems.length > 0) return { ledger, applied };
  }
  return undefined;
}

/** The command that takes a database over from `ledger`'s tool, naming its table when it is not the tool's own default. */
export function adoptCommand(ledger: ForeignLedger): string {
  return `astra adopt --from ${ledger.tool}${ledger.shown === DEFAULT_TABLES[ledger.tool] ? '' : ` --table ${ledger.shown}`}`;
}

/**
 * A database another tool migrated and astra's ledger does not record: astra
 * would apply again what that tool applied. Throws, naming the tool and the
 * command that takes the database over.
 */
export async function refuseForeignManaged(db: Database, migrations: Migration[]): Promise<void> {
  const managed = await foreignManager(db, migrations);
  if (!managed) return;
  const { tool, shown } = managed.ledger;
  throw operationError(
    `${db.target.label} is managed by ${tool} (its ledger ${shown} records migrations as applied) and astra's ledger records nothing: running the migrations would apply again what ${tool} applied; nothing was changed.`,
    `Take the database over with ${adoptCommand(managed.ledger)} (read its mapping first with --dry-run): it records what ${tool} applied, and astra applies the rest.`,
  );
}
