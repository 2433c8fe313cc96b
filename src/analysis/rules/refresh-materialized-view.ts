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
    if (node.skipData === true) {
      return [
        {
          table: view,
          verdict: 'breaking',
          message: `REFRESH MATERIALIZED VIEW ${view} WITH NO DATA empties it: every read of ${view} fails ("has not been populated") until it is refreshed again.`,
          fix: `Leave ${view} populated; if it must go, stop reading it in a release first, then drop it in a later one marked breaking.`,
        },
      ];
    }
    // How long the refresh holds the lock depends on the view's query, which lint cannot time: always reported.
    return [
      {
        table: view,
        verdict: 'breaking',
        message: `REFRESH MATERIALIZED VIEW ${view} runs its query again and replaces its contents while holding ACCESS EXCLUSIVE: every read of ${view} waits until it ends.`,
        fix: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${view} lets reads go on (it needs a unique index on the view covering all rows, without a WHERE clause; it cannot run on a view never populated).`,
      },
    ];
  },
};
