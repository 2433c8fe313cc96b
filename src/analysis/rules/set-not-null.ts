import { alterTableCommands, blockingHit } from '../rule-kit.js';
import type { Rule } from '../types.js';

/** SET NOT NULL on an existing column, without a validated CHECK (col IS NOT NULL) to spare the scan. */
export const setNotNull: Rule = {
  id: 'set-not-null',
  title: 'SET NOT NULL that scans the table',
  run(context) {
    const alter = alterTableCommands(context);
    if (!alter) return [];
    return alter.commands.flatMap((command) => {
      if (command.subtype !== 'AT_SetNotNull') return [];
      const column = String(command.name);
      if (context.schema.column(alter.table, column)?.notNull) return [];
      const checks = [...(context.schema.table(alter.table)?.checkedNotNull.values() ?? [])];
      if (context.options.serverMajor >= 12 && checks.some((check) => check.column === column && check.validated)) return [];
      return blockingHit(
        context,
        alter.table,
        `SET NOT NULL on ${alter.table}.${column} reads every row to look for NULLs while it holds an ACCESS EXCLUSIVE lock: reads and writes wait until the scan ends.`,
        `ADD CONSTRAINT ${alter.table.split('.').at(-1)}_${column}_not_null CHECK (${column} IS NOT NULL) NOT VALID; VALIDATE it in a later migration (no blocking lock); then SET NOT NULL, which PostgreSQL 12 and later prove from the valid check without a scan, and drop the check.`,
      );
    });
  },
};
