import { quoteIdent } from '../db/quote.js';
import type { LoadedCatalog, Queryable, Row, SeedCatalog } from './catalog.js';
import type { CatalogTable } from './table.js';

/** A row named by its key columns, e.g. `{ "id": "gpt-4o" }`. */
export type RowKey = Record<string, unknown>;

/** What a catalog would change in its table: the rows to add, to change (and which fields), to delete. */
export interface CatalogDiff {
  add: RowKey[];
  change: { key: RowKey; fields: string[] }[];
  delete: RowKey[];
  /** Catalog rows the table already holds as they are (or, in insert mode, holds at all). */
  unchanged: number;
}

/** Rows that give the same fields are compared and written by one statement. */
interface Group {
  fields: string[];
  rows: Row[];
}

function groupsOf(rows: Row[]): Group[] {
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const fields = Object.keys(row).sort();
    const id = JSON.stringify(fields);
    const group = groups.get(id) ?? { fields, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  return [...groups.values()];
}

const keyOfRow = (catalog: SeedCatalog, row: Row): RowKey => Object.fromEntries(catalog.key.map((column) => [column, row[column]]));

/** `t.a = c.a AND t.b = c.b`: a table row and a catalog row with the same key. */
function sameKey(catalog: SeedCatalog): string {
  return catalog.key.map((column) => `t.${quoteIdent(column)} = c.${quoteIdent(column)}`).join(' AND ');
}

/** Whether a column's value differs; json has no equality, so it is compared as jsonb. */
function differs(table: CatalogTable, column: string): string {
  const cast = table.columns.get(column)?.type === 'json' ? '::jsonb' : '';
  return `t.${quoteIdent(column)}${cast} IS DISTINCT FROM c.${quoteIdent(column)}${cast}`;
}

const catalogRows = (table: CatalogTable) => `jsonb_populate_recordset(NULL::${table.sql}, $1::jsonb)`;

/** The fields of a group that are compared and updated: every one but the key's. */
const valueFields = (catalog: SeedCatalog, group: Group) => group.fields.filter((field) => !catalog.key.includes(field));

/** Reads what applying the catalog would do. In a transaction with the table locked, it is exactly what the apply does. */
export async function diffCatalog(db: Queryable, loaded: LoadedCatalog, table: CatalogTable | undefined): Promise<CatalogDiff> {
  const { catalog, rows } = loaded;
  if (!table) return { add: rows.map((row) => keyOfRow(catalog, row)), change: [], delete: [], unchanged: 0 };
  const diff: CatalogDiff = { add: [], change: [], delete: [], unchanged: 0 };
  for (const group of groupsOf(rows)) {
    const fields = valueFields(catalog, group);
    const compared = fields.map((field, index) => `, ${differs(table, field)} AS d${index}`).join('');
    const { rows: found } = await db.query<Record<string, boolean | number | null>>(
      `SELECT c.ordinality AS ord, m.present${fields.map((_, index) => `, m.d${index}`).join('')}
         FROM ${catalogRows(table)} WITH ORDINALITY AS c
         LEFT JOIN LATERAL (SELECT true AS present${compared} FROM ${table.sql} AS t WHERE ${sameKey(catalog)} LIMIT 1) AS m ON true
        ORDER BY c.ordinality`,
      [JSON.stringify(group.rows)],
    );
    for (const result of found) {
      const row = group.rows[Number(result.ord) - 1]!;
      const key = keyOfRow(catalog, row);
      if (result.present !== true) {
        diff.add.push(key);
        continue;
      }
      const changed = catalog.mode === 'insert' ? [] : fields.filter((_, index) => result[`d${index}`] === true);
      if (changed.length > 0) diff.change.push({ key, fields: changed });
      else diff.unchanged++;
    }
  }
  if (catalog.mode === 'sync') {
    const keys = catalog.key.map((column) => `t.${quoteIdent(column)}`).join(', ');
    const { rows: extra } = await db.query<{ key: unknown[] }>(
      `SELECT jsonb_build_array(${keys}) AS key FROM ${table.sql} AS t
        WHERE NOT EXISTS (SELECT 1 FROM ${catalogRows(table)} AS c WHERE ${sameKey(catalog)})
        ORDER BY ${keys}`,
      [JSON.stringify(rows.map((row) => keyOfRow(catalog, row)))],
    );
    diff.delete = extra.map((row) => Object.fromEntries(catalog.key.map((column, index) => [column, row.key[index]])));
  }
  return diff;
}

/** How many rows each statement changed. */
export interface Applied {
  added: number;
  changed: number;
  deleted: number;
}

/**
 * Writes a catalog into its table: updates (upsert, sync), then inserts,
 * then deletes (sync). The caller holds a transaction with the table locked,
 * and has checked the catalog against the table.
 */
export async function applyCatalog(db: Queryable, loaded: LoadedCatalog, table: CatalogTable): Promise<Applied> {
  const { catalog, rows } = loaded;
  const applied: Applied = { added: 0, changed: 0, deleted: 0 };
  for (const group of groupsOf(rows)) {
    const json = [JSON.stringify(group.rows)];
    const fields = valueFields(catalog, group);
    if (catalog.mode !== 'insert' && fields.length > 0) {
      const set = fields.map((field) => `${quoteIdent(field)} = c.${quoteIdent(field)}`).join(', ');
      const anyDiffers = fields.map((field) => differs(table, field)).join(' OR ');
      const updated = await db.query(`UPDATE ${table.sql} AS t SET ${set} FROM ${catalogRows(table)} AS c WHERE ${sameKey(catalog)} AND (${anyDiffers})`, json);
      applied.changed += updated.rowCount ?? 0;
    }
    const columns = group.fields.map(quoteIdent).join(', ');
    const overriding = group.fields.some((field) => table.columns.get(field)?.identityAlways) ? ' OVERRIDING SYSTEM VALUE' : '';
    const inserted = await db.query(
      `INSERT INTO ${table.sql} (${columns})${overriding}
       SELECT ${group.fields.map((field) => `c.${quoteIdent(field)}`).join(', ')} FROM ${catalogRows(table)} AS c
        WHERE NOT EXISTS (SELECT 1 FROM ${table.sql} AS t WHERE ${sameKey(catalog)})`,
      json,
    );
    applied.added += inserted.rowCount ?? 0;
  }
  if (catalog.mode === 'sync') {
    const deleted = await db.query(`DELETE FROM ${table.sql} AS t WHERE NOT EXISTS (SELECT 1 FROM ${catalogRows(table)} AS c WHERE ${sameKey(catalog)})`, [
      JSON.stringify(rows.map((row) => keyOfRow(catalog, row))),
    ]);
    applied.deleted = deleted.rowCount ?? 0;
  }
  return applied;
}
