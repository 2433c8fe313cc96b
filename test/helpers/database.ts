import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { waitUntil } from './wait.js';

export interface TestDatabase {
  name: string;
  /** postgresql:// URL with the password: pass it through the environment, as operators do. */
  url: string;
  config: pg.ClientConfig;
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** A separate session, for holding locks and transactions against the CLI. */
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

export function serverConfig(database = 'postgres'): pg.ClientConfig {
  const server = inject('postgres');
  return { host: server.host, port: server.port, user: server.user, password: server.password, database };
}

/** Runs `work` on a session of the test server's superuser, closed afterwards. */
export async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(serverConfig(), work);
}

/** Runs `work` on a session opened with `config` (any server, a test's own included), closed afterwards. */
export async function withClient<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the test server, for one test. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const config = serverConfig(name);
  const server = inject('postgres');
  const url = `postgresql://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${name}`;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const client = new pg.Client(config);
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    return client;
  };
  return {
    name,
    url,
    config,
    connect,
    async query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      const client = new pg.Client(config);
      await client.connect();
      try {
        return (await client.query<Row>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Names of the ordinary tables in the public schema, sorted. */
export async function tableNames(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ relname: string }>(
    "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY relname",
  );
  return rows.map((row) => row.relname);
}

/** Applied versions in astra's ledger; empty when the ledger does not exist. */
export async function ledgerVersions(db: TestDatabase): Promise<number[]> {
  const exists = await db.query<{ found: string | null }>("SELECT to_regclass('astra_migrations')::text AS found");
  if (!exists[0]?.found) return [];
  const rows = await db.query<{ version: string }>('SELECT version FROM astra_migrations WHERE NOT dirty ORDER BY version');
  return rows.map((row) => Number(row.version));
}

/**
 * Resolves once a session whose application_name ends with `suffix` is
 * running a statement in the database `database` or one named after it (a
 * rollback's `<db>__restore_…`), seen by the superuser: such as the
 * `astra <version> pg_restore` of a rollback. Rejects when `ended` settles
 * first, or after a minute.
 */
export async function sessionRunning(database: string, suffix: string, ended: Promise<unknown>): Promise<void> {
  const client = new pg.Client(serverConfig());
  await client.connect();
  try {
    await waitUntil(
      `a session '${suffix}' runs a statement in ${database}`,
      async () => {
        const { rows } = await client.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE '%' || $1 AND state = 'active' AND starts_with(datname, $2)",
          [suffix, database],
        );
        return rows.length > 0;
      },
      { ended, intervalMs: 10 },
    );
  } finally {
    await client.end();
  }
}

/** Resolves once the session `pid` waits for a lock (of `lockType` when given: virtualxid, relation…), as `observer` sees it. */
export async function sessionWaitingForLock(observer: pg.Client | TestDatabase, pid: number, lockType?: string): Promise<void> {
  const sql = "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock' AND ($2::text IS NULL OR wait_event = $2)";
  const params = [pid, lockType ?? null];
  await waitUntil(`session ${pid} waits for a ${lockType === undefined ? '' : `${lockType} `}lock`, async () => {
    const rows = observer instanceof pg.Client ? (await observer.query(sql, params)).rows : await observer.query(sql, params);
    return rows.length > 0;
  });
}
