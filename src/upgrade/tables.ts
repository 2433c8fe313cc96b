import type { Statement } from '../migrations/parse.js';

type RangeVar = { relname?: string; schemaname?: string } | undefined;

const nameOf = (relation: RangeVar) =>
  relation?.relname ? (relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname) : undefined;

/** The tables a statement's parse tree names: its relation, the tables a TRUNCATE or DROP TABLE lists. */
function relationsOf(statement: Statement): string[] {
  const node = statement.node;
  if (statement.kind === 'TruncateStmt') {
    return ((node.relations as { RangeVar?: RangeVar }[] | undefined) ?? []).flatMap((entry) => nameOf(entry.RangeVar) ?? []);
  }
  if (statement.kind === 'DropStmt' && node.removeType === 'OBJECT_TABLE') {
    return ((node.objects as { List?: { items?: { String?: { sval?: string } }[] } }[] | undefined) ?? []).map((object) =>
      (object.List?.items ?? []).map((item) => item.String?.sval ?? '').join('.'),
    );
  }
  const table = nameOf(node.relation as RangeVar);
  return table ? [table] : [];
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
    for (const table of relationsOf(statement)) {
      if (statement.kind === 'CreateStmt') created.add(table);
      else if (!created.has(table)) touched.add(table);
    }
  }
  return [...touched].sort();
}
