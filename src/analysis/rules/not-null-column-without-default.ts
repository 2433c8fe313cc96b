import { alterTableCommands, columnConstraintsOf } from '../rule-kit.js';
import { nodeOf } from '../tree.js';
import type { Rule } from '../types.js';

/** ADD COLUMN ... NOT NULL without a default on an existing table: fails as soon as the table has a row. */
export const notNullColumnWithoutDefault: Rule = {
  id: 'not-null-column-without-default',
  title: 'ADD COLUMN NOT NULL without a default',
  run(context) {
    const alter = alterTableCommands(context);
    if (!alter || context.isNew(alter.table)) return [];
    return alter.commands.flatMap((command) => {
      if (command.subtype !== 'AT_AddColumn') return [];
      const definition = nodeOf(command.def, 'ColumnDef');
      const constraints = columnConstraintsOf(definition);
      const notNull = constraints.some((constraint) => constraint.contype === 'CONSTR_NOTNULL' || constraint.contype === 'CONSTR_PRIMARY');
      const filled = constraints.some((constraint) => ['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED'].includes(String(constraint.contype)));
      if (!notNull || filled || (command.missing_ok === true && context.schema.column(alter.table, String(definition?.colname)))) return [];
      if (context.rows(alter.table) === 0) return [];
      return [
        {
          table: alter.table,
          verdict: 'breaking' as const,
          message: `ADD COLUMN ${String(definition?.colname)} NOT NULL without a default fails with "contains null values" as soon as ${alter.table} has a row, which a production table has.`,
          fix: 'Give the column a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill, and make it NOT NULL through a validated CHECK (see set-not-null).',
        },
      ];
    });
  },
};
