import { columnTypeOf, type ColumnType } from './column-types.js';
import { list, nameParts, nodeOf, qualifiedName, relationName, relationsIn, stringOf, type Node } from './tree.js';

/** What lint knows about one column. */
export interface ColumnFacts {
  type?: ColumnType;
  notNull: boolean;
}

export interface IndexFacts {
  table: string;
  columns: string[];
}

/** What lint knows about one table: from earlier statements, or from the database. */
export interface TableFacts {
  columns: Map<string, ColumnFacts>;
  /** Columns with a validated CHECK (col IS NOT NULL), which lets SET NOT NULL skip its scan. */
  checkedNotNull: Map<string, { column: string; validated: boolean }>;
  /** Estimated rows, when lint has a database to ask. */
  rows?: number;
  /** A partitioned table (PARTITION BY): its partitions as known (qualified names). Undefined for a plain table, or one not known to be partitioned. */
  partitions?: string[];
  /** Its definition is known (a CREATE TABLE, or the database): whether it is partitioned is then known too. */
  defined?: boolean;
  /** Of a partitioned table: its DEFAULT partition, when it has one. */
  defaultPartition?: string;
  /** The tablespace it is stored in, when known (pg_default unless CREATE TABLE or SET TABLESPACE said otherwise). */
  tablespace?: string;
  /** Its foreign keys: constraint name → the table it references. */
  foreignKeys?: Map<string, string>;
  /** A foreign table (CREATE FOREIGN TABLE): as a partition, no index can be built on it. */
  foreign?: boolean;
  /** The functions its triggers call, by name. */
  triggerFunctions?: Set<string>;
}

/**
 * The shape of the schema as the statements read so far (and the database, when
 * lint has one) describe it: column types, NOT NULL, CHECK (col IS NOT NULL)
 * constraints and which table each index belongs to. Unknown things stay
 * unknown, and the rules treat them pessimistically.
 */
export class SchemaModel {
  readonly tables = new Map<string, TableFacts>();
  /** Index name (qualified like a table) → its table and key columns (empty when unknown). */
  readonly indexes = new Map<string, IndexFacts>();
  /** Materialized view → the relations its query reads (what a REFRESH reads). */
  readonly viewReads = new Map<string, string[]>();
  /** Extended statistics object (CREATE STATISTICS) → its table. */
  readonly statistics = new Map<string, string>();

  table(name: string): TableFacts | undefined {
    return this.tables.get(name);
  }

  column(table: string, column: string): ColumnFacts | undefined {
    return this.tables.get(table)?.columns.get(column);
  }

  /** An index by its name as written, qualified with its table's schema when `table` is given. */
  index(name: string, table?: string): IndexFacts | undefined {
    return this.indexes.get(table && !name.includes('.') ? qualifiedName([...schemaOf(table), name]) : name);
  }

  /** The table an index belongs to, when known. */
  indexTable(index: string): string | undefined {
    return this.indexes.get(index)?.table;
  }

  /** The partitioned table `name` is a partition of, when known. */
  partitionParent(name: string): string | undefined {
    for (const [parent, facts] of this.tables) if (facts.partitions?.includes(name)) return parent;
    return undefined;
  }

  /** The partitions of a partitioned table, and theirs, as known. */
  descendants(name: string, seen = new Set<string>()): string[] {
    return (this.tables.get(name)?.partitions ?? []).flatMap((partition) => {
      if (seen.has(partition)) return [];
      seen.add(partition);
      return [partition, ...this.descendants(partition, seen)];
    });
  }

  /** The known tables with a column of the named type (a domain, an enum, a composite type). */
  tablesUsingType(type: string): string[] {
    const bare = type.split('.').at(-1)!.toLowerCase();
    return [...this.tables].filter(([, facts]) => [...facts.columns.values()].some((column) => column.type?.name === bare)).map(([name]) => name);
  }

  /** The known tables of a schema. */
  tablesInSchema(schema: string): string[] {
    return [...this.tables.keys()].filter((name) => (schema === 'public' ? !name.includes('.') : name.startsWith(`${schema}.`)));
  }

  /** The known tables with a trigger that calls the named function. */
  tablesCalling(name: string): string[] {
    const bare = name.split('.').at(-1)!;
    return [...this.tables].filter(([, facts]) => facts.triggerFunctions?.has(bare)).map(([table]) => table);
  }

  /** The known tables with a foreign key to `table`. */
  referencing(table: string): string[] {
    return [...this.tables].filter(([, facts]) => [...(facts.foreignKeys?.values() ?? [])].includes(table)).map(([name]) => name);
  }

  private ensureTable(name: string): TableFacts {
    let facts = this.tables.get(name);
    if (!facts) {
      facts = { columns: new Map(), checkedNotNull: new Map() };
      this.tables.set(name, facts);
    }
    return facts;
  }

  /** Updates the model with the effect of one statement (of its parse tree). */
  apply(kind: string, node: Node): void {
    switch (kind) {
      case 'CreateStmt':
        return this.createTable(node);
      case 'CreateForeignTableStmt': {
        const base = nodeOf(node.base, 'CreateStmt') ?? (node.base as Node | undefined);
        if (!base) return;
        this.createTable(base);
        const facts = this.tables.get(relationName(base.relation) ?? '');
        if (facts) facts.foreign = true;
        return;
      }
      case 'AlterTableStmt':
        return this.alterTable(node);
      case 'IndexStmt': {
        const table = relationName(node.relation);
        if (table) this.indexes.set(indexName(table, node), { table, columns: indexColumns(node) });
        return;
      }
      case 'RenameStmt':
        return this.rename(node);
      case 'CreateStatsStmt': {
        const table = relationName(list(node.relations)[0]);
        const name = nameParts(node.defnames);
        if (table && name.length > 0) this.statistics.set(qualifiedName(name), table);
        return;
      }
      case 'CreateTrigStmt': {
        const table = this.tables.get(relationName(node.relation) ?? '');
        const called = nameParts(node.funcname).at(-1);
        if (table && called) (table.triggerFunctions ??= new Set()).add(called);
        return;
      }
      case 'CreateTableAsStmt': {
        const into = nodeOf(node.into, 'IntoClause') ?? (node.into as Node | undefined);
        const view = relationName(into?.rel);
        if (view && node.objtype === 'OBJECT_MATVIEW') this.viewReads.set(view, [...new Set(relationsIn(node.query))]);
        return;
      }
      case 'DropStmt':
        return this.drop(node);
      default:
        return;
    }
  }

  private createTable(node: Node): void {
    const name = relationName(node.relation);
    if (!name) return;
    const before = this.tables.get(name);
    this.tables.delete(name);
    const table = this.ensureTable(name);
    table.defined = true;
    table.tablespace = typeof node.tablespacename === 'string' ? node.tablespacename : 'pg_default';
    // The database may know partitions the files never made (the application's, pg_partman's): they stay.
    if (node.partspec) table.partitions = [...(before?.partitions ?? [])];
    if (node.partbound) {
      const parent = relationName(list(node.inhRelations)[0]);
      const partitions = parent ? this.tables.get(parent)?.partitions : undefined;
      if (partitions && !partitions.includes(name)) partitions.push(name);
      if (parent && (nodeOf(node.partbound, 'PartitionBoundSpec') ?? (node.partbound as Node)).is_default === true) {
        const facts = this.tables.get(parent);
        if (facts) facts.defaultPartition = name;
      }
    }
    for (const element of list(node.tableElts)) {
      const column = nodeOf(element, 'ColumnDef');
      if (column && typeof column.colname === 'string') {
        this.addColumn(name, table, column);
        continue;
      }
      const constraint = nodeOf(element, 'Constraint');
      if (constraint) this.addConstraint(name, table, constraint, true);
    }
  }

  private addColumn(tableName: string, table: TableFacts, column: Node): void {
    const colname = String(column.colname);
    const type = columnTypeOf(column.typeName as Node | undefined);
    const facts: ColumnFacts = { ...(type ? { type } : {}), notNull: false };
    table.columns.set(colname, facts);
    for (const item of list(column.constraints)) {
      const constraint = nodeOf(item, 'Constraint');
      if (!constraint) continue;
      if (constraint.contype === 'CONSTR_NOTNULL' || constraint.contype === 'CONSTR_PRIMARY') facts.notNull = true;
      if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE') {
        this.indexes.set(constraintIndexName(tableName, constraint, [colname]), { table: tableName, columns: [colname] });
      }
      if (constraint.contype === 'CONSTR_CHECK') this.addCheck(table, constraint, `${tableName.split('.').at(-1)}_${colname}_check`);
      if (constraint.contype === 'CONSTR_FOREIGN') this.addForeignKey(tableName, table, constraint, [colname]);
    }
  }

  private addConstraint(tableName: string, table: TableFacts, constraint: Node, creating: boolean): void {
    const used = typeof constraint.indexname === 'string' ? this.indexes.get(qualifiedName([...schemaOf(tableName), constraint.indexname])) : undefined;
    const keys = used ? used.columns : nameParts(constraint.keys);
    if (used && typeof constraint.conname === 'string') this.indexes.delete(qualifiedName([...schemaOf(tableName), String(constraint.indexname)]));
    switch (constraint.contype) {
      case 'CONSTR_PRIMARY':
        for (const key of keys) {
          const column = table.columns.get(key);
          if (column) column.notNull = true;
        }
        this.indexes.set(constraintIndexName(tableName, constraint, keys), { table: tableName, columns: keys });
        return;
      case 'CONSTR_UNIQUE':
      case 'CONSTR_EXCLUSION':
        this.indexes.set(constraintIndexName(tableName, constraint, keys), { table: tableName, columns: keys });
        return;
      case 'CONSTR_CHECK':
        this.addCheck(table, { ...constraint, ...(creating ? { skip_validation: false } : {}) }, undefined);
        return;
      case 'CONSTR_FOREIGN':
        this.addForeignKey(tableName, table, constraint, nameParts(constraint.fk_attrs));
        return;
      default:
        return;
    }
  }

  private addForeignKey(tableName: string, table: TableFacts, constraint: Node, columns: string[]): void {
    const referenced = relationName(constraint.pktable);
    if (!referenced) return;
    const name = typeof constraint.conname === 'string' ? constraint.conname : `${tableName.split('.').at(-1)}_${columns.join('_')}_fkey`;
    (table.foreignKeys ??= new Map()).set(name, referenced);
  }

  private addCheck(table: TableFacts, constraint: Node, fallbackName: string | undefined): void {
    const column = notNullCheckColumn(constraint.raw_expr);
    const name = typeof constraint.conname === 'string' ? constraint.conname : fallbackName;
    if (column && name) table.checkedNotNull.set(name, { column, validated: constraint.skip_validation !== true });
  }

  private alterTable(node: Node): void {
    const name = relationName(node.relation);
    if (!name || (node.objtype !== undefined && node.objtype !== 'OBJECT_TABLE')) return;
    const table = this.ensureTable(name);
    for (const item of list(node.cmds)) {
      const command = nodeOf(item, 'AlterTableCmd');
      if (!command) continue;
      const column = typeof command.name === 'string' ? command.name : undefined;
      switch (command.subtype) {
        case 'AT_AddColumn': {
          const definition = nodeOf(command.def, 'ColumnDef');
          if (definition && !(command.missing_ok && table.columns.has(String(definition.colname)))) this.addColumn(name, table, definition);
          break;
        }
        case 'AT_DropColumn':
          if (column) table.columns.delete(column);
          break;
        case 'AT_AttachPartition':
        case 'AT_DetachPartition': {
          // Only a partitioned table takes ATTACH PARTITION: that much is known now.
          const partition = relationName(nodeOf(command.def, 'PartitionCmd')?.name);
          const partitions = (table.partitions ??= []).filter((known) => known !== partition);
          table.partitions = command.subtype === 'AT_AttachPartition' && partition ? [...partitions, partition] : partitions;
          break;
        }
        case 'AT_AlterColumnType': {
          const type = columnTypeOf(nodeOf(command.def, 'ColumnDef')?.typeName as Node | undefined);
          const facts = column ? table.columns.get(column) : undefined;
          if (column) table.columns.set(column, { ...(type ? { type } : {}), notNull: facts?.notNull ?? false });
          break;
        }
        case 'AT_SetNotNull':
        case 'AT_DropNotNull': {
          const facts = column ? table.columns.get(column) : undefined;
          if (facts) facts.notNull = command.subtype === 'AT_SetNotNull';
          else if (column && command.subtype === 'AT_SetNotNull') table.columns.set(column, { notNull: true });
          break;
        }
        case 'AT_AddConstraint': {
          const constraint = nodeOf(command.def, 'Constraint');
          if (constraint) this.addConstraint(name, table, constraint, false);
          break;
        }
        case 'AT_ValidateConstraint': {
          // `name` is the constraint's name here.
          const check = column ? table.checkedNotNull.get(column) : undefined;
          if (check) check.validated = true;
          break;
        }
        case 'AT_DropConstraint':
          if (column) table.checkedNotNull.delete(column);
          if (column) table.foreignKeys?.delete(column);
          break;
        case 'AT_SetTableSpace':
          if (column) table.tablespace = column;
          break;
        default:
          break;
      }
    }
  }

  private rename(node: Node): void {
    const relation = relationName(node.relation);
    const newName = typeof node.newname === 'string' ? node.newname : undefined;
    if (!relation || !newName) return;
    const renamed = qualifiedName([...schemaOf(relation), newName]);
    switch (node.renameType) {
      case 'OBJECT_TABLE': {
        const facts = this.tables.get(relation);
        this.tables.delete(relation);
        if (facts) this.tables.set(renamed, facts);
        for (const index of this.indexes.values()) if (index.table === relation) index.table = renamed;
        return;
      }
      case 'OBJECT_INDEX': {
        const index = this.indexes.get(relation);
        this.indexes.delete(relation);
        if (index) this.indexes.set(renamed, index);
        return;
      }
      case 'OBJECT_COLUMN': {
        const table = this.tables.get(relation);
        const from = typeof node.subname === 'string' ? node.subname : undefined;
        const facts = from ? table?.columns.get(from) : undefined;
        if (table && from && facts) {
          table.columns.delete(from);
          table.columns.set(newName, facts);
        }
        return;
      }
      default:
        return;
    }
  }

  private drop(node: Node): void {
    for (const object of list(node.objects)) {
      const name = qualifiedName(nameParts(nodeOf(object, 'List')?.items));
      if (node.removeType === 'OBJECT_TABLE') {
        this.tables.delete(name);
        for (const [index, facts] of this.indexes) if (facts.table === name) this.indexes.delete(index);
      } else if (node.removeType === 'OBJECT_INDEX') {
        this.indexes.delete(name);
      }
    }
  }
}

function schemaOf(name: string): string[] {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? [] : [name.slice(0, dot)];
}

/** The column of `CHECK (col IS NOT NULL)`, or undefined for any other check. */
export function notNullCheckColumn(expression: unknown): string | undefined {
  const test = nodeOf(expression, 'NullTest');
  if (!test || test.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = list(nodeOf(test.arg, 'ColumnRef')?.fields);
  return fields.length === 1 ? stringOf(fields[0]) : undefined;
}

/** An index's name, qualified like its table; PostgreSQL's default name when the statement gives none. */
export function indexName(table: string, node: Node): string {
  if (typeof node.idxname === 'string') return qualifiedName([...schemaOf(table), node.idxname]);
  const columns = list(node.indexParams).map((param) => {
    const elem = nodeOf(param, 'IndexElem');
    return typeof elem?.name === 'string' ? elem.name : 'expr';
  });
  return qualifiedName([...schemaOf(table), `${table.split('.').at(-1)}_${columns.join('_')}_idx`]);
}

/** The plain columns an index is built on (expressions are left out). */
export function indexColumns(node: Node): string[] {
  return list(node.indexParams).flatMap((param) => {
    const name = nodeOf(param, 'IndexElem')?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

function constraintIndexName(table: string, constraint: Node, columns: string[]): string {
  // USING INDEX renames the index to the constraint's name, when it has one.
  if (typeof constraint.conname === 'string') return qualifiedName([...schemaOf(table), constraint.conname]);
  if (typeof constraint.indexname === 'string') return qualifiedName([...schemaOf(table), constraint.indexname]);
  const bare = table.split('.').at(-1);
  const suffix = constraint.contype === 'CONSTR_PRIMARY' ? 'pkey' : constraint.contype === 'CONSTR_EXCLUSION' ? 'excl' : 'key';
  return qualifiedName([...schemaOf(table), constraint.contype === 'CONSTR_PRIMARY' ? `${bare}_pkey` : `${bare}_${columns.join('_')}_${suffix}`]);
}
