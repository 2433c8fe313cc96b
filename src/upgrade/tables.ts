import type { Statement } from '../migrations/parse.js';

/** The table a statement's parse tree names first, when it names one. */
function relationOf(statement: Statement): string | undefined {
  const relation = statement.node.relation as { relname?: string; schemaname?: string } | undefined;
  if (relation?.relname) return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname;
  return undefined;
}

/**
 * Tables that `statements` change and that existed before them: the ones an
 * operator cares about, since only those can hold data and sessions. Tables
 * created here are added to `created`, which is shared across the migrations of
 * one upgrade.
 */
export function tablesTouched(statements: Statement[], created: Set<string>): string[] {
  const touched = new Set<string>();
  for (const statement of statements) {
    const table = relationOf(statement);
    if (!table) continue;
    if (statement.kind === 'CreateStmt') {
      created.add(table);
      continue;
    }
    if (!created.has(table)) touched.add(table);
  }
  return [...touched].sort();
}
