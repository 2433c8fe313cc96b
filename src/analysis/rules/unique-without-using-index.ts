import { alterTableCommands, blockingHit, columnConstraintsOf } from '../rule-kit.js';
import { nodeOf, type Node } from '../tree.js';
import type { Rule, RuleContext, RuleHit } from '../types.js';

/** UNIQUE, PRIMARY KEY or EXCLUDE added to an existing table by building its index under ACCESS EXCLUSIVE. */
export const uniqueWithoutUsingIndex: Rule = {
  id: 'unique-without-using-index',
  title: 'UNIQUE or PRIMARY KEY that builds its index under ACCESS EXCLUSIVE',
  run(context) {
    const alter = alterTableCommands(context);
    if (!alter) return [];
    return alter.commands.flatMap((command): RuleHit[] => {
      if (command.subtype === 'AT_AddConstraint') {
        const constraint = nodeOf(command.def, 'Constraint');
        return constraint ? constraintHit(context, alter.table, constraint) : [];
      }
      if (command.subtype === 'AT_AddColumn') {
        return columnConstraintsOf(nodeOf(command.def, 'ColumnDef')).flatMap((constraint) => constraintHit(context, alter.table, constraint));
      }
      return [];
    });
  },
};

function constraintHit(context: RuleContext, table: string, constraint: Node): RuleHit[] {
  const kind =
    constraint.contype === 'CONSTR_PRIMARY'
      ? 'PRIMARY KEY'
      : constraint.contype === 'CONSTR_UNIQUE'
        ? 'UNIQUE'
        : constraint.contype === 'CONSTR_EXCLUSION'
          ? 'EXCLUDE'
          : undefined;
  if (!kind) return [];
  if (typeof constraint.indexname === 'string') {
    const index = context.schema.index(constraint.indexname, table);
    const nullable =
      kind === 'PRIMARY KEY' && (index?.columns ?? []).length > 0 && index!.columns.some((column) => !context.schema.column(table, column)?.notNull);
    if (!nullable) return [];
    return blockingHit(
      context,
      table,
      `PRIMARY KEY USING INDEX ${constraint.indexname} sets NOT NULL on ${index!.columns.join(', ')}, reading every row of ${table} under an ACCESS EXCLUSIVE lock.`,
      'Make the columns NOT NULL first without a scan (CHECK (col IS NOT NULL) NOT VALID, VALIDATE in a later migration, SET NOT NULL), then add the primary key USING INDEX.',
    );
  }
  if (kind === 'EXCLUDE') {
    return blockingHit(
      context,
      table,
      `ADD CONSTRAINT ... EXCLUDE builds its index on ${table} under an ACCESS EXCLUSIVE lock: reads and writes wait until the build ends.`,
      'There is no concurrent form of an exclusion constraint: add it while the application is stopped, and mark the migration breaking.',
    );
  }
  return blockingHit(
    context,
    table,
    `${kind} builds its index on ${table} while it holds an ACCESS EXCLUSIVE lock: reads and writes wait until the build ends.`,
    `Build the index first with CREATE UNIQUE INDEX (astra runs it CONCURRENTLY on an existing table), then ADD CONSTRAINT ... ${kind} USING INDEX <name> in a later migration, which only takes a moment.`,
  );
}
