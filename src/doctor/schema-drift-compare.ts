import type { ExpectedSchema, Origin } from './schema-model.js';

/** What pg_catalog holds, for the schemas the migrations touched. */
export interface ActualSchema {
  /** "schema.table" → column name → type as format_type() prints it. */
  tables: Map<string, Map<string, string>>;
  /** "schema.index" → "schema.table" it is on. */
  indexes: Map<string, string>;
}

export interface DriftFinding {
  kind: 'table' | 'column' | 'index';
  /** The object, schema-qualified: "public.items", "public.items.code". */
  object: string;
  problem: 'missing' | 'changed';
  /** What differs, for a changed object. */
  change?: string;
  origin: Origin;
}

/**
 * Compares the picture from the migrations with the catalog. `resolvedTypes`
 * maps each type text of the migrations to what format_type() calls it (null
 * when the server does not know it, which skips the comparison).
 */
export function findDrift(expected: ExpectedSchema, actual: ActualSchema, resolvedTypes: Map<string, string | null>): DriftFinding[] {
  const findings: DriftFinding[] = [];
  for (const [key, table] of expected.tables) {
    const columns = actual.tables.get(key);
    if (!columns) {
      if (table.origin) findings.push({ kind: 'table', object: key, problem: 'missing', origin: table.origin });
      else
        for (const column of table.columns.values())
          findings.push({ kind: 'column', object: `${key}.${column.name}`, problem: 'missing', origin: column.origin });
      continue;
    }
    for (const column of table.columns.values()) {
      const actualType = columns.get(column.name);
      if (actualType === undefined) {
        findings.push({ kind: 'column', object: `${key}.${column.name}`, problem: 'missing', origin: column.origin });
        continue;
      }
      const expectedType = column.type === undefined ? null : (resolvedTypes.get(column.type) ?? null);
      if (expectedType !== null && expectedType !== actualType) {
        findings.push({
          kind: 'column',
          object: `${key}.${column.name}`,
          problem: 'changed',
          change: `is ${actualType}, created as ${expectedType}`,
          origin: column.origin,
        });
      }
    }
  }
  for (const [key, index] of expected.indexes) {
    const onTable = actual.indexes.get(key);
    if (onTable === undefined) {
      findings.push({ kind: 'index', object: key, problem: 'missing', origin: index.origin });
    } else if (onTable !== index.table) {
      findings.push({ kind: 'index', object: key, problem: 'changed', change: `is on ${onTable}, created on ${index.table}`, origin: index.origin });
    }
  }
  return findings;
}

/** Schemas whose catalog must be read to compare. */
export function schemasOf(expected: ExpectedSchema): string[] {
  return [...new Set([...expected.tables.values()].map((table) => table.schema).concat([...expected.indexes.values()].map((index) => index.schema)))].sort();
}
