import { relationName } from '../tree.js';
import type { Rule } from '../types.js';

/** ALTER TABLE ... RENAME TO on a table that exists before the migration. */
export const renameTable: Rule = {
  id: 'rename-table',
  title: 'RENAME of a table the running application uses',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'RenameStmt' || node.renameType !== 'OBJECT_TABLE') return [];
    const table = relationName(node.relation);
    // ALTER TABLE <index> RENAME renames an index: no query names it.
    if (!table || context.isNew(table) || context.schema.indexTable(table) !== undefined) return [];
    return [
      {
        table,
        verdict: 'breaking',
        message: `Renaming ${table} to ${String(node.newname)} breaks every query of the running application that names ${table}, from the moment it commits.`,
        fix: `Keep the name. If it must change: create the new table, write to both, backfill, move reads, and drop ${table} in a later release (marked breaking) — or create a view named ${table} over the renamed table for the old version.`,
      },
    ];
  },
};
