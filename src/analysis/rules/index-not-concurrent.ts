import { blockingHit } from '../rule-kit.js';
import { reindexConcurrently, relationName } from '../tree.js';
import type { Rule, RuleContext } from '../types.js';

/** CREATE INDEX or REINDEX without CONCURRENTLY on a table that already exists. */
export const indexNotConcurrent: Rule = {
  id: 'index-not-concurrent',
  title: 'Index built without CONCURRENTLY on an existing table',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'IndexStmt' && kind !== 'ReindexStmt') return [];
    const concurrent = kind === 'IndexStmt' ? node.concurrent === true || context.statement.outsideTransaction !== undefined : reindexConcurrently(node);
    if (concurrent) return [];
    if (kind === 'ReindexStmt' && node.kind !== 'REINDEX_OBJECT_INDEX' && node.kind !== 'REINDEX_OBJECT_TABLE') {
      const scope = `${String(node.kind).replace('REINDEX_OBJECT_', '')}${typeof node.name === 'string' ? ` ${node.name}` : ''}`;
      return [
        {
          verdict: 'breaking',
          message: `REINDEX ${scope} without CONCURRENTLY rebuilds every index in it, holding SHARE on each table and ACCESS EXCLUSIVE on the index being rebuilt: queries and writes on each table wait while its indexes are rebuilt.`,
          fix: 'Write REINDEX ... CONCURRENTLY, or reindex the tables that need it one by one with REINDEX TABLE ... CONCURRENTLY.',
        },
      ];
    }
    // REINDEX INDEX of an index lint knows nothing about: named by the index, and assumed large.
    const table = kind === 'IndexStmt' ? relationName(node.relation) : (context.effects[0]?.table ?? relationName(node.relation));
    const verb = kind === 'IndexStmt' ? 'CREATE INDEX' : 'REINDEX';
    return blockingHit(context, table, `${blockedWork(verb, table)}${whyNotConcurrent(context)}`, fixFor(context, verb));
  },
};

function blockedWork(verb: string, table: string | undefined): string {
  if (verb === 'CREATE INDEX') {
    return `CREATE INDEX without CONCURRENTLY holds a SHARE lock on ${table} while it reads every row: every INSERT, UPDATE and DELETE on it waits until the build ends.`;
  }
  // Measured: the index's ACCESS EXCLUSIVE stops reads too, because the planner opens every index of the table.
  return `REINDEX without CONCURRENTLY holds a SHARE lock on ${table} and ACCESS EXCLUSIVE on the index while it reads every row: every write waits, and so does every query on ${table}, since planning one opens all of the table's indexes.`;
}

function whyNotConcurrent(context: RuleContext): string {
  if (context.inDoBlock) return ' Inside a DO block astra cannot build it CONCURRENTLY (nor can PostgreSQL: CONCURRENTLY needs its own transaction).';
  if (context.concurrency && !context.concurrency.moved) {
    return ` astra builds indexes on existing tables CONCURRENTLY, outside the transaction, but this one must stay in it: ${context.concurrency.reason}.`;
  }
  return '';
}

function fixFor(context: RuleContext, verb: string): string {
  if (context.inDoBlock) return `Take the ${verb} out of the DO block: as a plain statement of the migration, astra runs it CONCURRENTLY.`;
  if (context.concurrency && !context.concurrency.moved) {
    return 'Move the statement that needs the index to a later migration: astra then builds the index CONCURRENTLY, outside the transaction, before that migration runs.';
  }
  return `Write ${verb === 'CREATE INDEX' ? 'CREATE INDEX CONCURRENTLY' : 'REINDEX ... CONCURRENTLY'}; astra runs it outside the migration's transaction.`;
}
