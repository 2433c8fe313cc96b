import type { Database } from './database.js';

export interface SessionInfo {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  state: string | null;
  xactSeconds: number | null;
  query: string;
}

interface RawSession {
  pid: number;
  application_name: string;
  client_addr: string | null;
  state: string | null;
  xact_seconds: number | null;
  query: string;
}

const toSession = (row: RawSession): SessionInfo => ({
  pid: row.pid,
  applicationName: row.application_name,
  clientAddr: row.client_addr,
  state: row.state,
  xactSeconds: row.xact_seconds === null ? null : Number(row.xact_seconds),
  query: row.query,
});

/** Other client sessions on this database (not astra's own, not background workers). */
export async function otherSessions(db: Database): Promise<SessionInfo[]> {
  const { rows } = await db.query<RawSession>(
    `SELECT pid, application_name, client_addr::text AS client_addr, state,
            extract(epoch FROM now() - xact_start)::float8 AS xact_seconds, left(query, 200) AS query
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        -- A role without pg_read_all_stats sees NULL for other roles' backend_type: a session with a user is a client.
        AND (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))
        AND application_name NOT LIKE 'astra %'
      ORDER BY pid`,
  );
  return rows.map(toSession);
}

/** Sessions whose open transaction holds a lock on one of `tables` and began more than `minSeconds` ago. */
export async function transactionsHoldingLocks(db: Database, tables: string[], minSeconds: number): Promise<(SessionInfo & { table: string })[]> {
  if (tables.length === 0) return [];
  const { rows } = await db.query<RawSession & { table_name: string }>(
    `SELECT DISTINCT a.pid, a.application_name, a.client_addr::text AS client_addr, a.state,
            extract(epoch FROM now() - a.xact_start)::float8 AS xact_seconds, left(a.query, 200) AS query,
            l.relation::regclass::text AS table_name
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'relation' AND l.granted AND a.pid <> pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.relation = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL)
        AND a.xact_start < now() - make_interval(secs => $2)
      ORDER BY a.pid`,
    [tables, minSeconds],
  );
  return rows.map((row) => ({ ...toSession(row), table: row.table_name }));
}

/** Sizes in bytes of `tables` (with indexes and TOAST), for those that exist. */
export async function tableSizes(db: Database, tables: string[]): Promise<Map<string, { bytes: number; rows: number }>> {
  if (tables.length === 0) return new Map();
  const { rows } = await db.query<{ name: string; bytes: string; estimate: string }>(
    `SELECT t AS name, pg_total_relation_size(to_regclass(t))::text AS bytes, greatest(c.reltuples, 0)::bigint::text AS estimate
       FROM unnest($1::text[]) AS t JOIN pg_class c ON c.oid = to_regclass(t)`,
    [tables],
  );
  return new Map(rows.map((row) => [row.name, { bytes: Number(row.bytes), rows: Number(row.estimate) }]));
}

/** Those of `tables` (names as SQL writes them, resolved on the session's search path) that exist. */
export async function existingTables(db: Database, tables: string[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const { rows } = await db.query<{ name: string }>(`SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL ORDER BY t`, [tables]);
  return rows.map((row) => row.name);
}

/** The names of the INVALID indexes on tables the session can see (a concurrent build that failed or is still running). */
export async function invalidIndexNames(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE NOT i.indisvalid AND pg_table_is_visible(i.indrelid) ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}
