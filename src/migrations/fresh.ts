import { existingTables } from '../db/activity.js';
import { findForeignLedgers } from '../db/foreign-ledgers.js';
import type { Database } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import type { LedgerRow } from '../db/ledger.js';
import { operationError } from '../errors.js';
import type { Migration } from './load.js';

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
  await refuseForeignManaged(db);
  const found = await existingTables(db, tablesCreated(migrations));
  if (found.length === 0) return;
  const shown = found.slice(0, 5).join(', ') + (found.length > 5 ? `, and ${found.length - 5} more` : '');
  throw operationError(
    `astra's ledger records no migration, yet ${db.target.label} already has ${found.length} table(s) the migrations create (${shown}): this is not a fresh install, and running every migration again could destroy data; nothing was changed.`,
    "If astra's ledger was dropped or emptied, record where the database stands with astra migrate force <version> (the last migration whose changes it has), then run again; if another tool migrated it, do the same with that tool's version; if those tables belong to another application, give this one a database or schema of its own.",
  );
}

/**
 * A database whose migrations another tool recorded (golang-migrate, dbmate,
 * node-pg-migrate, goose, Flyway) and astra's ledger does not: astra would
 * apply again what that tool applied. Throws, naming the tool and the
 * command that takes the database over.
 */
export async function refuseForeignManaged(db: Database): Promise<void> {
  const managed = (await findForeignLedgers(db)).find((ledger) => ledger.rows > 0);
  if (!managed) return;
  const table = managed.table.replace(/^public\./, '');
  const defaultTable = { 'golang-migrate': 'schema_migrations', dbmate: 'schema_migrations', 'node-pg-migrate': 'pgmigrations', goose: 'goose_db_version', flyway: 'flyway_schema_history', 'schema-migrations': 'schema_migrations' }[
    managed.tool
  ];
  throw operationError(
    `${db.target.label} is managed by ${managed.tool} (its ledger ${managed.table} has ${managed.rows} row(s)) and astra's ledger records nothing: running the migrations would apply again what ${managed.tool} applied; nothing was changed.`,
    `Take the database over with astra adopt --from ${managed.tool}${table === defaultTable ? '' : ` --table ${table}`}: it records what ${managed.tool} applied, and astra applies the rest.`,
  );
}
