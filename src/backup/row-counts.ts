import type { Database } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import type { TableCount } from './manifest.js';

/** Above this many rows by the planner's statistics, a table's count is the estimate rather than count(*). */
export const EXACT_COUNT_LIMIT = 1_000_000;

/**
 * The user tables whose rows pg_dump saves: ordinary tables and partitions
 * outside the system schemas, less tables that belong to an extension.
 */
export async function userTables(db: Database): Promise<{ schema: string; name: string; reltuples: number }[]> {
  const { rows } = await db.query<{ schema: string; name: string; reltuples: number }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2`,
  );
  return rows;
}

async function exactCount(db: Database, schema: string, name: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(name)}`);
  return Number(rows[0]?.n ?? 0);
}

/** Rows of every user table: count(*), or the estimate for tables above EXACT_COUNT_LIMIT rows. */
export async function countRows(db: Database, onTable?: (done: number, total: number) => void): Promise<TableCount[]> {
  const tables = await userTables(db);
  const counts: TableCount[] = [];
  for (const table of tables) {
    const estimated = table.reltuples > EXACT_COUNT_LIMIT;
    const rows = estimated ? Math.round(table.reltuples) : await exactCount(db, table.schema, table.name);
    counts.push({ schema: table.schema, name: table.name, rows, estimated });
    onTable?.(counts.length, tables.length);
  }
  return counts;
}

/** Counts the rows of the tables a manifest lists, in another database (a restored copy); estimated ones only as present or not. */
export async function countListedRows(db: Database, expected: readonly TableCount[]): Promise<Map<string, number | 'present'>> {
  const present = new Set((await userTables(db)).map((table) => tableKey(table)));
  const actual = new Map<string, number | 'present'>();
  for (const table of expected) {
    const key = tableKey(table);
    if (!present.has(key)) continue;
    actual.set(key, table.estimated ? 'present' : await exactCount(db, table.schema, table.name));
  }
  return actual;
}

export function tableKey(table: { schema: string; name: string }): string {
  return `${table.schema}.${table.name}`;
}

/**
 * What differs between the counts a manifest recorded and those of a restored
 * copy: a sentence per table that is missing or holds another number of rows.
 */
export function rowCountDifferences(expected: readonly TableCount[], actual: ReadonlyMap<string, number | 'present'>): string[] {
  const differences: string[] = [];
  for (const table of expected) {
    const key = tableKey(table);
    const found = actual.get(key);
    if (found === undefined) differences.push(`${key} is missing`);
    else if (!table.estimated && found !== table.rows) differences.push(`${key} has ${found} rows, the backup recorded ${table.rows}`);
  }
  return differences;
}
