import { list, relationName } from '../tree.js';
import type { Rule } from '../types.js';

/** TRUNCATE of a table that exists before the migration. */
export const truncate: Rule = {
  id: 'truncate',
  title: 'TRUNCATE of a table the application uses',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'TruncateStmt') return [];
    // CASCADE (and a partitioned table) empties more than the tables named: say which.
    const alsoEmptied = context.effects.filter((effect) => effect.reached).map((effect) => effect.table);
    const also = alsoEmptied.length > 0 ? ` It empties ${alsoEmptied.join(', ')} too.` : '';
    return list(node.relations).flatMap((relation, index) => {
      const table = relationName(relation);
      if (!table || context.isNew(table)) return [];
      return [
        {
          table,
          verdict: 'breaking' as const,
          message: `TRUNCATE ${table} deletes every row and holds an ACCESS EXCLUSIVE lock until the migration commits: the application can neither read nor write ${table} meanwhile, and finds it empty after.${index === 0 ? also : ''}`,
          fix: 'If the rows must go while the application runs, DELETE them in batches (by primary key ranges) from separate migrations or a job. Otherwise stop the application and mark the migration breaking.',
        },
      ];
    });
  },
};
