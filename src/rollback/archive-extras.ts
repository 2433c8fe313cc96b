import type { Database } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import type { TocEntry } from '../pgtools/toc.js';

/** An object of the live database, of a kind an in-place restore must drop when the archive does not hold it. */
export interface LiveObject {
  kind: 'TABLE' | 'VIEW' | 'MATERIALIZED VIEW' | 'SEQUENCE' | 'FOREIGN TABLE' | 'TYPE' | 'DOMAIN' | 'SCHEMA';
  schema: string | null;
  name: string;
}

const key = (kind: string, schema: string | null, name: string) => `${kind}\u0000${schema ?? ''}\u0000${name}`;

/** The live objects the archive does not hold: created after the backup, they would survive an in-place restore. */
export function objectsNotInArchive(live: readonly LiveObject[], toc: readonly TocEntry[]): LiveObject[] {
  const archived = new Set(toc.map((entry) => key(entry.kind, entry.schema, entry.name)));
  return live.filter((object) => !archived.has(key(object.kind, object.schema, object.name)));
}

/** DROP … IF EXISTS … CASCADE for each object, schemas last; "SELECT 1" when there is nothing to drop. */
export function dropStatements(objects: readonly LiveObject[]): string {
  const ordered = [...objects.filter((object) => object.kind !== 'SCHEMA'), ...objects.filter((object) => object.kind === 'SCHEMA')];
  const statements = ordered.map((object) => {
    const name = object.schema === null ? quoteIdent(object.name) : `${quoteIdent(object.schema)}.${quoteIdent(object.name)}`;
    return `DROP ${object.kind} IF EXISTS ${name} CASCADE;`;
  });
  return statements.length > 0 ? statements.join('\n') : 'SELECT 1;';
}

const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
const NOT_EXTENSION_MEMBER = (catalog: string, column: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${column} AND d.deptype = 'e')`;

/** The relations, types and schemas of the live database that are its own (not the system's, not an extension's). */
export async function liveObjects(db: Database): Promise<LiveObject[]> {
  const relations = await db.query<{ kind: LiveObject['kind']; schema: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'TABLE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                           WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' END AS kind,
            n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_SCHEMA} AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`,
  );
  const types = await db.query<{ kind: LiveObject['kind']; schema: string; name: string }>(
    `SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END AS kind, n.nspname AS schema, t.typname AS name
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typtype IN ('e', 'r', 'd', 'c') AND ${USER_SCHEMA} AND ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
        AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')`,
  );
  const schemas = await db.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_namespace n
      WHERE ${USER_SCHEMA} AND n.nspname <> 'public' AND ${NOT_EXTENSION_MEMBER('pg_namespace', 'n.oid')}`,
  );
  return [...relations.rows, ...types.rows, ...schemas.rows.map((row) => ({ kind: 'SCHEMA' as const, schema: null, name: row.name }))];
}
