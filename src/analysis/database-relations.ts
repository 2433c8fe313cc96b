import type { Database } from '../db/database.js';
import type { Statement } from '../migrations/parse.js';
import { readDoBlock } from './embedded.js';
import { nameParts, nodeOf, type Node } from './tree.js';

/**
 * Which tables lint reads from a database: those the statements name (or
 * name an index of), and those they reach without naming them. The columns
 * below let that choice be made from one catalog query.
 */
const USER_RELATIONS = `
  SELECT c.oid, n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS estimate, c.relkind::text AS kind,
         COALESCE(ts.spcname::text, (SELECT d.spcname::text FROM pg_database db JOIN pg_tablespace d ON d.oid = db.dattablespace
                                      WHERE db.datname = current_database())) AS tablespace,
         array(SELECT ic.relname::text FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid) AS indexes,
         array(SELECT DISTINCT ty.typname::text FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS types,
         array(SELECT r.relname::text FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid WHERE f.conrelid = c.oid AND f.contype = 'f') AS referenced,
         (SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition) AS partition_of,
         array(SELECT DISTINCT p.proname::text FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid WHERE tg.tgrelid = c.oid) AS trigger_functions,
         array(SELECT json_build_array(sn.nspname, s.stxname)::text FROM pg_statistic_ext s JOIN pg_namespace sn ON sn.oid = s.stxnamespace
                WHERE s.stxrelid = c.oid) AS statistics
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
   WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`;

/** One user table, as USER_RELATIONS lists it. */
export interface Relation {
  oid: number;
  schema: string;
  name: string;
  estimate: number;
  kind: string;
  tablespace: string;
  indexes: string[];
  /** The types of its columns, by name. */
  types: string[];
  /** The tables its foreign keys reference, by name. */
  referenced: string[];
  /** Of a partition: its partitioned table. */
  partition_of: number | null;
  /** The functions its triggers call, by name. */
  trigger_functions: string[];
  /** Its extended statistics objects, each a JSON array [schema, name] (their schema may not be the table's). */
  statistics: string[];
}

/**
 * What statements reach without naming the tables: the schemas DROP SCHEMA
 * ... CASCADE empties, the types whose columns DROP TYPE/DOMAIN ... CASCADE
 * or ALTER DOMAIN reach, the tables TRUNCATE ... CASCADE follows foreign keys from.
 */
function reachedBeyondNames(statements: Statement[]): { schemas: Set<string>; types: Set<string>; referencedBy: Set<string>; functions: Set<string> } {
  const reach = { schemas: new Set<string>(), types: new Set<string>(), referencedBy: new Set<string>(), functions: new Set<string>() };
  for (const statement of withDoBlocks(statements)) {
    const node = statement.node;
    const cascade = node.behavior === 'DROP_CASCADE';
    if (statement.kind === 'DropStmt' && cascade && node.removeType === 'OBJECT_SCHEMA') {
      for (const object of (node.objects as unknown[] | undefined) ?? []) {
        const name = nodeOf(object, 'String')?.sval;
        if (typeof name === 'string') reach.schemas.add(name);
      }
    }
    if (statement.kind === 'DropStmt' && cascade && (node.removeType === 'OBJECT_TYPE' || node.removeType === 'OBJECT_DOMAIN')) {
      for (const object of (node.objects as unknown[] | undefined) ?? []) {
        const name = nameParts(nodeOf(object, 'TypeName')?.names).at(-1);
        if (name) reach.types.add(name);
      }
    }
    if (statement.kind === 'DropStmt' && cascade && node.removeType === 'OBJECT_FUNCTION') {
      for (const object of (node.objects as unknown[] | undefined) ?? []) {
        const name = nameParts(nodeOf(object, 'ObjectWithArgs')?.objname).at(-1);
        if (name) reach.functions.add(name);
      }
    }
    if (statement.kind === 'AlterDomainStmt') {
      const name = nameParts(node.typeName).at(-1);
      if (name) reach.types.add(name);
    }
    if (statement.kind === 'ReindexStmt' && node.kind === 'REINDEX_OBJECT_SCHEMA' && typeof node.name === 'string') reach.schemas.add(node.name);
    if (statement.kind === 'TruncateStmt' && cascade) {
      for (const relation of (node.relations as unknown[] | undefined) ?? []) {
        const name = (nodeOf(relation, 'RangeVar') ?? (relation as Node)).relname;
        if (typeof name === 'string') reach.referencedBy.add(name);
      }
    }
  }
  return reach;
}

/** The tables to read for `statements`, `mentioned` being every identifier in them (mentionedNames). */
export async function relationsToRead(db: Database, statements: Statement[], mentioned: Set<string>): Promise<Relation[]> {
  const { rows: relations } = await db.query<Relation>(USER_RELATIONS);
  const reach = reachedBeyondNames(statements);
  // TRUNCATE ... CASCADE follows foreign keys as far as they go.
  const emptied = new Set(reach.referencedBy);
  for (let grew = emptied.size > 0; grew;) {
    grew = false;
    for (const relation of relations) {
      if (emptied.has(relation.name) || !relation.referenced.some((table) => emptied.has(table))) continue;
      emptied.add(relation.name);
      grew = true;
    }
  }
  // A table is read when a statement names it or one of its indexes (DROP INDEX, REINDEX INDEX, USING INDEX), or reaches it otherwise.
  const wanted = relations.filter(
    (relation) =>
      mentioned.has(relation.name) ||
      relation.indexes.some((index) => mentioned.has(index)) ||
      reach.schemas.has(relation.schema) ||
      relation.types.some((type) => reach.types.has(type)) ||
      emptied.has(relation.name) ||
      relation.trigger_functions.some((name) => reach.functions.has(name)) ||
      relation.statistics.some((pair) => mentioned.has((JSON.parse(pair) as [string, string])[1])),
  );
  // The partitioned tables above a partition read: dropping or detaching it locks them.
  const byOidAll = new Map(relations.map((relation) => [relation.oid, relation]));
  for (let index = 0; index < wanted.length; index++) {
    const parent = byOidAll.get(wanted[index]!.partition_of ?? -1);
    if (parent && !wanted.includes(parent)) wanted.push(parent);
  }
  return wanted;
}

/** The statements, with the contents of their DO blocks. */
export function withDoBlocks(statements: Statement[]): Statement[] {
  return statements.flatMap((statement) => (statement.kind === 'DoStmt' ? [statement, ...readDoBlock(statement).statements] : [statement]));
}

/** Every identifier-like string of the statements: the relation names among them are the tables to read. */
export function mentionedNames(statements: Statement[]): Set<string> {
  const names = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') names.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  for (const statement of withDoBlocks(statements)) collect(statement.node);
  return names;
}
