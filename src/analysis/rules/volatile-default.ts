import { addColumnRewrites } from '../alter-table-effects.js';
import { alterTableCommands, blockingHit } from '../rule-kit.js';
import { nodeOf } from '../tree.js';
import type { Rule } from '../types.js';

/** ADD COLUMN whose value must be computed for every existing row: a volatile default, serial, identity, stored generated. */
export const volatileDefault: Rule = {
  id: 'volatile-default',
  title: 'ADD COLUMN that rewrites the table',
  run(context) {
    const alter = alterTableCommands(context);
    if (!alter) return [];
    return alter.commands.flatMap((command) => {
      if (command.subtype !== 'AT_AddColumn') return [];
      const definition = nodeOf(command.def, 'ColumnDef');
      if (!definition) return [];
      if (command.missing_ok === true && context.schema.column(alter.table, String(definition.colname))) return [];
      const reason = addColumnRewrites(definition, context.options);
      if (!reason) return [];
      return blockingHit(
        context,
        alter.table,
        `ADD COLUMN ${String(definition.colname)} rewrites ${alter.table} under an ACCESS EXCLUSIVE lock, because ${reason}. Reads and writes of ${alter.table} wait until every row is copied.`,
        'Add the column with no default or a constant one (stored once in the catalog), SET DEFAULT the expression for new rows, and fill existing rows in batches afterwards. For ids, create the sequence and SET DEFAULT nextval(...) on the added column.',
      );
    });
  },
};
