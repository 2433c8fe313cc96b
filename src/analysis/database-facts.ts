import { parser } from '../sql-parser.js';
import type { Database } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import type { Statement } from '../migrations/parse.js';
import { columnTypeOf, type ColumnType } from './column-types.js';
import { SMALL_TABLE_ROWS } from './rule-kit.js';
import { notNullCheckColumn, type IndexFacts, type TableFacts } from './schema.js';
import { mentionedNames, relationsToRead, withDoBlocks } from './database-relations.js';
import { nameParts, nodeOf, qualifiedName, walk, type Node } from './tree.js';
import type { Volatility } from './volatility.js';

/** What lint learns from a database before it analyses (see readDatabaseFacts). */
export interface DatabaseFacts {
  serverMajor: number;
  /** Tables of the user's schemas, by qualified name, with their estimated rows. */
  tables: Map<string, TableFacts>;
  indexes: Map<string, IndexFacts>;
  /** Function name → volatility (the most volatile overload), for the functions the migrations call. */
  volatility: Map<string, Volatility>;
  /** Materialized view → the relations its query reads, for the materialized views the statements name. */
  viewReads?: Map<string, string[]>;
  /** Extended statistics object → its table, for the tables read. */
  statistics?: Map<string, string>;
  /** TimeZone of a new session (the runner's), as the server, database and role defaults set it. */
  timeZone?: string;
}

/**
 * Reads, for the tables the statements mention (by their name or an index's): columns with their types and
 * NOT NULL, validated CHECK (col IS NOT NULL) constraints, indexes, and
 * estimated rows (pg_class.reltuples; for a table never analysed, a count
 * that stops past SMALL_TABLE_ROWS, so it stays cheap on a large table). Also
 * the volatility of every function the statements call, and the server version.
 */
export async function readDatabaseFacts(db: Database, statements: Statement[]): Promise<DatabaseFacts> {
  const mentioned = mentionedNames(statements);
  const serverMajor = Math.floor((await db.serverVersionNum()) / 10000);
  const wanted = await relationsToRead(db, statements, mentioned);
  const byOid = new Map(wanted.map((relation) => [relation.oid, qualifiedName([relation.schema, relation.name])]));
  const tables = new Map<string, TableFacts>();
  for (const relation of wanted) {
    // -1 (never analysed, PostgreSQL 14+) or 0 (perhaps never analysed, before 14): count, stopping early.
    const rows = relation.estimate > 0 ? Math.round(relation.estimate) : await boundedCount(db, relation.schema, relation.name);
    tables.set(qualifiedName([relation.schema, relation.name]), {
      columns: new Map(),
      checkedNotNull: new Map(),
      rows,
      tablespace: relation.tablespace,
      ...(relation.trigger_functions.length > 0 ? { triggerFunctions: new Set(relation.trigger_functions) } : {}),
      ...(relation.kind === 'p' ? { partitions: [] } : {}),
    });
  }
  const oids = [...byOid.keys()];
  await readPartitions(
    db,
    wanted.filter((relation) => relation.kind === 'p').map((relation) => relation.oid),
    byOid,
    tables,
  );
  await readColumns(db, oids, byOid, tables);
  await readNotNullChecks(db, oids, byOid, tables);
  await readForeignKeys(db, oids, byOid, tables);
  const { rows: zone } = await db.query<{ zone: string }>("SELECT current_setting('TimeZone') AS zone");
  return {
    serverMajor,
    tables,
    indexes: await readIndexes(db, oids, byOid),
    volatility: await readVolatility(db, calledFunctions(statements)),
    viewReads: await readViewReads(db, mentioned),
    statistics: new Map(
      wanted.flatMap((relation) =>
        relation.statistics.map((pair) => [qualifiedName(JSON.parse(pair) as [string, string]), qualifiedName([relation.schema, relation.name])] as const),
      ),
    ),
    ...(zone[0] ? { timeZone: zone[0].zone } : {}),
  };
}

async function readViewReads(db: Database, mentioned: Set<string>): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ view: string; view_schema: string; name: string; schema: string }>(
    `SELECT DISTINCT v.relname::text AS view, vn.nspname::text AS view_schema, r.relname::text AS name, rn.nspname::text AS schema
       FROM pg_class v JOIN pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_rewrite w ON w.ev_class = v.oid
       JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
       JOIN pg_class r ON r.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE v.relkind = 'm' AND v.relname = ANY($1::text[])`,
    [[...mentioned]],
  );
  const reads = new Map<string, string[]>();
  for (const row of rows) {
    const view = qualifiedName([row.view_schema, row.view]);
    reads.set(view, [...(reads.get(view) ?? []), qualifiedName([row.schema, row.name])]);
  }
  return reads;
}

async function readForeignKeys(db: Database, oids: number[], byOid: Map<number, string>, tables: Map<string, TableFacts>): Promise<void> {
  const { rows } = await db.query<{ relid: number; name: string; schema: string; table: string }>(
    `SELECT f.conrelid AS relid, f.conname::text AS name, n.nspname::text AS schema, r.relname::text AS table
       FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE f.conrelid = ANY($1::oid[]) AND f.contype = 'f'`,
    [oids],
  );
  for (const row of rows) {
    const facts = tables.get(byOid.get(row.relid) ?? '');
    if (facts) (facts.foreignKeys ??= new Map()).set(row.name, qualifiedName([row.schema, row.table]));
  }
}

async function boundedCount(db: Database, schema: string, name: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM ${quoteIdent(schema)}.${quoteIdent(name)} LIMIT ${SMALL_TABLE_ROWS + 1}) AS sample`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * The partitions of the partitioned tables among `oids`, as the runner finds
 * them when it builds an index on one, and below a partition that is itself
 * partitioned, its own.
 */
async function readPartitions(db: Database, oids: number[], byOid: Map<number, string>, tables: Map<string, TableFacts>): Promise<void> {
  for (let parents = oids; parents.length > 0;) {
    const { rows } = await db.query<{ parent: number; child: number; schema: string; name: string; kind: string; fallback: boolean }>(
      `SELECT i.inhparent AS parent, c.oid AS child, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
              pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS fallback
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = ANY($1::oid[]) ORDER BY c.relname`,
      [parents],
    );
    const next: number[] = [];
    for (const row of rows) {
      const name = qualifiedName([row.schema, row.name]);
      const parent = tables.get(byOid.get(row.parent)!);
      parent?.partitions?.push(name);
      if (parent && row.fallback) parent.defaultPartition = name;
      if (row.kind === 'f' && !tables.has(name)) tables.set(name, { columns: new Map(), checkedNotNull: new Map(), foreign: true });
      if (row.kind !== 'p' || byOid.has(row.child)) continue;
      byOid.set(row.child, name);
      if (!tables.has(name)) tables.set(name, { columns: new Map(), checkedNotNull: new Map(), partitions: [] });
      next.push(row.child);
    }
    parents = next;
  }
}

async function readColumns(db: Database, oids: number[], byOid: Map<number, string>, tables: Map<string, TableFacts>): Promise<void> {
  const { rows } = await db.query<{ relid: number; name: string; type: string; notnull: boolean }>(
    `SELECT attrelid AS relid, attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS notnull
       FROM pg_attribute WHERE attrelid = ANY($1::oid[]) AND attnum > 0 AND NOT attisdropped`,
    [oids],
  );
  const types = new Map<string, ColumnType | undefined>();
  for (const row of rows) {
    if (!types.has(row.type)) types.set(row.type, parsedType(row.type));
    const type = types.get(row.type);
    tables.get(byOid.get(row.relid) ?? '')?.columns.set(row.name, { ...(type ? { type } : {}), notNull: row.notnull });
  }
}

/** A type as format_type prints it (`character varying(20)`) → ColumnType, through the parser. */
function parsedType(formatted: string): ColumnType | undefined {
  try {
    const select = nodeOf(parser().parseSync(`SELECT NULL::${formatted}`).stmts?.[0]?.stmt, 'SelectStmt');
    const target = nodeOf((select?.targetList as unknown[] | undefined)?.[0], 'ResTarget');
    return columnTypeOf(nodeOf(target?.val, 'TypeCast')?.typeName as Node | undefined);
  } catch {
    return undefined;
  }
}

async function readNotNullChecks(db: Database, oids: number[], byOid: Map<number, string>, tables: Map<string, TableFacts>): Promise<void> {
  const { rows } = await db.query<{ relid: number; name: string; expression: string; validated: boolean }>(
    `SELECT conrelid AS relid, conname AS name, pg_get_expr(conbin, conrelid) AS expression, convalidated AS validated
       FROM pg_constraint WHERE contype = 'c' AND conrelid = ANY($1::oid[])`,
    [oids],
  );
  for (const row of rows) {
    let column: string | undefined;
    try {
      const select = nodeOf(parser().parseSync(`SELECT ${row.expression}`).stmts?.[0]?.stmt, 'SelectStmt');
      column = notNullCheckColumn(nodeOf((select?.targetList as unknown[] | undefined)?.[0], 'ResTarget')?.val);
    } catch {
      column = undefined;
    }
    if (column) tables.get(byOid.get(row.relid) ?? '')?.checkedNotNull.set(row.name, { column, validated: row.validated });
  }
}

async function readIndexes(db: Database, oids: number[], byOid: Map<number, string>): Promise<Map<string, IndexFacts>> {
  const { rows } = await db.query<{ schema: string; name: string; relid: number; columns: string[] | null }>(
    `SELECT n.nspname AS schema, c.relname AS name, i.indrelid AS relid,
            array(SELECT a.attname::text FROM unnest(i.indkey) AS k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS columns
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indrelid = ANY($1::oid[])`,
    [oids],
  );
  const indexes = new Map<string, IndexFacts>();
  for (const row of rows) {
    const table = byOid.get(row.relid);
    if (table) indexes.set(qualifiedName([row.schema, row.name]), { table, columns: row.columns ?? [] });
  }
  return indexes;
}

async function readVolatility(db: Database, names: string[]): Promise<Map<string, Volatility>> {
  if (names.length === 0) return new Map();
  const { rows } = await db.query<{ name: string; volatility: string }>(
    'SELECT proname AS name, max(provolatile::text) AS volatility FROM pg_proc WHERE proname = ANY($1::text[]) GROUP BY proname',
    [names],
  );
  return new Map(rows.map((row) => [row.name, row.volatility === 'v' ? 'volatile' : 'not volatile']));
}

function calledFunctions(statements: Statement[]): string[] {
  const names = new Set<string>();
  for (const statement of withDoBlocks(statements)) {
    walk(statement.node, (kind, node) => {
      if (kind === 'FuncCall') {
        const name = nameParts(node.funcname).at(-1);
        if (name) names.add(name.toLowerCase());
      }
    });
  }
  return [...names];
}
