import { writtenOnOnly } from '../migrations/partitioned-index.js';
import { alterTableEffects } from './alter-table-effects.js';
import { EffectList, type EffectOptions, type LockEffect } from './effect-list.js';
import { lockModeFromNumber, type LockMode } from './locks.js';
import {
  alterDomainEffects,
  commentEffects,
  defaultPartitionChecked,
  dropCascadeEffects,
  isRelationKind,
  publicationEffects,
  sequenceEffects,
} from './object-effects.js';
import { list, nameParts, nodeOf, optionNames, qualifiedName, reindexConcurrently, relationName, relationsIn, type Node } from './tree.js';

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
      createTableEffects(node, options, effects);
      break;
    case 'CreateForeignTableStmt':
      createTableEffects(nodeOf(node.base, 'CreateStmt') ?? (node.base as Node | undefined) ?? {}, options, effects);
      break;
    case 'CreateTableAsStmt':
      effects.reads(node.query);
      break;
    case 'ViewStmt':
      effects.reads(node.query);
      if (node.replace === true) effects.add(relationName(node.view), 'ACCESS EXCLUSIVE', 'CREATE OR REPLACE VIEW');
      break;
    case 'IndexStmt': {
      const concurrent = node.concurrent === true;
      const lock = concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE';
      const what = concurrent ? 'concurrent index build' : 'index build';
      const table = relationName(node.relation);
      effects.add(table, lock, what, { scan: true });
      // Not ON ONLY: each partition's index is built too.
      if (table && !writtenOnOnly(node)) {
        for (const partition of options.schema.descendants(table)) effects.add(partition, lock, what, { scan: true, reached: true });
      }
      break;
    }
    case 'CreateSeqStmt':
    case 'AlterSeqStmt':
      sequenceEffects(kind, node, effects);
      break;
    case 'AlterDomainStmt':
      alterDomainEffects(node, options, effects);
      break;
    case 'CreatePublicationStmt':
    case 'AlterPublicationStmt':
      publicationEffects(node, effects);
      break;
    case 'AlterTableStmt':
      alterTableEffects(node, options, effects);
      break;
    case 'RenameStmt':
      renameEffects(node, options, effects);
      break;
    case 'DropStmt':
      dropEffects(node, options, effects);
      break;
    case 'TruncateStmt':
      truncateEffects(node, options, effects);
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
      const what = kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE';
      effects.add(target, 'ROW EXCLUSIVE', what, { scan: node.whereClause === undefined });
      for (const partition of target ? options.schema.descendants(target) : []) effects.add(partition, 'ROW EXCLUSIVE', what, { reached: true });
      effects.reads(node, target ? [target] : []);
      break;
    }
    case 'MergeStmt': {
      const target = relationName(node.relation);
      effects.add(target, 'ROW EXCLUSIVE', 'MERGE');
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
      selectEffects(node, options, effects);
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
      for (const table of view ? (options.schema.viewReads.get(view) ?? []) : []) effects.add(table, 'ACCESS SHARE', 'read by the refresh');
      break;
    }
    case 'AlterObjectSchemaStmt':
      if (isRelationKind(node.objectType)) effects.add(relationName(node.relation), 'ACCESS EXCLUSIVE', 'SET SCHEMA');
      break;
    case 'CommentStmt':
      commentEffects(node, effects);
      break;
    case 'CreateTrigStmt':
      effects.add(relationName(node.relation), 'SHARE ROW EXCLUSIVE', 'CREATE TRIGGER');
      // A constraint trigger's FROM table is only looked up.
      effects.add(relationName(node.constrrel), 'ACCESS SHARE', 'CREATE TRIGGER ... FROM');
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
  if (options.serverMajor < 14) partitionWritesBefore14(options, effects);
  return effects.list();
}

/**
 * Before PostgreSQL 14 a write to a partition also looks its parent up (for
 * the partition's bounds): while the parent is locked ACCESS EXCLUSIVE, writes
 * to every partition wait, even those the statement does not lock (measured on 13).
 */
function partitionWritesBefore14(options: EffectOptions, effects: EffectList): void {
  for (const effect of effects.list()) {
    if (effect.lock !== 'ACCESS EXCLUSIVE') continue;
    for (const partition of options.schema.descendants(effect.table)) {
      effects.add(partition, null, `${effect.what} on ${effect.table}`, { writesWait: true, reached: true });
    }
  }
}

function createTableEffects(node: Node, options: EffectOptions, effects: EffectList): void {
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
    if (node.partbound) defaultPartitionChecked(relationName(parent), options, effects);
  }
}

function truncateEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  const named = list(node.relations).flatMap((relation) => relationName(relation) ?? []);
  const truncated = named.flatMap((name) => [name, ...options.schema.descendants(name)]);
  // CASCADE empties the tables with foreign keys to them too, and theirs.
  for (let index = 0; node.behavior === 'DROP_CASCADE' && index < truncated.length; index++) {
    for (const referencing of options.schema.referencing(truncated[index]!)) if (!truncated.includes(referencing)) truncated.push(referencing);
  }
  for (const table of truncated) {
    effects.add(table, 'ACCESS EXCLUSIVE', 'TRUNCATE', { rewrite: true, reached: !named.includes(table) });
    if (options.schema.table(table)?.partitions !== undefined) effects.withoutStorage(table);
  }
}

function renameEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  const relation = relationName(node.relation);
  const indexTable = relation ? options.schema.indexTable(relation) : undefined;
  if (indexTable && node.renameType === 'OBJECT_TABLE') {
    // ALTER TABLE <index> RENAME locks the index ACCESS EXCLUSIVE (ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE): queries on its table wait.
    return effects.add(indexTable, null, 'RENAME of an index by ALTER TABLE', { readsWait: true });
  }
  switch (node.renameType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_SEQUENCE':
    case 'OBJECT_FOREIGN_TABLE':
      effects.add(relation, 'ACCESS EXCLUSIVE', 'RENAME TO');
      break;
    case 'OBJECT_COLUMN':
      if (isRelationKind(node.relationType)) effects.add(relation, 'ACCESS EXCLUSIVE', 'RENAME COLUMN');
      break;
    case 'OBJECT_RULE':
    case 'OBJECT_POLICY':
      effects.add(relation, 'ACCESS EXCLUSIVE', `RENAME ${String(node.renameType).slice(7)}`);
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
      case 'OBJECT_TABLE': {
        const table = qualifiedName(parts);
        effects.add(table, 'ACCESS EXCLUSIVE', 'DROP TABLE');
        // A partition's parent, and the tables its foreign keys reference (their triggers go), are locked too.
        effects.add(options.schema.partitionParent(table), 'ACCESS EXCLUSIVE', 'DROP TABLE of a partition');
        for (const referenced of options.schema.table(table)?.foreignKeys?.values() ?? []) effects.add(referenced, 'ACCESS EXCLUSIVE', 'DROP TABLE');
        break;
      }
      case 'OBJECT_STATISTIC_EXT':
        effects.add(options.schema.statistics.get(qualifiedName(parts)), 'SHARE UPDATE EXCLUSIVE', 'DROP STATISTICS');
        break;
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_SEQUENCE':
      case 'OBJECT_FOREIGN_TABLE':
        effects.add(qualifiedName(parts), 'ACCESS EXCLUSIVE', `DROP ${String(node.removeType).slice(7).replace('_', ' ')}`);
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
  dropCascadeEffects(node, options, effects);
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
  const concurrent = reindexConcurrently(node);
  const lock: LockMode = concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE';
  const what = concurrent ? 'REINDEX CONCURRENTLY' : 'REINDEX';
  const relation = relationName(node.relation);
  // Without CONCURRENTLY the index itself is locked ACCESS EXCLUSIVE: reads of the table wait as well as writes.
  const flags = { scan: true, readsWait: !concurrent };
  if (node.kind === 'REINDEX_OBJECT_INDEX') effects.add(relation ? options.schema.indexTable(relation) : undefined, lock, what, flags);
  else if (node.kind === 'REINDEX_OBJECT_TABLE') effects.add(relation, lock, what, flags);
  else if (node.kind === 'REINDEX_OBJECT_SCHEMA' && typeof node.name === 'string') {
    for (const table of options.schema.tablesInSchema(node.name)) effects.add(table, lock, what, { ...flags, reached: true });
  }
}

function selectEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  const into = nodeOf(node.intoClause, 'IntoClause') ?? (node.intoClause as Node | undefined);
  const locked = list(node.lockingClause).length > 0;
  // A WITH query that inserts, updates or deletes writes like the statement it is. Its name is no table.
  const ctes = list(nodeOf(node.withClause, 'WithClause')?.ctes ?? (node.withClause as Node | undefined)?.ctes).flatMap((item) => {
    const cte = nodeOf(item, 'CommonTableExpr');
    return cte ? [cte] : [];
  });
  const cteNames = ctes.map((cte) => cte.ctename);
  for (const cte of ctes) {
    const query = cte.ctequery;
    for (const kind of ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']) {
      const inner = nodeOf(query, kind);
      if (inner) for (const effect of statementEffects(kind, inner, options)) effects.add(effect.table, effect.lock, effect.what, effect);
    }
  }
  for (const name of relationsIn({ ...node, intoClause: undefined })) {
    if (cteNames.includes(name)) continue;
    for (const table of [name, ...options.schema.descendants(name)]) {
      effects.add(table, locked ? 'ROW SHARE' : 'ACCESS SHARE', locked ? 'SELECT FOR UPDATE/SHARE' : 'read', { reached: table !== name });
    }
  }
  if (into) effects.add(relationName(into.rel), 'ACCESS EXCLUSIVE', 'SELECT INTO');
}
