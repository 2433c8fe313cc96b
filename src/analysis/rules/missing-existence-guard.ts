import { alterTableCommands } from '../rule-kit.js';
import { nodeOf, relationName } from '../tree.js';
import type { Rule, RuleHit } from '../types.js';

const FIX =
  'Add IF NOT EXISTS / IF EXISTS, so that running the statement again (after a failure part way, or on a database that already has the change) does nothing instead of failing.';

/** CREATE/DROP TABLE, CREATE/DROP INDEX, ADD/DROP COLUMN without IF [NOT] EXISTS. Advice: never fails lint. */
export const missingExistenceGuard: Rule = {
  id: 'missing-existence-guard',
  title: 'CREATE or DROP without IF [NOT] EXISTS',
  advice: true,
  run(context) {
    const { kind, node } = context.statement;
    const advice = (what: string, table?: string): RuleHit[] => [
      { ...(table ? { table } : {}), verdict: 'safe', message: `${what} fails if it runs a second time.`, fix: FIX },
    ];
    switch (kind) {
      case 'CreateStmt':
        return node.if_not_exists ? [] : advice(`CREATE TABLE ${relationName(node.relation)} without IF NOT EXISTS`, relationName(node.relation));
      case 'IndexStmt':
        // Without a name there is nothing to test for.
        return node.if_not_exists || typeof node.idxname !== 'string'
          ? []
          : advice(`CREATE INDEX ${node.idxname} without IF NOT EXISTS`, relationName(node.relation));
      case 'DropStmt':
        if (node.removeType !== 'OBJECT_TABLE' && node.removeType !== 'OBJECT_INDEX') return [];
        return node.missing_ok ? [] : advice(`DROP ${node.removeType === 'OBJECT_TABLE' ? 'TABLE' : 'INDEX'} without IF EXISTS`);
      default: {
        const alter = alterTableCommands(context);
        if (!alter) return [];
        return alter.commands.flatMap((command) => {
          if (command.missing_ok) return [];
          if (command.subtype === 'AT_AddColumn')
            return advice(`ADD COLUMN ${String(nodeOf(command.def, 'ColumnDef')?.colname)} without IF NOT EXISTS`, alter.table);
          if (command.subtype === 'AT_DropColumn') return advice(`DROP COLUMN ${String(command.name)} without IF EXISTS`, alter.table);
          return [];
        });
      }
    }
  },
};
