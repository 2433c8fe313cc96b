import type { Statement } from '../migrations/parse.js';
import type { MigrationVersion } from '../migration-version.js';

/**
 * What the applied migrations left in the database, as far as their parse
 * trees say: tables with their columns, and named indexes. Later statements
 * (DROP, RENAME, SET SCHEMA, ALTER COLUMN TYPE) update the picture, so that an
 * object dropped on purpose is not expected.
 */

/** The migration statement that made an object. */
export interface Origin {
  version: MigrationVersion;
  file: string;
  statement: string;
}

export interface ExpectedColumn {
  name: string;
  /** Type as written, e.g. "pg_catalog.int4[]"; undefined when it cannot be told (serial is mapped). */
  type: string | undefined;
  origin: Origin;
}

export interface ExpectedTable {
  schema: string;
  name: string;
  /** Undefined when no migration created it (it was only altered by one). */
  origin: Origin | undefined;
  columns: Map<string, ExpectedColumn>;
}

export interface ExpectedIndex {
  schema: string;
  name: string;
  /** Key of its table, "schema.table". */
  table: string;
  /** Plain column names it covers (expressions are left out). */
  columns: string[];
  origin: Origin;
}

export interface ExpectedSchema {
  tables: Map<string, ExpectedTable>;
  indexes: Map<string, ExpectedIndex>;
}

/** A migration's statements that ran. */
export interface AppliedStatements {
  version: MigrationVersion;
  file: string;
  statements: Statement[];
}

type Node = Record<string, unknown>;
interface RangeVar {
  schemaname?: string;
  relname?: string;
  relpersistence?: string;
}

export const keyOf = (schema: string, name: string): string => `${schema}.${name}`;

const SERIAL_TYPES: Record<string, string> = {
  serial: 'pg_catalog.int4',
  serial4: 'pg_catalog.int4',
  bigserial: 'pg_catalog.int8',
  serial8: 'pg_catalog.int8',
  smallserial: 'pg_catalog.int2',
  serial2: 'pg_catalog.int2',
};

const strings = (items: unknown): string[] =>
  Array.isArray(items)
    ? items.map((item) => (item as { String?: { sval?: string } }).String?.sval).filter((value): value is string => typeof value === 'string')
    : [];

/** The type of a column definition as text that to_regtype() reads, or undefined. */
export function typeText(typeName: unknown): string | undefined {
  const node = typeName as { names?: unknown; arrayBounds?: unknown[]; pct_type?: boolean; setof?: boolean } | undefined;
  if (!node || node.pct_type || node.setof) return undefined;
  const names = strings(node.names);
  if (names.length === 0) return undefined;
  const base = names.length === 1 && SERIAL_TYPES[names[0]!] ? SERIAL_TYPES[names[0]!]! : names.join('.');
  return base + '[]'.repeat(node.arrayBounds?.length ?? 0);
}

/** Builds the picture of the schema from applied migrations, in order; `defaultSchema` places unqualified names. */
export function expectedSchema(applied: AppliedStatements[], defaultSchema: string): ExpectedSchema {
  const model: ExpectedSchema = { tables: new Map(), indexes: new Map() };
  for (const migration of applied) {
    for (const statement of migration.statements) {
      const origin: Origin = { version: migration.version, file: migration.file, statement: statement.text };
      applyStatement(model, statement.kind, statement.node, origin, defaultSchema);
    }
  }
  return model;
}

function tableKey(relation: RangeVar | undefined, defaultSchema: string): string | undefined {
  return relation?.relname ? keyOf(relation.schemaname ?? defaultSchema, relation.relname) : undefined;
}

function applyStatement(model: ExpectedSchema, kind: string, node: Node, origin: Origin, defaultSchema: string): void {
  switch (kind) {
    case 'CreateStmt':
      return createTable(model, node, origin, defaultSchema);
    case 'IndexStmt':
      return createIndex(model, node, origin, defaultSchema);
    case 'AlterTableStmt':
      return alterTable(model, node, origin, defaultSchema);
    case 'RenameStmt':
      return rename(model, node, defaultSchema);
    case 'AlterObjectSchemaStmt':
      return moveToSchema(model, node, defaultSchema);
    case 'DropStmt':
      return drop(model, node, defaultSchema);
    default:
      return;
  }
}

function columnOf(def: unknown, origin: Origin): ExpectedColumn | undefined {
  const column = (def as { ColumnDef?: { colname?: string; typeName?: unknown } } | undefined)?.ColumnDef;
  return column?.colname ? { name: column.colname, type: typeText(column.typeName), origin } : undefined;
}

function createTable(model: ExpectedSchema, node: Node, origin: Origin, defaultSchema: string): void {
  const relation = node.relation as RangeVar | undefined;
  const key = tableKey(relation, defaultSchema);
  if (!key || !relation?.relname || relation.relpersistence === 't') return;
  // CREATE TABLE IF NOT EXISTS over a table that is already there changes nothing.
  if (model.tables.has(key) && node.if_not_exists) return;
  const columns = new Map<string, ExpectedColumn>();
  for (const element of (node.tableElts as unknown[] | undefined) ?? []) {
    const column = columnOf(element, origin);
    if (column) columns.set(column.name, column);
  }
  model.tables.set(key, { schema: relation.schemaname ?? defaultSchema, name: relation.relname, origin, columns });
}

function createIndex(model: ExpectedSchema, node: Node, origin: Origin, defaultSchema: string): void {
  const relation = node.relation as RangeVar | undefined;
  const table = tableKey(relation, defaultSchema);
  const name = node.idxname;
  if (!table || typeof name !== 'string') return;
  const schema = relation?.schemaname ?? defaultSchema;
  const key = keyOf(schema, name);
  if (model.indexes.has(key) && node.if_not_exists) return;
  const columns = ((node.indexParams as unknown[] | undefined) ?? [])
    .map((param) => (param as { IndexElem?: { name?: string } }).IndexElem?.name)
    .filter((column): column is string => typeof column === 'string');
  model.indexes.set(key, { schema, name, table, columns, origin });
}

/** The table as the model knows it, adding an entry for a table no migration created. */
function tableFor(model: ExpectedSchema, key: string): ExpectedTable {
  let table = model.tables.get(key);
  if (!table) {
    const dot = key.indexOf('.');
    table = { schema: key.slice(0, dot), name: key.slice(dot + 1), origin: undefined, columns: new Map() };
    model.tables.set(key, table);
  }
  return table;
}

function alterTable(model: ExpectedSchema, node: Node, origin: Origin, defaultSchema: string): void {
  if (node.objtype !== 'OBJECT_TABLE') return;
  const key = tableKey(node.relation as RangeVar | undefined, defaultSchema);
  if (!key) return;
  for (const entry of (node.cmds as unknown[] | undefined) ?? []) {
    const command = (entry as { AlterTableCmd?: { subtype?: string; name?: string; def?: unknown; missing_ok?: boolean } }).AlterTableCmd;
    if (!command) continue;
    if (command.subtype === 'AT_AddColumn') {
      const column = columnOf(command.def, origin);
      const table = tableFor(model, key);
      if (column && !(command.missing_ok && table.columns.has(column.name))) table.columns.set(column.name, column);
    } else if (command.subtype === 'AT_DropColumn' && command.name) {
      dropColumn(model, key, command.name);
    } else if (command.subtype === 'AT_AlterColumnType' && command.name) {
      const column = model.tables.get(key)?.columns.get(command.name);
      const type = typeText((command.def as { ColumnDef?: { typeName?: unknown } } | undefined)?.ColumnDef?.typeName);
      if (column) model.tables.get(key)!.columns.set(command.name, { ...column, type });
    }
  }
}

/** PostgreSQL drops the indexes that use a dropped column. */
function dropColumn(model: ExpectedSchema, table: string, column: string): void {
  model.tables.get(table)?.columns.delete(column);
  for (const [key, index] of model.indexes) if (index.table === table && index.columns.includes(column)) model.indexes.delete(key);
}

function dropTable(model: ExpectedSchema, table: string): void {
  model.tables.delete(table);
  for (const [key, index] of model.indexes) if (index.table === table) model.indexes.delete(key);
}

function rename(model: ExpectedSchema, node: Node, defaultSchema: string): void {
  const relation = node.relation as RangeVar | undefined;
  const key = tableKey(relation, defaultSchema);
  const newName = node.newname;
  if (!key || typeof newName !== 'string') return;
  const schema = relation?.schemaname ?? defaultSchema;
  if (node.renameType === 'OBJECT_TABLE') {
    const table = model.tables.get(key);
    if (!table) return;
    const newKey = keyOf(schema, newName);
    model.tables.delete(key);
    model.tables.set(newKey, { ...table, name: newName });
    for (const index of model.indexes.values()) if (index.table === key) index.table = newKey;
  } else if (node.renameType === 'OBJECT_COLUMN' && typeof node.subname === 'string') {
    const table = model.tables.get(key);
    const column = table?.columns.get(node.subname);
    if (table && column) {
      table.columns.delete(node.subname);
      table.columns.set(newName, { ...column, name: newName });
    }
    const oldName = node.subname;
    for (const index of model.indexes.values()) if (index.table === key) index.columns = index.columns.map((name) => (name === oldName ? newName : name));
  } else if (node.renameType === 'OBJECT_INDEX') {
    const index = model.indexes.get(key);
    if (!index) return;
    model.indexes.delete(key);
    model.indexes.set(keyOf(schema, newName), { ...index, name: newName });
  }
}

function moveToSchema(model: ExpectedSchema, node: Node, defaultSchema: string): void {
  const key = tableKey(node.relation as RangeVar | undefined, defaultSchema);
  const newSchema = node.newschema;
  if (!key || typeof newSchema !== 'string' || node.objectType !== 'OBJECT_TABLE') return;
  const table = model.tables.get(key);
  if (!table) return;
  const newKey = keyOf(newSchema, table.name);
  model.tables.delete(key);
  model.tables.set(newKey, { ...table, schema: newSchema });
  // A table's indexes move with it.
  for (const [indexKey, index] of [...model.indexes]) {
    if (index.table !== key) continue;
    model.indexes.delete(indexKey);
    model.indexes.set(keyOf(newSchema, index.name), { ...index, schema: newSchema, table: newKey });
  }
}

function drop(model: ExpectedSchema, node: Node, defaultSchema: string): void {
  const objects = (node.objects as unknown[] | undefined) ?? [];
  if (node.removeType === 'OBJECT_SCHEMA') {
    for (const schema of strings(objects)) {
      for (const [key, table] of [...model.tables]) if (table.schema === schema) dropTable(model, key);
      for (const [key, index] of [...model.indexes]) if (index.schema === schema) model.indexes.delete(key);
    }
    return;
  }
  for (const object of objects) {
    const names = strings((object as { List?: { items?: unknown } }).List?.items);
    const name = names.at(-1);
    if (!name) continue;
    const key = keyOf(names.length > 1 ? names.at(-2)! : defaultSchema, name);
    if (node.removeType === 'OBJECT_TABLE') dropTable(model, key);
    else if (node.removeType === 'OBJECT_INDEX') model.indexes.delete(key);
  }
}
