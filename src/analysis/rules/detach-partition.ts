import { list, nodeOf, relationName } from '../tree.js';
import type { Rule } from '../types.js';

/** ALTER TABLE ... DETACH PARTITION of a partitioned table that exists before the migration. */
export const detachPartition: Rule = {
  id: 'detach-partition',
  title: 'DETACH PARTITION takes rows out of a table the application reads',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'AlterTableStmt') return [];
    const table = relationName(node.relation);
    if (!table || context.isNew(table)) return [];
    return list(node.cmds).flatMap((item) => {
      const command = nodeOf(item, 'AlterTableCmd');
      if (command?.subtype !== 'AT_DetachPartition') return [];
      const partitionCmd = nodeOf(command.def, 'PartitionCmd');
      const partition = relationName(partitionCmd?.name) ?? 'the partition';
      const concurrently = partitionCmd?.concurrent === true;
      if (context.isNew(partition)) return [];
      // Detached and attached back in the same transaction (a default partition split, a partition swapped): no rows go missing.
      const attachedBack = context.laterInSameTransaction.some(
        (later) =>
          later.kind === 'AlterTableStmt' &&
          relationName(later.node.relation) === table &&
          list(later.node.cmds).some((item) => nodeOf(item, 'AlterTableCmd')?.subtype === 'AT_AttachPartition'),
      );
      if (attachedBack) return [];
      const lock = concurrently
        ? ''
        : ` Without CONCURRENTLY it also holds ACCESS EXCLUSIVE on ${table}: every query of ${table} waits for it, and it waits for every query of ${table} that is running.`;
      return [
        {
          table,
          verdict: 'breaking' as const,
          message: `DETACH PARTITION takes ${partition} and its rows out of ${table}: queries of the running application (the version before this upgrade) stop seeing those rows, and writes of rows in its range fail unless a default partition takes them.${lock}`,
          fix: `Detach it in a release whose code no longer needs those rows (read them from ${partition} itself, or archive them first), and mark that migration breaking.${concurrently ? '' : ` Write DETACH PARTITION ${partition} CONCURRENTLY (PostgreSQL 14 and later; refused when ${table} has a default partition): reads and writes of ${table} go on, and astra runs it outside the migration's transaction.`}`,
        },
      ];
    });
  },
};
