import { blockingHit } from '../rule-kit.js';
import { relationName } from '../tree.js';
import type { Rule } from '../types.js';

/**
 * UPDATE or DELETE without WHERE on a table that exists before the migration.
 * With a WHERE, lint trusts the condition to pick the rows that need it (see
 * docs/rules/whole-table-dml.md).
 */
export const wholeTableDml: Rule = {
  id: 'whole-table-dml',
  title: 'UPDATE or DELETE of every row of an existing table',
  run(context) {
    const { kind, node } = context.statement;
    if ((kind !== 'UpdateStmt' && kind !== 'DeleteStmt') || node.whereClause !== undefined) return [];
    const table = relationName(node.relation);
    const verb = kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE';
    return blockingHit(
      context,
      table,
      `${verb} without WHERE ${kind === 'UpdateStmt' ? 'writes' : 'deletes'} every row of ${table} in the migration's transaction: each row stays locked until it commits, so every application write to ${table} waits until then${kind === 'UpdateStmt' ? ', and the table grows by a dead copy of every row' : ''}.`,
      `Limit the ${verb} with a WHERE to the rows that need it, or do it in batches (a range of primary keys per statement, in separate migrations or a background job) so that no row stays locked for long.`,
    );
  },
};
