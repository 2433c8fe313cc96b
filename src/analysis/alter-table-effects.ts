import { columnTypeOf, isSerialType, typeChangeRewrites } from './column-types.js';
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
    case 'AT_ResetRelOptions':
      return optionNames(command.def).every((name) => LIGHT_RELOPTIONS.test(name)) ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
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
  if (node.objtype !== undefined && node.objtype !== 'OBJECT_TABLE') return;
  const table = relationName(node.relation);
  if (!table) return;
  for (const item of list(node.cmds)) {
    const command = nodeOf(item, 'AlterTableCmd');
    if (command) commandEffects(table, command, options, effects);
  }
}

function commandEffects(table: string, command: Node, options: EffectOptions, effects: EffectList): void {
  const lock = commandLock(command);
  const column = typeof command.name === 'string' ? command.name : undefined;
  switch (command.subtype) {
    case 'AT_AddColumn':
      return addColumnEffects(table, nodeOf(command.def, 'ColumnDef'), command.missing_ok === true, options, effects);
    case 'AT_AlterColumnType': {
      const definition = nodeOf(command.def, 'ColumnDef');
      const to = columnTypeOf(definition?.typeName as Node | undefined);
      const from = column ? options.schema.column(table, column)?.type : undefined;
      const using = definition?.raw_default !== undefined && !isSameColumn(definition.raw_default, column);
      const change = to ? typeChangeRewrites(from, to, using || definition?.collClause !== undefined) : { rewrite: true, reason: '' };
      return effects.add(table, lock, 'ALTER COLUMN TYPE', { rewrite: change.rewrite });
    }
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
    case 'AT_SetTableSpace':
    case 'AT_SetAccessMethod':
      return effects.add(table, lock, subcommandLabel(command), { rewrite: true });
    case 'AT_AttachPartition': {
      effects.add(table, lock, 'ATTACH PARTITION');
      return effects.add(relationName(nodeOf(command.def, 'PartitionCmd')?.name), 'ACCESS EXCLUSIVE', 'ATTACH PARTITION', { scan: true });
    }
    case 'AT_DetachPartition': {
      effects.add(table, lock, 'DETACH PARTITION');
      return effects.add(relationName(nodeOf(command.def, 'PartitionCmd')?.name), 'ACCESS EXCLUSIVE', 'DETACH PARTITION');
    }
    default:
      return effects.add(table, lock, subcommandLabel(command));
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
