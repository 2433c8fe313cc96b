import { blockingHit } from '../rule-kit.js';
import { relationName } from '../tree.js';
import type { Rule } from '../types.js';

/** REFRESH MATERIALIZED VIEW without CONCURRENTLY on a materialized view that exists before the migration. */
export const refreshMaterializedView: Rule = {
  id: 'refresh-materialized-view',
  title: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'RefreshMatViewStmt' || node.concurrent === true) return [];
    const view = relationName(node.relation);
    if (!view || context.isNewObject('materialized view', view) || context.isNew(view)) return [];
    return blockingHit(
      context,
      view,
      `REFRESH MATERIALIZED VIEW ${view} runs its query again and replaces its contents while holding ACCESS EXCLUSIVE: every read of ${view} waits until it ends.`,
      `REFRESH MATERIALIZED VIEW CONCURRENTLY ${view} lets reads go on (it needs a unique index on the view covering all rows, without a WHERE clause; it cannot run on a view never populated).`,
    );
  },
};
