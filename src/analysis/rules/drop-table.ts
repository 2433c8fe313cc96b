import { list, nameParts, nodeOf, qualifiedName } from '../tree.js';
import type { Rule } from '../types.js';

/** DROP TABLE of a table that exists before the migration. */
export const dropTable: Rule = {
  id: 'drop-table',
  title: 'DROP TABLE of a table the running application may use',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'DropStmt' || node.removeType !== 'OBJECT_TABLE') return [];
    return list(node.objects).flatMap((object) => {
      const table = qualifiedName(nameParts(nodeOf(object, 'List')?.items));
      if (context.isNew(table)) return [];
      return [
        {
          table,
          verdict: 'breaking' as const,
          message: `DROP TABLE ${table} removes a table that the running application (the version before this upgrade) may still read or write: those queries fail from the moment it commits.`,
          fix: 'Stop using the table in a release first; drop it in a later release, once no version that uses it can be running, and mark that migration breaking (or acknowledge it with -- astra:allow drop-table <reason>).',
        },
      ];
    });
  },
};
