import { alterTableEffects } from './alter-table-effects.js';
import { EffectList, type EffectOptions, type LockEffect } from './effect-list.js';
import { lockModeFromNumber, type LockMode } from './locks.js';
import { list, nameParts, nodeOf, optionNames, qualifiedName, relationName, relationsIn, type Node } from './tree.js';

/**
 * The lock model: for one top-level statement, the lock it takes on each
 * table, and whether it rewrites or scans that table under the lock. Follows
 * PostgreSQL 12 and later; test/corpus holds the measurements that keep it
 * honest. DO blocks have no effects of their own: the analysis reads the
 * statements inside them.
 */
export function statementEffects(kind: string, node: Node, options: EffectOptions): LockEffect[] {
  const effects = new EffectList();
  switch (kind) {
    case 'CreateStmt':
      createTableEffects(node, effects);
      break;
    case 'CreateTableAsStmt':
      effects.reads(node.query);
      break;
    case 'ViewStmt':
      effects.reads(node.query);
      break;
    case 'IndexStmt': {
      const concurrent = node.concurrent === true;
      effects.add(relationName(node.relation), concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE', concurrent ? 'concurrent index build' : 'index build', {
        scan: true,
      });
      break;
    }
    case 'AlterTableStmt':
      alterTableEffects(node, options, effects);
      break;
    case 'RenameStmt':
      renameEffects(node, effects);
      break;
    case 'DropStmt':
      dropEffects(node, options, effects);
      break;
    case 'TruncateStmt':
      for (const relation of list(node.relations)) effects.add(relationName(relation), 'ACCESS EXCLUSIVE', 'TRUNCATE', { rewrite: true });
      break;
    case 'ClusterStmt':
      effects.add(relationName(node.relation), 'ACCESS EXCLUSIVE', 'CLUSTER', { rewrite: true });
      break;
    case 'VacuumStmt':
      vacuumEffects(node, effects);
      break;
    case 'ReindexStmt':
      reindexEffects(node, options, effects);
      break;
    case 'UpdateStmt':
    case 'DeleteStmt': {
      const target = relationName(node.relation);
      effects.add(target, 'ROW EXCLUSIVE', kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE', { scan: node.whereClause === undefined });
      effects.reads(node, target ? [target] : []);
      break;
    }
    case 'InsertStmt': {
      const target = relationName(node.relation);
      effects.add(target, 'ROW EXCLUSIVE', 'INSERT');
      effects.reads(node, target ? [target] : []);
      break;
    }
    case 'SelectStmt':
      selectEffects(node, effects);
      break;
    case 'LockStmt': {
      const mode = lockModeFromNumber(Number(node.mode)) ?? 'ACCESS EXCLUSIVE';
      for (const relation of list(node.relations)) effects.add(relationName(relation), mode, 'LOCK TABLE');
      break;
    }
    case 'RefreshMatViewStmt': {
      // CONCURRENTLY: EXCLUSIVE, which reads pass (nothing writes to a materialized view but its refresh).
      const view = relationName(node.relation);
      if (node.concurrent === true) effects.add(view, 'EXCLUSIVE', 'REFRESH MATERIALIZED VIEW CONCURRENTLY');
      else effects.add(view, 'ACCESS EXCLUSIVE', 'REFRESH MATERIALIZED VIEW', { rewrite: true });
      break;
    }
    case 'AlterObjectSchemaStmt':
      if (
        node.objectType === 'OBJECT_TABLE' ||
        node.objectType === 'OBJECT_VIEW' ||
        node.objectType === 'OBJECT_MATVIEW' ||
        node.objectType === 'OBJECT_SEQUENCE'
      ) {
        effects.add(relationName(node.relation), 'ACCESS EXCLUSIVE', 'SET SCHEMA');
      }
      break;
    case 'CommentStmt':
      commentEffects(node, effects);
      break;
    case 'CreateTrigStmt':
      effects.add(relationName(node.relation), 'SHARE ROW EXCLUSIVE', 'CREATE TRIGGER');
      break;
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
      effects.add(relationName(node.table), 'ACCESS EXCLUSIVE', 'policy');
      break;
    case 'RuleStmt':
      effects.add(relationName(node.relation), 'ACCESS EXCLUSIVE', 'CREATE RULE');
      break;
    case 'CreateStatsStmt':
      for (const relation of list(node.relations)) effects.add(relationName(relation), 'SHARE UPDATE EXCLUSIVE', 'CREATE STATISTICS');
      break;
    default:
      break;
  }
  return effects.list();
}

function createTableEffects(node: Node, effects: EffectList): void {
  const table = relationName(node.relation);
  effects.add(table, 'ACCESS EXCLUSIVE', 'CREATE TABLE');
  const references = (constraint: Node | undefined) => {
    if (constraint?.contype === 'CONSTR_FOREIGN') effects.add(relationName(constraint.pktable), 'SHARE ROW EXCLUSIVE', 'foreign key');
  };
  for (const element of list(node.tableElts)) {
    references(nodeOf(element, 'Constraint'));
    for (const constraint of list(nodeOf(element, 'ColumnDef')?.constraints)) references(nodeOf(constraint, 'Constraint'));
    const like = nodeOf(element, 'TableLikeClause');
    if (like) effects.add(relationName(like.relation), 'ACCESS SHARE', 'LIKE');
  }
  for (const parent of list(node.inhRelations)) {
    effects.add(relationName(parent), node.partbound ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', node.partbound ? 'PARTITION OF' : 'INHERITS');
  }
}

function renameEffects(node: Node, effects: EffectList): void {
  const relation = relationName(node.relation);
  switch (node.renameType) {
    case 'OBJECT_TABLE':
      effects.add(relation, 'ACCESS EXCLUSIVE', 'RENAME TO');
      break;
    case 'OBJECT_COLUMN':
      if (node.relationType === 'OBJECT_TABLE') effects.add(relation, 'ACCESS EXCLUSIVE', 'RENAME COLUMN');
      break;
    case 'OBJECT_TABCONSTRAINT':
      effects.add(relation, 'ACCESS EXCLUSIVE', 'RENAME CONSTRAINT');
      break;
    case 'OBJECT_TRIGGER':
      effects.add(relation, 'ACCESS EXCLUSIVE', 'RENAME TRIGGER');
      break;
    default:
      // ALTER INDEX ... RENAME locks only the index (SHARE UPDATE EXCLUSIVE), not its table.
      break;
  }
}

function dropEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  const concurrent = node.concurrent === true;
  for (const object of list(node.objects)) {
    const parts = nameParts(nodeOf(object, 'List')?.items);
    switch (node.removeType) {
      case 'OBJECT_TABLE':
        effects.add(qualifiedName(parts), 'ACCESS EXCLUSIVE', 'DROP TABLE');
        break;
      case 'OBJECT_INDEX':
        effects.add(
          options.schema.indexTable(qualifiedName(parts)),
          concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
          concurrent ? 'DROP INDEX CONCURRENTLY' : 'DROP INDEX',
        );
        break;
      case 'OBJECT_TRIGGER':
      case 'OBJECT_POLICY':
      case 'OBJECT_RULE':
        // objects: [table..., name]
        effects.add(qualifiedName(parts.slice(0, -1)), 'ACCESS EXCLUSIVE', `DROP ${String(node.removeType).replace('OBJECT_', '')}`);
        break;
      default:
        break;
    }
  }
}

function vacuumEffects(node: Node, effects: EffectList): void {
  const options = optionNames(node.options);
  const full = node.is_vacuumcmd === true && options.includes('full');
  for (const item of list(node.rels)) {
    const relation = relationName(nodeOf(item, 'VacuumRelation')?.relation);
    if (full) effects.add(relation, 'ACCESS EXCLUSIVE', 'VACUUM FULL', { rewrite: true });
    else effects.add(relation, 'SHARE UPDATE EXCLUSIVE', node.is_vacuumcmd ? 'VACUUM' : 'ANALYZE', { scan: true });
  }
}

function reindexEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  const concurrent = optionNames(node.params).includes('concurrently');
  const lock: LockMode = concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE';
  const what = concurrent ? 'REINDEX CONCURRENTLY' : 'REINDEX';
  const relation = relationName(node.relation);
  if (node.kind === 'REINDEX_OBJECT_INDEX') effects.add(relation ? options.schema.indexTable(relation) : undefined, lock, what, { scan: true });
  else if (node.kind === 'REINDEX_OBJECT_TABLE') effects.add(relation, lock, what, { scan: true });
}

function selectEffects(node: Node, effects: EffectList): void {
  const into = nodeOf(node.intoClause, 'IntoClause') ?? (node.intoClause as Node | undefined);
  const locked = list(node.lockingClause).length > 0;
  for (const name of relationsIn({ ...node, intoClause: undefined }))
    effects.add(name, locked ? 'ROW SHARE' : 'ACCESS SHARE', locked ? 'SELECT FOR UPDATE/SHARE' : 'read');
  if (into) effects.add(relationName(into.rel), 'ACCESS EXCLUSIVE', 'SELECT INTO');
}

function commentEffects(node: Node, effects: EffectList): void {
  const parts = node.objtype === 'OBJECT_TABLE' ? nameParts(nodeOf(node.object, 'List')?.items) : [];
  if (node.objtype === 'OBJECT_TABLE') effects.add(qualifiedName(parts), 'SHARE UPDATE EXCLUSIVE', 'COMMENT');
  if (node.objtype === 'OBJECT_COLUMN') {
    const column = nameParts(nodeOf(node.object, 'List')?.items);
    effects.add(qualifiedName(column.slice(0, -1)), 'SHARE UPDATE EXCLUSIVE', 'COMMENT');
  }
}
