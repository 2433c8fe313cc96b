import { columnTypeOf, typeChangeRewrites } from '../column-types.js';
import { alterTableCommands, blockingHit } from '../rule-kit.js';
import { list, nodeOf, type Node } from '../tree.js';
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
      const definition = nodeOf(command.def, 'ColumnDef');
      const to = columnTypeOf(definition?.typeName as Node | undefined);
      if (!to) return [];
      const usingOtherThanColumn = definition?.raw_default !== undefined && !usesOnlyColumn(definition.raw_default, column);
      const change = typeChangeRewrites(context.schema.column(alter.table, column)?.type, to, usingOtherThanColumn || definition?.collClause !== undefined);
      if (!change.rewrite) return [];
      return blockingHit(
        context,
        alter.table,
        `ALTER COLUMN ${column} TYPE rewrites ${alter.table} under an ACCESS EXCLUSIVE lock (${change.reason}): reads and writes wait until every row is copied and every index rebuilt.`,
        `Add a column of the new type, write both from the application, backfill in batches, switch reads, and drop the old column in a later release. Only relabelling changes skip the rewrite: varchar(n) → varchar(m ≥ n) or text, text → varchar, numeric(p,s) → numeric(q ≥ p,s) or numeric.`,
      );
    });
  },
};

function usesOnlyColumn(expression: unknown, column: string): boolean {
  const inner = nodeOf(expression, 'TypeCast')?.arg ?? expression;
  const fields = list(nodeOf(inner, 'ColumnRef')?.fields);
  return fields.length === 1 && nodeOf(fields[0], 'String')?.sval === column;
}
