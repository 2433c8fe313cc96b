import { parser } from '../sql-parser.js';
import type { Database } from '../db/database.js';
import { quoteIdent } from '../db/quote.js';
import type { Statement } from '../migrations/parse.js';
import { columnTypeOf, type ColumnType } from './column-types.js';
import { readDoBlock } from './embedded.js';
import { SMALL_TABLE_ROWS } from './rule-kit.js';
import { notNullCheckColumn, type IndexFacts, type TableFacts } from './schema.js';
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
}

const USER_RELATIONS = `
  SELECT c.oid, n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS estimate, c.relkind::text AS kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`;

/**
 * Reads, for the tables the statements mention: columns with their types and
 * NOT NULL, validated CHECK (col IS NOT NULL) constraints, indexes, and
 * estimated rows (pg_class.reltuples; for a table never analysed, a count
 * that stops past SMALL_TABLE_ROWS, so it stays cheap on a large table). Also
 * the volatility of every function the statements call, and the server version.
 */
export async function readDatabaseFacts(db: Database, statements: Statement[]): Promise<DatabaseFacts> {
  const mentioned = mentionedNames(statements);
  const serverMajor = Math.floor((await db.serverVersionNum()) / 10000);
  const { rows: relations } = await db.query<{ oid: number; schema: string; name: string; estimate: number; kind: string }>(USER_RELATIONS);
  const wanted = relations.filter((relation) => mentioned.has(relation.name));
  const byOid = new Map(wanted.map((relation) => [relation.oid, qualifiedName([relation.schema, relation.name])]));
  const tables = new Map<string, TableFacts>();
  for (const relation of wanted) {
    // -1 (never analysed, PostgreSQL 14+) or 0 (perhaps never analysed, before 14): count, stopping early.
    const rows = relation.estimate > 0 ? Math.round(relation.estimate) : await boundedCount(db, relation.schema, relation.name);
    tables.set(qualifiedName([relation.schema, relation.name]), {
      columns: new Map(),
      checkedNotNull: new Map(),
      rows,
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
  return { serverMajor, tables, indexes: await readIndexes(db, oids, byOid), volatility: await readVolatility(db, calledFunctions(statements)) };
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
    const { rows } = await db.query<{ parent: number; child: number; schema: string; name: string; kind: string }>(
      `SELECT i.inhparent AS parent, c.oid AS child, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = ANY($1::oid[]) ORDER BY c.relname`,
      [parents],
    );
    const next: number[] = [];
    for (const row of rows) {
      const name = qualifiedName([row.schema, row.name]);
      tables.get(byOid.get(row.parent)!)?.partitions?.push(name);
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
            array(SELECT a.attname FROM unnest(i.indkey) AS k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS columns
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

/** The statements, with the contents of their DO blocks. */
function withDoBlocks(statements: Statement[]): Statement[] {
  return statements.flatMap((statement) => (statement.kind === 'DoStmt' ? [statement, ...readDoBlock(statement).statements] : [statement]));
}

/** Every identifier-like string of the statements: the relation names among them are the tables to read. */
function mentionedNames(statements: Statement[]): Set<string> {
  const names = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') names.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  for (const statement of withDoBlocks(statements)) collect(statement.node);
  return names;
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
