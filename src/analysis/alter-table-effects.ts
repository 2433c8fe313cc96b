import { writtenOnOnly } from '../migrations/partitioned-index.js';
import { columnTypeOf, isSerialType, isUtcZone, typeChangeRewrites, type TypeChange } from './column-types.js';
import { defaultPartitionChecked, isRelationKind } from './object-effects.js';
import type { EffectList, EffectOptions } from './effect-list.js';
import type { LockMode } from './locks.js';
import { list, nodeOf, optionNames, relationName, type Node } from './tree.js';
import { expressionVolatility } from './volatility.js';

/** Storage parameters that ALTER TABLE SET (...) changes under SHARE UPDATE EXCLUSIVE. */
const LIGHT_RELOPTIONS =
  /^(toast\.)?(autovacuum_.*|fillfactor|parallel_workers|vacuum_index_cleanup|vacuum_truncate|log_autovacuum_min_duration|toast_tuple_target)$/;

/** The lock each ALTER TABLE subcommand takes (AlterTableGetLockLevel in the server). */
function commandLock(command: Node): LockMode {
  switch (command.subtype) {
    case 'AT_SetStatistics':
    case 'AT_SetOptions':
    case 'AT_ResetOptions':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
    case 'AT_ValidateConstraint':
    case 'AT_AttachPartition':
      return 'SHARE UPDATE EXCLUSIVE';
    case 'AT_EnableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_EnableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrig':
    case 'AT_DisableTrigAll':
    case 'AT_DisableTrigUser':
      return 'SHARE ROW EXCLUSIVE';
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions': {
      const names = optionNames(nodeOf(command.def, 'List')?.items ?? command.def);
      return names.length > 0 && names.every((name) => LIGHT_RELOPTIONS.test(name)) ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    }
    case 'AT_DetachPartition':
      return nodeOf(command.def, 'PartitionCmd')?.concurrent === true ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    case 'AT_AddConstraint':
      return nodeOf(command.def, 'Constraint')?.contype === 'CONSTR_FOREIGN' ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    default:
      return 'ACCESS EXCLUSIVE';
  }
}

/** ALTER TABLE: the strongest lock of its subcommands, and what each one does to the rows. */
export function alterTableEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  // ALTER TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE, FOREIGN TABLE: the same locks (AlterTableGetLockLevel).
  if (node.objtype === 'OBJECT_INDEX') return alterIndexEffects(node, options, effects);
  if (node.objtype !== undefined && !isRelationKind(node.objtype)) return;
  const table = relationName(node.relation);
  if (!table) return;
  // Without ONLY, a partitioned table's subcommands recurse into its partitions.
  const partitions = writtenOnOnly(node) ? [] : options.schema.descendants(table);
  for (const item of list(node.cmds)) {
    const command = nodeOf(item, 'AlterTableCmd');
    if (!command) continue;
    commandEffects(table, command, options, effects);
    if (NOT_RECURSING.has(String(command.subtype)) || (IDENTITY.has(String(command.subtype)) && options.serverMajor < 17)) continue;
    for (const partition of partitions) {
      commandEffects(partition, command, options, effects);
      effects.markReached(partition);
    }
  }
  if (options.schema.table(table)?.partitions !== undefined) effects.withoutStorage(table);
  // A foreign table's rows live elsewhere (ALTER FOREIGN TABLE, or ALTER TABLE of one, or of a foreign partition); a sequence is one row.
  for (const relation of [table, ...partitions]) {
    if ((relation === table && node.objtype === 'OBJECT_FOREIGN_TABLE') || options.schema.table(relation)?.foreign)
      effects.withoutStorage(relation, { rows: false });
  }
  if (node.objtype === 'OBJECT_SEQUENCE') effects.sequence(table);
}

/**
 * Subcommands that change the partitioned table alone (its defaults for new
 * partitions, its own settings), not its partitions.
 */
const NOT_RECURSING = new Set([
  'AT_AttachPartition',
  'AT_DetachPartition',
  'AT_DetachPartitionFinalize',
  'AT_SetTableSpace',
  'AT_SetAccessMethod',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
  'AT_ReplicaIdentity',
  'AT_ChangeOwner',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_SetRelOptions',
  'AT_ResetRelOptions',
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_AddInherit',
  'AT_DropInherit',
  'AT_GenericOptions',
  'AT_SetOptions',
  'AT_ResetOptions',
  'AT_SetCompression',
  'AT_EnableRule',
  'AT_EnableAlwaysRule',
  'AT_EnableReplicaRule',
  'AT_DisableRule',
]);

/** Identity subcommands: they reach the partitions from PostgreSQL 17 on. */
const IDENTITY = new Set(['AT_AddIdentity', 'AT_SetIdentity', 'AT_DropIdentity']);

function commandEffects(table: string, command: Node, options: EffectOptions, effects: EffectList): void {
  const lock = commandLock(command);
  const column = typeof command.name === 'string' ? command.name : undefined;
  switch (command.subtype) {
    case 'AT_AddColumn':
      return addColumnEffects(table, nodeOf(command.def, 'ColumnDef'), command.missing_ok === true, options, effects);
    case 'AT_AlterColumnType':
      return effects.add(table, lock, 'ALTER COLUMN TYPE', { rewrite: columnTypeChange(table, command, options)?.rewrite ?? true });
    case 'AT_SetNotNull': {
      const facts = options.schema.table(table);
      const proven = [...(facts?.checkedNotNull.values() ?? [])].some((check) => check.column === column && check.validated);
      const already = column !== undefined && facts?.columns.get(column)?.notNull === true;
      return effects.add(table, lock, 'SET NOT NULL', { scan: !already && !(proven && options.serverMajor >= 12) });
    }
    case 'AT_AddConstraint':
      return addConstraintEffects(table, nodeOf(command.def, 'Constraint'), lock, options, effects);
    case 'AT_ValidateConstraint':
      return effects.add(table, lock, 'VALIDATE CONSTRAINT', { scan: true });
    case 'AT_SetLogged':
    case 'AT_SetUnLogged':
    case 'AT_SetAccessMethod':
      return effects.add(table, lock, subcommandLabel(command), { rewrite: true });
    case 'AT_SetTableSpace': {
      // Moving to where it already is copies nothing. Where a table is, lint knows from its CREATE TABLE or the database.
      const facts = options.schema.table(table);
      const current = facts?.tablespace ?? (facts?.defined ? 'pg_default' : undefined);
      return effects.add(table, lock, subcommandLabel(command), { rewrite: current === undefined || current !== column });
    }
    case 'AT_AttachPartition': {
      effects.add(table, lock, 'ATTACH PARTITION');
      defaultPartitionChecked(table, options, effects);
      return effects.add(relationName(nodeOf(command.def, 'PartitionCmd')?.name), 'ACCESS EXCLUSIVE', 'ATTACH PARTITION', { scan: true });
    }
    case 'AT_DetachPartition': {
      effects.add(table, lock, 'DETACH PARTITION');
      const partition = relationName(nodeOf(command.def, 'PartitionCmd')?.name);
      // Before 14 the partition itself is locked SHARE UPDATE EXCLUSIVE (writes to it wait all the same: see partitionWritesBefore14).
      if (options.serverMajor < 14) return effects.add(partition, 'SHARE UPDATE EXCLUSIVE', 'DETACH PARTITION');
      return effects.add(partition, lock, 'DETACH PARTITION');
    }
    case 'AT_AddInherit':
      effects.add(table, lock, 'INHERIT');
      return effects.add(relationName(command.def), 'SHARE UPDATE EXCLUSIVE', 'INHERIT');
    case 'AT_DropInherit':
      // The parent is only looked up, but queries on it read the child, which is locked ACCESS EXCLUSIVE.
      effects.add(table, lock, 'NO INHERIT');
      return effects.add(relationName(command.def), 'ACCESS SHARE', 'NO INHERIT', { readsWait: true });
    case 'AT_DropConstraint': {
      effects.add(table, lock, subcommandLabel(command));
      // A foreign key's triggers on the table it references go with it.
      return effects.add(column ? options.schema.table(table)?.foreignKeys?.get(column) : undefined, 'ACCESS EXCLUSIVE', 'DROP CONSTRAINT (foreign key)');
    }
    default:
      return effects.add(table, lock, subcommandLabel(command));
  }
}

/**
 * What ALTER COLUMN ... TYPE does to the rows; undefined when the new type
 * cannot be read. A new collation alone changes no stored value (the column's
 * indexes are rebuilt, the table is not).
 */
export function columnTypeChange(table: string, command: Node, options: EffectOptions): TypeChange | undefined {
  const column = typeof command.name === 'string' ? command.name : undefined;
  const definition = nodeOf(command.def, 'ColumnDef');
  const to = columnTypeOf(definition?.typeName as Node | undefined);
  if (!to) return undefined;
  const from = column ? options.schema.column(table, column)?.type : undefined;
  const using = definition?.raw_default !== undefined && !isSameColumn(definition.raw_default, column);
  return typeChangeRewrites(from, to, using, options.serverMajor >= 12 && isUtcZone(options.timeZone));
}

/**
 * ALTER INDEX takes no lock on the table, but SET TABLESPACE and ATTACH
 * PARTITION lock the index ACCESS EXCLUSIVE, and planning any query on the
 * table opens its indexes: reads and writes wait. (ALTER INDEX ... SET (...),
 * RENAME and ALTER COLUMN ... SET STATISTICS stop neither.)
 */
function alterIndexEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  const index = relationName(node.relation);
  for (const item of list(node.cmds)) {
    const command = nodeOf(item, 'AlterTableCmd');
    // The index is copied, entry by entry, while it is locked; not when it stays where its table is known to be (then the index almost surely is).
    if (command?.subtype === 'AT_SetTableSpace') {
      const table = index ? options.schema.indexTable(index) : undefined;
      const stays = table !== undefined && options.schema.table(table)?.tablespace === command.name;
      effects.add(table, null, 'ALTER INDEX SET TABLESPACE', { readsWait: true, scan: !stays });
    }
    if (command?.subtype === 'AT_AttachPartition') {
      // The partitioned index's table is looked up; the partition's index is locked ACCESS EXCLUSIVE.
      effects.add(index ? options.schema.indexTable(index) : undefined, 'ACCESS SHARE', 'ALTER INDEX ATTACH PARTITION', { readsWait: true });
      const partitionIndex = relationName(nodeOf(command.def, 'PartitionCmd')?.name);
      effects.add(partitionIndex ? options.schema.indexTable(partitionIndex) : undefined, 'ACCESS SHARE', 'ALTER INDEX ATTACH PARTITION', { readsWait: true });
    }
  }
}

/** `USING col` (optionally cast) converts no differently than no USING at all. */
function isSameColumn(expression: unknown, column: string | undefined): boolean {
  const inner = nodeOf(expression, 'TypeCast')?.arg ?? expression;
  const fields = list(nodeOf(inner, 'ColumnRef')?.fields);
  return fields.length === 1 && nodeOf(fields[0], 'String')?.sval === column;
}

function addColumnEffects(table: string, definition: Node | undefined, ifNotExists: boolean, options: EffectOptions, effects: EffectList): void {
  const what = 'ADD COLUMN';
  if (!definition) return effects.add(table, 'ACCESS EXCLUSIVE', what);
  if (ifNotExists && options.schema.column(table, String(definition.colname))) return effects.add(table, 'ACCESS EXCLUSIVE', what);
  const rewrite = addColumnRewrites(definition, options);
  const constraints = columnConstraints(definition);
  const hasDefault = constraints.some((constraint) => constraint.contype === 'CONSTR_DEFAULT' && nodeOf(constraint.raw_expr, 'A_Const')?.isnull !== true);
  let scan = false;
  for (const constraint of constraints) {
    switch (constraint.contype) {
      case 'CONSTR_CHECK':
      case 'CONSTR_PRIMARY':
      case 'CONSTR_UNIQUE':
        scan = true;
        break;
      case 'CONSTR_NOTNULL':
        // With a default, every row gets that value: nothing to check. Without, every row is NULL.
        if (!hasDefault) scan = true;
        break;
      case 'CONSTR_FOREIGN':
        scan = true;
        effects.add(relationName(constraint.pktable), 'SHARE ROW EXCLUSIVE', 'foreign key');
        break;
      default:
        break;
    }
  }
  effects.add(table, 'ACCESS EXCLUSIVE', what, { rewrite: rewrite !== undefined, scan });
}

function columnConstraints(definition: Node): Node[] {
  return list(definition.constraints).flatMap((item) => {
    const constraint = nodeOf(item, 'Constraint');
    return constraint ? [constraint] : [];
  });
}

/** Why ADD COLUMN rewrites the table, or undefined when it changes only the catalog. */
export function addColumnRewrites(definition: Node, options: EffectOptions): string | undefined {
  if (isSerialType(definition.typeName as Node | undefined)) return 'a serial column takes nextval() for every row';
  for (const constraint of columnConstraints(definition)) {
    if (constraint.contype === 'CONSTR_IDENTITY') return 'an identity column takes nextval() for every row';
    if (constraint.contype === 'CONSTR_GENERATED') return 'a stored generated column is computed for every row';
    if (constraint.contype === 'CONSTR_DEFAULT') {
      if (nodeOf(constraint.raw_expr, 'A_Const')?.isnull === true) continue;
      if (options.serverMajor < 11) return 'before PostgreSQL 11 every default is written into every row';
      const volatility = expressionVolatility(constraint.raw_expr, options.volatility);
      if (volatility.volatileFunctions.length > 0)
        return `the default calls ${volatility.volatileFunctions.map((name) => `${name}()`).join(', ')}, which is volatile and so evaluated for every row`;
      if (volatility.unknownFunctions.length > 0) {
        return `the default calls ${volatility.unknownFunctions.join(', ')}, whose volatility lint does not know (run with a database connection to look it up), so a rewrite is assumed`;
      }
    }
  }
  return undefined;
}

function addConstraintEffects(table: string, constraint: Node | undefined, lock: LockMode, options: EffectOptions, effects: EffectList): void {
  if (!constraint) return effects.add(table, lock, 'ADD CONSTRAINT');
  const notValid = constraint.skip_validation === true;
  switch (constraint.contype) {
    case 'CONSTR_FOREIGN':
      effects.add(table, lock, 'ADD FOREIGN KEY', { scan: !notValid });
      return effects.add(relationName(constraint.pktable), 'SHARE ROW EXCLUSIVE', 'ADD FOREIGN KEY');
    case 'CONSTR_CHECK':
      return effects.add(table, lock, 'ADD CHECK', { scan: !notValid });
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE':
    case 'CONSTR_EXCLUSION': {
      const label = `ADD ${String(constraint.contype).replace('CONSTR_', '').replace('PRIMARY', 'PRIMARY KEY')}`;
      if (typeof constraint.indexname !== 'string') return effects.add(table, lock, label, { scan: true });
      // PRIMARY KEY USING INDEX sets NOT NULL on the index's columns: a scan unless they already are.
      const index = options.schema.index(constraint.indexname, table);
      const columns = index?.columns ?? [];
      const nullable =
        constraint.contype === 'CONSTR_PRIMARY' && (columns.length === 0 || columns.some((name) => !options.schema.column(table, name)?.notNull));
      return effects.add(table, lock, `${label} USING INDEX`, { scan: nullable });
    }
    default:
      return effects.add(table, lock, 'ADD CONSTRAINT');
  }
}

function subcommandLabel(command: Node): string {
  const labels: Record<string, string> = {
    AT_DropColumn: 'DROP COLUMN',
    AT_ColumnDefault: 'SET/DROP DEFAULT',
    AT_DropNotNull: 'DROP NOT NULL',
    AT_DropConstraint: 'DROP CONSTRAINT',
    AT_SetStatistics: 'SET STATISTICS',
    AT_SetStorage: 'SET STORAGE',
    AT_ChangeOwner: 'OWNER TO',
    AT_ReplicaIdentity: 'REPLICA IDENTITY',
    AT_EnableRowSecurity: 'ENABLE ROW LEVEL SECURITY',
    AT_SetLogged: 'SET LOGGED',
    AT_SetUnLogged: 'SET UNLOGGED',
    AT_SetTableSpace: 'SET TABLESPACE',
    AT_SetAccessMethod: 'SET ACCESS METHOD',
  };
  return labels[String(command.subtype)] ?? String(command.subtype).replace(/^AT_/, '');
}
