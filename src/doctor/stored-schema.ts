import type { ExpectedColumn, ExpectedSchema, Origin } from './schema-model.js';

/**
 * The model as plain JSON, to be kept in the parse cache: each origin once
 * (a CREATE TABLE's text would otherwise be repeated for each of its
 * columns), referred to by its position.
 */
export interface StoredSchema {
  origins: Origin[];
  /** [key, schema, name, origin or -1, [column, type or null, origin][]] */
  tables: [string, string, string, number, [string, string | null, number][]][];
  /** [key, schema, name, table key, columns, origin] */
  indexes: [string, string, string, string, string[], number][];
}

export function storedSchema(model: ExpectedSchema): StoredSchema {
  const origins: Origin[] = [];
  const positions = new Map<Origin, number>();
  const position = (origin: Origin): number => {
    let at = positions.get(origin);
    if (at === undefined) {
      at = origins.push(origin) - 1;
      positions.set(origin, at);
    }
    return at;
  };
  return {
    tables: [...model.tables].map(([key, table]) => [
      key,
      table.schema,
      table.name,
      table.origin ? position(table.origin) : -1,
      [...table.columns.values()].map((column): [string, string | null, number] => [column.name, column.type ?? null, position(column.origin)]),
    ]),
    indexes: [...model.indexes].map(([key, index]) => [key, index.schema, index.name, index.table, index.columns, position(index.origin)]),
    origins,
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isTuple = (value: unknown, length: number): value is unknown[] => Array.isArray(value) && value.length === length;

/** The model a StoredSchema holds; undefined for anything else (a cache entry written by something else, or damaged). */
export function schemaFromStored(value: unknown): ExpectedSchema | undefined {
  const stored = value as Partial<StoredSchema> | null;
  if (typeof stored !== 'object' || stored === null || !Array.isArray(stored.origins) || !Array.isArray(stored.tables) || !Array.isArray(stored.indexes))
    return undefined;
  const origins = stored.origins as unknown[];
  const isOrigin = (origin: unknown) =>
    typeof origin === 'object' &&
    origin !== null &&
    (isString((origin as Origin).version) || typeof (origin as Origin).version === 'number') &&
    isString((origin as Origin).file) &&
    isString((origin as Origin).statement);
  if (!origins.every(isOrigin)) return undefined;
  const originAt = (at: unknown): Origin | undefined => (Number.isInteger(at) ? (origins[at as number] as Origin | undefined) : undefined);
  const model: ExpectedSchema = { tables: new Map(), indexes: new Map() };
  for (const entry of stored.tables as unknown[]) {
    if (!isTuple(entry, 5) || !isString(entry[0]) || !isString(entry[1]) || !isString(entry[2]) || !Array.isArray(entry[4])) return undefined;
    const origin = entry[3] === -1 ? undefined : originAt(entry[3]);
    if (entry[3] !== -1 && !origin) return undefined;
    const columns = new Map<string, ExpectedColumn>();
    for (const column of entry[4] as unknown[]) {
      if (!isTuple(column, 3) || !isString(column[0]) || !(column[1] === null || isString(column[1]))) return undefined;
      const columnOrigin = originAt(column[2]);
      if (!columnOrigin) return undefined;
      columns.set(column[0], { name: column[0], type: column[1] ?? undefined, origin: columnOrigin });
    }
    model.tables.set(entry[0], { schema: entry[1], name: entry[2], origin, columns });
  }
  for (const entry of stored.indexes as unknown[]) {
    if (!isTuple(entry, 6) || !isString(entry[0]) || !isString(entry[1]) || !isString(entry[2]) || !isString(entry[3])) return undefined;
    const columns = entry[4];
    const origin = originAt(entry[5]);
    if (!Array.isArray(columns) || !columns.every(isString) || !origin) return undefined;
    model.indexes.set(entry[0], { schema: entry[1], name: entry[2], table: entry[3], columns, origin });
  }
  return model;
}
