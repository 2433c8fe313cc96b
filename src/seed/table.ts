import { isPgError } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import { inputError } from '../errors.js';
import { describe } from '../schema-messages.js';
import { rowName, type LoadedCatalog, type Queryable, type Row } from './catalog.js';

/** A column of a catalog's table, as the catalog's values are checked against it. */
export interface Column {
  name: string;
  /** As the server prints it, e.g. `integer`, `character varying(64)`. */
  type: string;
  /** pg_type.typcategory: N numeric, B boolean, A array, C composite, S string, … */
  category: string;
  json: boolean;
  notNull: boolean;
  generated: boolean;
  identityAlways: boolean;
}

export interface CatalogTable {
  /** Quoted schema.table. */
  sql: string;
  /** `schema.table` for messages. */
  name: string;
  columns: Map<string, Column>;
}

/** The table a catalog fills, read from the server; undefined when it does not exist. */
export async function readTable(db: Queryable, schema: string, table: string): Promise<CatalogTable | undefined> {
  const sql = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const { rows } = await db.query<{
    name: string;
    type: string;
    category: string;
    typname: string;
    not_null: boolean;
    generated: boolean;
    identity_always: boolean;
  }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category,
            coalesce(bt.typname, t.typname) AS typname, a.attnotnull AS not_null,
            a.attgenerated <> '' AS generated, a.attidentity = 'a' AS identity_always
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [sql],
  );
  if (rows.length === 0) return undefined;
  const columns = new Map(
    rows.map((row) => [
      row.name,
      {
        name: row.name,
        type: row.type,
        category: row.category,
        json: row.typname === 'json' || row.typname === 'jsonb',
        notNull: row.not_null,
        generated: row.generated,
        identityAlways: row.identity_always,
      },
    ]),
  );
  return { sql, name: `${schema}.${table}`, columns };
}

const NUMERIC_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Why a JSON value cannot go into the column, judged from its JSON type; undefined when it can (the server has the last word). */
function valueProblem(value: unknown, column: Column): string | undefined {
  const found = () => `is ${describe(value)}, and column ${column.name} is ${column.type}`;
  if (value === null) return column.notNull ? `is null, and column ${column.name} is NOT NULL` : undefined;
  if (column.json) return undefined;
  switch (column.category) {
    case 'N':
      return typeof value === 'number' || (typeof value === 'string' && NUMERIC_TEXT.test(value)) ? undefined : found();
    case 'B':
      return typeof value === 'boolean' ? undefined : found();
    case 'A':
      return Array.isArray(value) ? undefined : found();
    case 'C':
      return typeof value === 'object' && !Array.isArray(value) ? undefined : found();
    default:
      return typeof value === 'string' ? undefined : found();
  }
}

/**
 * Checks every row of a catalog against its table: each field a column the
 * table has and that can be written, each value of the column's type. The
 * server converts the values as a write would (so a bad date or enum label
 * is caught here, before anything is written). Throws an input error naming
 * the file, the row and the field.
 */
export async function checkCatalog(db: Queryable, loaded: LoadedCatalog, table: CatalogTable): Promise<void> {
  const { catalog, rows } = loaded;
  const bad = (index: number, row: Row, field: string, problem: string) =>
    inputError(`${rowName(catalog, index, row)}: field "${field}" ${problem}; no catalog was applied.`, `Fix ${catalog.file}, or the table it fills.`);
  for (const column of catalog.key) {
    if (!table.columns.has(column)) {
      throw inputError(
        `The seed catalog ${catalog.name} has key column "${column}", which table ${table.name} does not have; no catalog was applied.`,
        'Fix the key in the project file.',
      );
    }
  }
  rows.forEach((row, index) => {
    for (const [field, value] of Object.entries(row)) {
      const column = table.columns.get(field);
      if (!column) throw bad(index, row, field, `is not a column of table ${table.name}`);
      if (column.generated) throw bad(index, row, field, `is a generated column of table ${table.name}, which cannot be written`);
      const problem = valueProblem(value, column);
      if (problem) throw bad(index, row, field, problem);
    }
  });
  // The server's own conversion, for the whole catalog at once; row by row and field by field only to name a failure.
  const convert = (value: unknown) => db.query(`SELECT count(*) FROM jsonb_populate_recordset(NULL::${table.sql}, $1::jsonb)`, [JSON.stringify(value)]);
  try {
    await convert(rows);
    return;
  } catch (error) {
    if (!isPgError(error)) throw error;
  }
  for (const [index, row] of rows.entries()) {
    for (const [field, value] of Object.entries(row)) {
      try {
        await convert([{ [field]: value }]);
      } catch (error) {
        if (!isPgError(error)) throw error;
        throw bad(index, row, field, `cannot be stored in column ${field} (${table.columns.get(field)!.type}): ${error.message}`);
      }
    }
  }
}
