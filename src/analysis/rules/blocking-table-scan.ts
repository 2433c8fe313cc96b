import { blockingHit } from '../rule-kit.js';
import type { Rule } from '../types.js';

/**
 * The net under the other rules: any statement that rewrites or reads a whole
 * existing table under a lock that blocks the application. The analysis runs
 * it only for tables no other rule has reported on for the same statement.
 */
export const blockingTableScan: Rule = {
  id: 'blocking-table-scan',
  title: 'Whole-table rewrite or scan under a blocking lock',
  run(context) {
    return context.effects.flatMap((effect) => {
      // A sequence's rewrite is of its one row: a moment, well inside lock_timeout.
      if (!(effect.rewrite || effect.scan) || effect.sequence) return [];
      const blocks = effect.blocks === 'reads+writes' ? 'reads and writes' : effect.blocks === 'writes' ? 'writes' : undefined;
      if (!blocks) return [];
      return blockingHit(
        context,
        effect.table,
        `${effect.what} ${effect.rewrite ? 'rewrites' : 'reads every row of'} ${effect.table} while holding ${effect.lock ?? 'ACCESS EXCLUSIVE on one of its indexes'}: ${blocks} wait until it ends.`,
        'Find a form that does not rewrite or scan under this lock (docs/rules lists the usual ones); if there is none, run it while the application is stopped and mark the migration breaking.',
      );
    });
  },
};
