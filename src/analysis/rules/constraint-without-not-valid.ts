import { alterTableCommands, blockingHit, columnConstraintsOf } from '../rule-kit.js';
import { list, nodeOf, relationName, type Node } from '../tree.js';
import type { Rule, RuleContext, RuleHit } from '../types.js';

const FIX =
  'Add it NOT VALID: it is enforced for new and updated rows at once, without reading the existing ones. Then VALIDATE CONSTRAINT in a later migration: validation takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.';

/** FOREIGN KEY or CHECK added to an existing table without NOT VALID, or validated in the migration that added it. */
export const constraintWithoutNotValid: Rule = {
  id: 'constraint-without-not-valid',
  title: 'FOREIGN KEY or CHECK that checks every row under a blocking lock',
  run(context) {
    const alter = alterTableCommands(context);
    if (!alter) return [];
    return alter.commands.flatMap((command): RuleHit[] => {
      if (command.subtype === 'AT_AddConstraint') {
        const constraint = nodeOf(command.def, 'Constraint');
        if (!constraint || constraint.skip_validation === true) return [];
        return constraintHit(context, alter.table, constraint, 'ADD CONSTRAINT');
      }
      if (command.subtype === 'AT_AddColumn') {
        const definition = nodeOf(command.def, 'ColumnDef');
        return columnConstraintsOf(definition).flatMap((constraint) =>
          constraintHit(context, alter.table, constraint, `ADD COLUMN ${String(definition?.colname)}`),
        );
      }
      if (command.subtype === 'AT_ValidateConstraint') return validatedTooSoon(context, alter.table, String(command.name));
      return [];
    });
  },
};

function constraintHit(context: RuleContext, table: string, constraint: Node, how: string): RuleHit[] {
  if (constraint.contype === 'CONSTR_FOREIGN') {
    const referenced = relationName(constraint.pktable) ?? 'the referenced table';
    return blockingHit(
      context,
      table,
      `${how} with a FOREIGN KEY to ${referenced} checks every row of ${table} while it holds SHARE ROW EXCLUSIVE locks on both tables: writes to ${table} and ${referenced} wait until the check ends.`,
      how.startsWith('ADD COLUMN') ? `Add the column first, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID. ${FIX}` : FIX,
    );
  }
  if (constraint.contype === 'CONSTR_CHECK') {
    return blockingHit(
      context,
      table,
      `${how} with a CHECK reads every row of ${table} while it holds an ACCESS EXCLUSIVE lock: reads and writes wait until the check ends.`,
      how.startsWith('ADD COLUMN') ? `Add the column first, then ADD CONSTRAINT ... CHECK (...) NOT VALID. ${FIX}` : FIX,
    );
  }
  return [];
}

/** VALIDATE in the migration that added the constraint NOT VALID: the ADD's lock is still held while it scans. */
function validatedTooSoon(context: RuleContext, table: string, name: string): RuleHit[] {
  const added = context.earlier.some(
    (statement) =>
      statement.kind === 'AlterTableStmt' &&
      relationName(statement.node.relation) === table &&
      list(statement.node.cmds).some((item) => {
        const command = nodeOf(item, 'AlterTableCmd');
        return command?.subtype === 'AT_AddConstraint' && nodeOf(command.def, 'Constraint')?.conname === name;
      }),
  );
  if (!added) return [];
  return blockingHit(
    context,
    table,
    `VALIDATE CONSTRAINT ${name} runs in the transaction that added it, which still holds the ADD's lock on ${table}: the validation scan blocks the application as if NOT VALID had not been written.`,
    'Validate in a later migration: astra commits each migration, so the ADD CONSTRAINT lock is gone by then.',
  );
}
