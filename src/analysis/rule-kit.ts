import { list, nodeOf, relationName, type Node } from './tree.js';
import type { RuleContext, RuleHit } from './types.js';

/**
 * A table with at most this many rows (as the database estimates them, when
 * lint has one) is small: an index build, a scan or a rewrite of it takes
 * milliseconds, well inside the runner's lock_timeout, so holding a blocking
 * lock for it is safe.
 */
export const SMALL_TABLE_ROWS = 10_000;

/**
 * The hit for a lock that blocks the application while the table is read or
 * rewritten: none on a table created earlier in the migration (nobody uses it
 * yet), safe on a table the database says is small, breaking otherwise.
 */
export function blockingHit(context: RuleContext, table: string | undefined, message: string, fix: string): RuleHit[] {
  if (!table || context.isNew(table)) return [];
  const rows = context.rows(table);
  if (rows !== undefined && rows <= SMALL_TABLE_ROWS) {
    return [
      { table, verdict: 'safe', message: `${message} ${table} holds about ${rows} rows (at most ${SMALL_TABLE_ROWS}), so the lock lasts a moment.`, fix },
    ];
  }
  return [{ table, verdict: 'breaking', message, fix }];
}

/** The subcommands of an ALTER TABLE on a table, with the table's name. */
export function alterTableCommands(context: RuleContext): { table: string; commands: Node[] } | undefined {
  const { kind, node } = context.statement;
  if (kind !== 'AlterTableStmt' || (node.objtype !== undefined && node.objtype !== 'OBJECT_TABLE')) return undefined;
  const table = relationName(node.relation);
  if (!table) return undefined;
  const commands = list(node.cmds).flatMap((item) => {
    const command = nodeOf(item, 'AlterTableCmd');
    return command ? [command] : [];
  });
  return { table, commands };
}

/** The constraints of a column definition. */
export function columnConstraintsOf(definition: Node | undefined): Node[] {
  return list(definition?.constraints).flatMap((item) => {
    const constraint = nodeOf(item, 'Constraint');
    return constraint ? [constraint] : [];
  });
}
