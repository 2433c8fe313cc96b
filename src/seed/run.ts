import type { Database } from '../db/database.js';
import { isPgError, LOCK_NOT_AVAILABLE } from '../db/database.js';
import { AstraError, EXIT_BAD_INPUT, inputError, operationError } from '../errors.js';
import type { Context } from '../engine/context.js';
export { loadCatalog } from './catalog.js';
import { loadCatalog, type LoadedCatalog, type Queryable, type SeedCatalog, type SeedMode } from './catalog.js';
import { applyCatalog, diffCatalog, type CatalogDiff, type RowKey } from './diff.js';
import { checkCatalog, readTable, type CatalogTable } from './table.js';

/** What one catalog did (or, in a dry run, would do) to its table. */
export interface CatalogReport {
  catalog: string;
  table: string;
  mode: SeedMode;
  /** The table does not exist yet (a dry run before the migrations that create it): every row would be added. */
  tableMissing: boolean;
  added: number;
  changed: number;
  deleted: number;
  unchanged: number;
  /** The rows by key: those added, changed (with the fields that differ) and deleted. */
  rows: { add: RowKey[]; change: { key: RowKey; fields: string[] }[]; delete: RowKey[] };
}

export interface SeedReport {
  dryRun: boolean;
  seeds: CatalogReport[];
}

export interface SeedOptions {
  dryRun?: boolean;
  /** A sync that deletes rows is breaking: it goes ahead only with this (or a yes at the prompt). */
  allowBreaking?: boolean;
  /** What to say a deletion was refused by, in the fix: the command to run. */
  command?: string;
}

/** How long a catalog waits for its table's lock before giving up (writers hold it only briefly). */
const SEED_LOCK_TIMEOUT = '5s';

interface Checked {
  loaded: LoadedCatalog;
  table: CatalogTable | undefined;
}

/**
 * Every catalog read and checked against its table before any is applied:
 * one bad catalog stops them all. A table that does not exist is an error
 * unless `missingTableAllowed` (a dry run, before the migrations create it).
 */
async function checkAll(db: Queryable, catalogs: SeedCatalog[], missingTableAllowed: boolean): Promise<Checked[]> {
  const loaded = catalogs.map(loadCatalog);
  const checked: Checked[] = [];
  for (const one of loaded) {
    const table = await readTable(db, one.catalog.schema, one.catalog.table);
    if (!table && !missingTableAllowed) {
      throw inputError(
        `The seed catalog ${one.catalog.name} fills table ${one.catalog.schema}.${one.catalog.table}, which does not exist; no catalog was applied.`,
        'Apply the migrations that create it first (astra migrate up), or fix the table in the project file.',
      );
    }
    if (table) await checkCatalog(db, one, table);
    checked.push({ loaded: one, table });
  }
  return checked;
}

function reportOf(catalog: SeedCatalog, table: CatalogTable | undefined, diff: CatalogDiff): CatalogReport {
  return {
    catalog: catalog.name,
    table: `${catalog.schema}.${catalog.table}`,
    mode: catalog.mode,
    tableMissing: table === undefined,
    added: diff.add.length,
    changed: diff.change.length,
    deleted: diff.delete.length,
    unchanged: diff.unchanged,
    rows: { add: diff.add, change: diff.change, delete: diff.delete },
  };
}

const keyText = (key: RowKey) =>
  Object.entries(key)
    .map(([column, value]) => `${column} ${JSON.stringify(value)}`)
    .join(', ');

/** One line per catalog: what it changes, or that it changes nothing. */
export function catalogLine(report: CatalogReport, dryRun: boolean): string {
  const { added, changed, deleted, unchanged } = report;
  if (added + changed + deleted === 0) return `${report.catalog} → ${report.table}: nothing to change (${unchanged} row(s) as shipped)`;
  const verbs = dryRun ? ['to add', 'to change', 'to delete'] : ['added', 'changed', 'deleted'];
  return `${report.catalog} → ${report.table}${report.tableMissing ? ' (not created yet)' : ''}: ${added} ${verbs[0]}, ${changed} ${verbs[1]}, ${deleted} ${verbs[2]}, ${unchanged} unchanged`;
}

/** The rows themselves, for a dry run: `+ id "x"`, `~ id "y": price, name`, `- id "z"`. */
export function catalogRowLines(report: CatalogReport): string[] {
  return [
    ...report.rows.add.map((key) => `  + ${keyText(key)}`),
    ...report.rows.change.map((change) => `  ~ ${keyText(change.key)}: ${change.fields.join(', ')}`),
    ...report.rows.delete.map((key) => `  - ${keyText(key)}`),
  ];
}

/** Catalogs whose sync would delete rows, in words, for a refusal or a question. */
function deletionsText(reports: CatalogReport[]): string {
  return reports.map((report) => `${report.catalog} would delete ${report.deleted} row(s) of ${report.table}`).join('; ');
}

/** What a dry run of the catalogs finds, for a plan: changes nothing. */
export async function previewSeeds(db: Queryable, catalogs: SeedCatalog[]): Promise<CatalogReport[]> {
  const checked = await checkAll(db, catalogs, true);
  const reports: CatalogReport[] = [];
  for (const { loaded, table } of checked) reports.push(reportOf(loaded.catalog, table, await diffCatalog(db, loaded, table)));
  return reports;
}

/**
 * Applies the context's seed catalogs to `db`, each in its own transaction
 * with its table locked against writers (reads go on), after every catalog
 * was checked. A second run changes nothing. A sync that would delete rows
 * needs `allowBreaking` or a yes from the person running it.
 */
export async function seedDatabase(context: Context, db: Database, options: SeedOptions = {}): Promise<SeedReport> {
  const catalogs = context.seeds ?? [];
  const dryRun = options.dryRun === true;
  if (catalogs.length === 0) return { dryRun, seeds: [] };
  const preview = await previewSeeds(db, catalogs);
  if (dryRun) {
    for (const report of preview) {
      context.log.info(catalogLine(report, true));
      for (const line of catalogRowLines(report)) context.log.info(line);
    }
    return { dryRun, seeds: preview };
  }
  const deleting = preview.filter((report) => report.deleted > 0);
  if (deleting.length > 0 && !options.allowBreaking) await askToDelete(context, deleting, options.command ?? 'astra seed');
  const checked = await checkAll(db, catalogs, false);
  const reports: CatalogReport[] = [];
  for (const { loaded, table } of checked) {
    const report = await applyOne(db, loaded, table!, deleting.length > 0 || options.allowBreaking === true, options.command ?? 'astra seed');
    context.log.info(catalogLine(report, false));
    reports.push(report);
  }
  return { dryRun, seeds: reports };
}

async function askToDelete(context: Context, deleting: CatalogReport[], command: string): Promise<void> {
  const what = deletionsText(deleting);
  if (context.yes || !context.confirm) {
    throw new AstraError(
      `${what}: deleting shipped catalog rows is breaking, and ${context.yes ? '--yes alone does not accept it' : 'there is no terminal to ask on'}; no catalog was applied.`,
      {
        exitCode: EXIT_BAD_INPUT,
        fix: `See the rows with astra seed --dry-run; run ${command} again with --allow-breaking to delete them.`,
        database: 'unchanged',
      },
    );
  }
  if (!(await context.confirm(`${what}. Delete them?`, false))) throw operationError('Cancelled; no catalog was applied.');
}

async function applyOne(db: Database, loaded: LoadedCatalog, table: CatalogTable, deletesAllowed: boolean, command: string): Promise<CatalogReport> {
  const { catalog } = loaded;
  try {
    return await db.transaction(async () => {
      await db.query(`SET LOCAL lock_timeout = '${SEED_LOCK_TIMEOUT}'`);
      await db.query(`LOCK TABLE ${table.sql} IN SHARE ROW EXCLUSIVE MODE`);
      const diff = await diffCatalog(db, loaded, table);
      if (diff.delete.length > 0 && !deletesAllowed) {
        throw new AstraError(
          `${catalog.name} would now delete ${diff.delete.length} row(s) of ${table.name}, which nobody accepted; this catalog was not applied.`,
          {
            exitCode: EXIT_BAD_INPUT,
            fix: `See the rows with astra seed --dry-run; run ${command} again with --allow-breaking to delete them.`,
          },
        );
      }
      if (diff.add.length + diff.change.length + diff.delete.length > 0) {
        const applied = await applyCatalog(db, loaded, table);
        if (applied.added !== diff.add.length || applied.changed !== diff.change.length || applied.deleted !== diff.delete.length) {
          throw operationError(
            `${catalog.name}: the rows written (${applied.added} added, ${applied.changed} changed, ${applied.deleted} deleted) are not what was read under the lock; this catalog was not applied.`,
            'Check that the key columns identify one row each (a unique index on them), then run again.',
          );
        }
      }
      return reportOf(catalog, table, diff);
    });
  } catch (error) {
    if (error instanceof AstraError) throw error;
    if (isPgError(error) && error.code === LOCK_NOT_AVAILABLE) {
      throw operationError(
        `${catalog.name}: table ${table.name} stayed locked by another session for ${SEED_LOCK_TIMEOUT}; this catalog was not applied.`,
        `Run ${command} again when the table is less busy.`,
        error,
      );
    }
    throw operationError(
      `${catalog.name}: writing to ${table.name} failed: ${(error as Error).message}; this catalog was not applied.`,
      `Fix ${catalog.file} or the table, then run ${command} again.`,
      error,
    );
  }
}
