import { alterTableCommands } from '../rule-kit.js';
import type { Rule } from '../types.js';

/** DROP COLUMN on a table that exists before the migration. */
export const dropColumn: Rule = {
  id: 'drop-column',
  title: 'DROP COLUMN of a column the running application may use',
  run(context) {
    const alter = alterTableCommands(context);
    if (!alter || context.isNew(alter.table)) return [];
    return alter.commands.flatMap((command) => {
      if (command.subtype !== 'AT_DropColumn') return [];
      const column = String(command.name);
      return [
        {
          table: alter.table,
          verdict: 'breaking' as const,
          message: `DROP COLUMN ${alter.table}.${column} removes a column that the running application may still select or insert: those queries fail from the moment it commits (the table is not rewritten; the lock is brief).`,
          fix: 'Stop reading and writing the column in a release first (deprecate it); drop it in a later release, once no version that uses it can be running, and mark that migration breaking.',
        },
      ];
    });
  },
};
