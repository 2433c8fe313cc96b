import { relationName } from '../tree.js';
import type { Rule } from '../types.js';

/** ALTER TABLE ... RENAME COLUMN on a table that exists before the migration. */
export const renameColumn: Rule = {
  id: 'rename-column',
  title: 'RENAME COLUMN of a column the running application uses',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'RenameStmt' || node.renameType !== 'OBJECT_COLUMN' || node.relationType !== 'OBJECT_TABLE') return [];
    const table = relationName(node.relation);
    if (!table || context.isNew(table)) return [];
    const column = String(node.subname);
    return [
      {
        table,
        verdict: 'breaking',
        message: `Renaming ${table}.${column} to ${String(node.newname)} breaks every query of the running application that names ${column}, from the moment it commits.`,
        fix: `Add the new column, write to both from the application, backfill in batches, switch reads, and drop ${column} in a later release (marked breaking).`,
      },
    ];
  },
};
