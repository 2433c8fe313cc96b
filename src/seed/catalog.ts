import { readFileSync } from 'node:fs';
import { inputError } from '../errors.js';
import { describe } from '../schema-messages.js';

/**
 * A seed catalog: rows an application ships beside its migrations (models,
 * plans, tool definitions), kept in a table by key. Declared per database in
 * the project file; see docs/seeds.md.
 *
 * - `insert`: add the rows the table lacks; never touch existing ones.
 * - `upsert`: add, and update existing rows (by key) to the catalog's values.
 * - `sync`: upsert, and delete the rows the catalog no longer lists (breaking).
 */
export const SEED_MODES = ['insert', 'upsert', 'sync'] as const;
export type SeedMode = (typeof SEED_MODES)[number];

export interface SeedCatalog {
  /** The JSON file, absolute. */
  file: string;
  /** How reports name it: the path relative to the project file. */
  name: string;
  schema: string;
  table: string;
  /** The columns that identify a row; every row gives them, and no two rows share them. */
  key: string[];
  mode: SeedMode;
}

export type Row = Record<string, unknown>;

/** A connection as the catalogs read and write through it: one query at a time. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount?: number | null }>;
}

/** A catalog's rows, read and checked against itself (not yet against its table). */
export interface LoadedCatalog {
  catalog: SeedCatalog;
  rows: Row[];
}

/** `models.json[2] (id "gpt-4o")`: how an error names a row. */
export function rowName(catalog: SeedCatalog, index: number, row: Row | undefined): string {
  const key = row ? ` (${catalog.key.map((column) => `${column} ${keyText(row[column])}`).join(', ')})` : '';
  return `${catalog.name}[${index}]${key}`;
}

function keyText(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : describe(value).replace(/^(number|boolean) /, '');
}

/** Line and column of a character offset, for a JSON error. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

function parseJson(catalog: SeedCatalog, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const where = position !== undefined ? ` at ${lineAndColumn(text, Number(position))}` : '';
    const what = message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    throw inputError(`The seed catalog ${catalog.name} is not valid JSON${where}: ${what}; no catalog was applied.`, `Fix ${catalog.file}.`, error);
  }
}

/** The identity of a row by its key, for finding duplicates: JSON of the key values in key order. */
export function keyOf(catalog: SeedCatalog, row: Row): string {
  return JSON.stringify(catalog.key.map((column) => row[column]));
}

/**
 * Reads a catalog: a JSON list of objects, each giving every key column a
 * value (a string, number or boolean), no two with the same key. Any problem
 * is an input error naming the file, the row and the field.
 */
export function loadCatalog(catalog: SeedCatalog): LoadedCatalog {
  let text: string;
  try {
    text = readFileSync(catalog.file, 'utf8');
  } catch (error) {
    throw inputError(
      `The seed catalog ${catalog.name} cannot be read: ${(error as Error).message}; no catalog was applied.`,
      'Check the file named in the project file.',
      error,
    );
  }
  const data = parseJson(catalog, text.replace(/^\uFEFF/, ''));
  if (!Array.isArray(data)) {
    throw inputError(
      `The seed catalog ${catalog.name} must be a JSON list of rows ([{…}, …]), and it is ${describe(data)}; no catalog was applied.`,
      `Fix ${catalog.file}.`,
    );
  }
  const seen = new Map<string, number>();
  const rows = data.map((row: unknown, index) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw inputError(
        `${catalog.name}[${index}] must be an object of column values, and it is ${describe(row)}; no catalog was applied.`,
        `Fix ${catalog.file}.`,
      );
    }
    const fields = row as Row;
    for (const column of catalog.key) {
      const value = fields[column];
      if (value === undefined || value === null || typeof value === 'object') {
        throw inputError(
          `${rowName(catalog, index, undefined)}: the key field "${column}" is ${value === undefined ? 'missing' : describe(value)}; every row needs a string, number or boolean there; no catalog was applied.`,
          `Fix ${catalog.file}.`,
        );
      }
    }
    const key = keyOf(catalog, fields);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw inputError(
        `${rowName(catalog, index, fields)} has the same key as ${catalog.name}[${earlier}]; no catalog was applied.`,
        `Keep one row per key in ${catalog.file}.`,
      );
    }
    seen.set(key, index);
    return fields;
  });
  return { catalog, rows };
}
