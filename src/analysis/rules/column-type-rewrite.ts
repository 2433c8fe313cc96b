import { columnTypeChange } from '../alter-table-effects.js';
import { alterTableCommands, blockingHit } from '../rule-kit.js';
import type { Rule } from '../types.js';

/** ALTER COLUMN ... TYPE that rewrites the table (anything but a relabelling or a widening). */
export const columnTypeRewrite: Rule = {
  id: 'column-type-rewrite',
  title: 'ALTER COLUMN TYPE that rewrites the table',
  run(context) {
    const alter = alterTableCommands(context);
    if (!alter) return [];
    return alter.commands.flatMap((command) => {
      if (command.subtype !== 'AT_AlterColumnType') return [];
      const column = String(command.name);
      const change = columnTypeChange(alter.table, command, context.options);
      if (!change?.rewrite) return [];
      return blockingHit(
        context,
        alter.table,
        `ALTER COLUMN ${column} TYPE rewrites ${alter.table} under an ACCESS EXCLUSIVE lock (${change.reason}): reads and writes wait until every row is copied and every index rebuilt.`,
        `Add a column of the new type, write both from the application, backfill in batches, switch reads, and drop the old column in a later release. Only relabelling changes skip the rewrite: varchar(n) → varchar(m ≥ n) or text, text → varchar, numeric(p,s) → numeric(q ≥ p,s) or numeric.`,
      );
    });
  },
};
