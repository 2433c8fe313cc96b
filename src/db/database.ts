import type { Socket } from 'node:net';
import pg from 'pg';
import { AstraError, operationError } from '../errors.js';
import { astraVersion } from '../version.js';
import { serverAddress, type ConnectionTarget } from './target.js';
import { reopenAfterInterruptedSwap } from './interrupted-swap.js';
import { quoteIdent } from './quote.js';

/** A PostgreSQL error as `pg` raises it, with the fields astra reads. */
export interface PgError extends Error {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

export function isPgError(error: unknown): error is PgError {
  return error instanceof Error && typeof (error as PgError).code === 'string';
}

/** SQLSTATE of a lock_timeout expiry. */
export const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Connections this process closed without waiting for the server (see
 * Database.close): until their server process has ended, it still shows in
 * pg_stat_activity and counts as a session on its database.
 */
const closing = new Set<Promise<void>>();

/** How long a new connection waits for this process's closing ones to end (their servers usually take about 10 ms). */
const CLOSING_WAIT_MS = 2_000;

/** Resolves once every connection this process is closing has ended, or after CLOSING_WAIT_MS. */
export async function closingConnectionsEnded(): Promise<void> {
  if (closing.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closing), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSING_WAIT_MS)))]);
  clearTimeout(timer);
}

export interface ConnectOptions {
  /** Bounds the attempt; 15 s when not given. */
  timeoutMs?: number;
  /** Told when a database left refusing connections by an interrupted swap was opened again. */
  onReopened?: (sentence: string) => void;
  /** false: such a database is left as it is, and the attempt fails (see Database.connect). */
  reopen?: boolean;
  signal?: AbortSignal;
}

/** SQLSTATE of the server's refusal of a database that does not allow connections (ALLOW_CONNECTIONS false), among others. */
const OBJECT_NOT_IN_PREREQUISITE_STATE = '55000';

/**
 * The database refuses connections: what a rollback killed during its swap
 * leaves (see interrupted-swap.ts, which looks at the database itself before
 * it changes anything). By SQLSTATE: the message is in the server's language.
 */
export function refusedForSwap(error: unknown): boolean {
  return error instanceof AstraError && isPgError(error.cause) && error.cause.code === OBJECT_NOT_IN_PREREQUISITE_STATE;
}

/**
 * One connection to the target database. This module and its siblings in db/
 * are the only users of `pg`.
 */
export class Database {
  readonly target: ConnectionTarget;
  private readonly client: pg.Client;

  private constructor(target: ConnectionTarget, client: pg.Client) {
    this.target = target;
    this.client = client;
  }

  /**
   * Opens a connection; `timeoutMs` bounds the attempt (default 15 s). A
   * database left refusing connections by a rollback that was killed during
   * its swap is opened again, and `onReopened` told (see interrupted-swap.ts),
   * unless `reopen` is false: an attempt made ahead of need, before the work
   * that may yet forbid a change, leaves it; its caller connects again once
   * it may, when the error is one of `refusedForSwap`. `signal` abandons the
   * attempt: the socket is dropped at once, even while the server has not
   * answered, and the promise rejects with the signal's reason.
   *
   * It first waits for the connections this process closed without waiting
   * (close({ waitForServer: false })) to end: whatever it then reads of the
   * server's sessions, or does that needs a database to itself (a rename),
   * does not meet astra's own leaving ones.
   */
  static async connect(target: ConnectionTarget, options: ConnectOptions = {}): Promise<Database> {
    const { timeoutMs = 15_000, signal } = options;
    // Not awaited when there is nothing to wait for: the attempt starts before the caller's next synchronous work.
    if (closing.size > 0) await closingConnectionsEnded();
    try {
      return await Database.open(target, timeoutMs, signal);
    } catch (error) {
      if (options.reopen === false || signal?.aborted || !refusedForSwap(error)) throw error;
      const reopened = await reopenAfterInterruptedSwap(target);
      if (reopened === undefined) throw error;
      options.onReopened?.(reopened);
      return Database.open(target, timeoutMs, signal);
    }
  }

  private static async open(target: ConnectionTarget, timeoutMs: number, signal?: AbortSignal): Promise<Database> {
    const client = new pg.Client({
      ...target.config,
      ...(target.placement ? { options: startupOptions(target) } : {}),
      application_name: `astra ${astraVersion}`,
      connectionTimeoutMillis: timeoutMs,
      keepAlive: true,
    });
    // A connection dropped by the server must not crash the process: the
    // query that was running rejects, and that is where it is reported.
    client.on('error', () => {});
    signal?.throwIfAborted();
    const abandon = () => socketOf(client).destroy();
    signal?.addEventListener('abort', abandon, { once: true });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw signal?.aborted ? signal.reason : connectionError(target, error);
    } finally {
      signal?.removeEventListener('abort', abandon);
    }
    return new Database(target, client);
  }

  /** Calls `listener` with the text of each notice or warning the server sends this session (ANALYZE's "skipping …", say). */
  onNotice(listener: (message: string) => void): void {
    this.client.on('notice', (notice: { message?: string }) => listener(String(notice.message ?? '')));
  }

  /** This session's server process id. */
  async backendPid(): Promise<number> {
    const { rows } = await this.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return Number(rows[0]?.pid);
  }

  async query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    return this.client.query<Row>(sql, params);
  }

  /**
   * Runs `statements` in order and stops at the first that fails: in one
   * round trip (one simple-query message) when `oneMessage`, else one message
   * each. Between small migrations, round trips are most of astra's own time.
   * In one message, statements outside a BEGIN ... COMMIT of the list share an
   * implicit transaction, and the server reads the whole text before running
   * any of it (a SET standard_conforming_strings in it does not change how
   * the rest is read). Resolves with each statement's result; rejects with a
   * ScriptError that says which statement failed, and whether the server said
   * so or the connection was lost (then what was sent may or may not have run).
   */
  async script(statements: readonly string[], oneMessage = true): Promise<pg.QueryResult[]> {
    if (!oneMessage) {
      const results: pg.QueryResult[] = [];
      for (const [index, statement] of statements.entries()) {
        try {
          results.push(...(await this.script([statement])));
        } catch (error) {
          throw error instanceof ScriptError ? new ScriptError(index, error.cause, error.fromServer) : error;
        }
      }
      return results;
    }
    // A statement may end in a -- comment: the separator goes on a line of its own.
    const text = statements.join('\n;\n');
    const query = new CountingQuery(text);
    try {
      const results = await new Promise<pg.QueryResult | pg.QueryResult[]>((resolve, reject) => {
        query.callback = (error: Error | null, result: pg.QueryResult | pg.QueryResult[]) => (error ? reject(error) : resolve(result));
        this.client.query(query);
      });
      return Array.isArray(results) ? results : [results];
    } catch (error) {
      throw scriptError(statements, query.completed, error);
    }
  }

  /** Runs `work` in a transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const result = await work();
      await this.client.query('COMMIT');
      return result;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  /** The server's version number, e.g. 150018. */
  async serverVersionNum(): Promise<number> {
    const { rows } = await this.client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Number(rows[0]?.v);
  }

  /**
   * Ends the session: sends the server its goodbye (Terminate) and ends this
   * side of the socket. By default resolves once the server has closed its
   * side, which it does as its server process exits, about 10 ms later.
   *
   * `waitForServer: false` resolves at once, and the socket no longer keeps
   * the process alive (what is left to send still goes): for the last use of
   * a connection before the process ends, as psql and other clients close.
   * Connections opened later by this process wait for it to end (connect).
   */
  async close(options: { waitForServer?: boolean } = {}): Promise<void> {
    const ended = this.client.end().catch(() => {});
    if (options.waitForServer !== false) return ended;
    socketOf(this.client).unref();
    closing.add(ended);
    void ended.then(() => closing.delete(ended));
  }
}

/** The socket under a pg client (pg does not type it). */
function socketOf(client: pg.Client): Socket {
  return (client as unknown as { connection: { stream: Socket } }).connection.stream;
}

/**
 * A failure in Database.script: `index` is the statement that failed, `cause`
 * the error. `fromServer`: the server reported it, and every statement before
 * `index` ran; otherwise the connection was lost, and `index` is only the
 * first statement whose end was not seen (later ones may have run too).
 */
export class ScriptError extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
    readonly fromServer: boolean,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** pg's query, counting the statements of a simple-query message whose end (CommandComplete) has been received. */
class CountingQuery extends pg.Query {
  completed = 0;
  /** Called once, with the error or the results (pg's Query calls it). */
  callback: ((error: Error | null, result: pg.QueryResult | pg.QueryResult[]) => void) | undefined;

  constructor(text: string) {
    super({ text });
  }

  handleCommandComplete(...args: unknown[]): void {
    this.completed++;
    (pg.Query.prototype as unknown as { handleCommandComplete(...a: unknown[]): void }).handleCommandComplete.apply(this, args);
  }

  handleEmptyQuery(...args: unknown[]): void {
    this.completed++;
    (pg.Query.prototype as unknown as { handleEmptyQuery(...a: unknown[]): void }).handleEmptyQuery.apply(this, args);
  }
}

/**
 * Which statement of a script failed. The server sends an error after the
 * ends of the statements before it, so their count says which one, except
 * for an error found reading the whole text before any statement ran: its
 * position then points into the statement. The position is made relative to
 * that statement, as if it had been sent alone. A lost connection gives the
 * first statement whose end was not received.
 */
function scriptError(statements: readonly string[], completed: number, error: unknown): ScriptError {
  const fromServer = typeof (error as { severity?: unknown }).severity === 'string';
  if (!fromServer) return new ScriptError(Math.min(completed, statements.length - 1), error, false);
  const position = isPgError(error) && error.position ? Number(error.position) : undefined;
  if (completed === 0 && position !== undefined && Number.isInteger(position)) {
    // The server counts characters (code points) from 1; the separator is three.
    let start = 1;
    for (const [index, statement] of statements.entries()) {
      const length = [...statement].length;
      if (position < start + length + 3 || index === statements.length - 1) {
        (error as PgError).position = String(Math.max(1, position - start + 1));
        return new ScriptError(index, error, true);
      }
      start += length + 3;
    }
  }
  if (position !== undefined && completed < statements.length) {
    // The position was counted in the whole text: make it the failing statement's own.
    const before = statements.slice(0, completed).reduce((sum, statement) => sum + [...statement].length + 3, 0);
    if (Number(position) > before) (error as PgError).position = String(Number(position) - before);
  }
  return new ScriptError(Math.min(completed, statements.length - 1), error, true);
}

/**
 * The search path of a project's database, given when the session starts: it
 * is then the session's own default, which RESET and a migration's
 * `SET search_path` come back to, and a role's setting does not apply.
 */
function startupOptions(target: ConnectionTarget): string {
  const { schema } = target.placement!;
  const searchPath = `-c search_path=${schema === 'public' ? 'public' : `${schema},public`}`;
  return target.config.options ? `${target.config.options} ${searchPath}` : searchPath;
}

/** Turns a failed connection attempt into one sentence that names the cause. */
export function connectionError(target: ConnectionTarget, error: unknown): AstraError {
  const where = serverAddress(target.config);
  const code = (error as { code?: string }).code;
  const user = target.config.user ?? '';
  const database = target.config.database ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return operationError(
        `Could not connect to PostgreSQL at ${where}: the connection was refused.`,
        'Check that the server is running and listening on that host and port.',
        error,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return operationError(
        `Could not connect to PostgreSQL: the host "${target.config.host}" is unknown.`,
        'Check the host name in the database URL or PGHOST.',
        error,
      );
    case 'ETIMEDOUT':
      return operationError(
        `Could not connect to PostgreSQL at ${where}: the connection timed out.`,
        'Check the host, the port and any firewall between here and the server.',
        error,
      );
    case '28P01':
      return operationError(
        `PostgreSQL at ${where} rejected the password for user "${user}".`,
        'Check the password in the database URL, PGPASSWORD or your .pgpass file.',
        error,
      );
    case '28000':
      return operationError(
        `PostgreSQL at ${where} does not let user "${user}" connect to database "${database}".`,
        'Check pg_hba.conf on the server and the user name.',
        error,
      );
    case OBJECT_NOT_IN_PREREQUISITE_STATE:
      return operationError(
        `PostgreSQL at ${where} refuses new connections to the database "${database}": ${error instanceof Error ? error.message : String(error)}.`,
        `If an astra rollback was stopped during its swap, astra status, migrate or rollback opens it again and says so; else, as its owner, run ALTER DATABASE ${quoteIdent(String(database))} ALLOW_CONNECTIONS true;`,
        error,
      );
    case '3D000':
      return operationError(`The database "${database}" does not exist on ${where}.`, 'Create it, or check the database name in the URL.', error);
    default: {
      const message = error instanceof Error ? error.message : String(error);
      // pg's words when the server asks for a password (SCRAM) and none was given.
      if (/SASL: .*client password must be a string/.test(message)) {
        return operationError(
          `PostgreSQL at ${where} asks user "${user}" for a password, and none was given.`,
          'Give it in PGPASSWORD, in the database URL (postgresql://user:password@host/db, from the environment), or in a .pgpass file.',
          error,
        );
      }
      // Node's TLS codes for a certificate it cannot trust, or one for another host.
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(String(code))) {
        return operationError(
          `Could not connect to PostgreSQL at ${where}: the server's certificate was refused (${message}). astra checks the certificate and the host name for sslmode prefer, require, verify-ca and verify-full alike.`,
          'Give the certificate authority with sslrootcert=/path/to/root.crt in the URL, or sslmode=no-verify to encrypt without checking the certificate.',
          error,
        );
      }
      if (/timeout/i.test(message)) {
        return operationError(
          `Could not connect to PostgreSQL at ${where}: the connection timed out.`,
          'Check the host, the port and any firewall between here and the server.',
          error,
        );
      }
      return operationError(`Could not connect to PostgreSQL at ${where}: ${message}.`, 'Check the database URL and that the server is running.', error);
    }
  }
}

/** Cancels the statement the server process `pid` runs, over a connection of its own to `db`'s database; never throws. */
export async function cancelQuery(db: Database, pid: number): Promise<void> {
  try {
    const side = await Database.connect(db.target);
    try {
      await side.query('SELECT pg_cancel_backend($1::int)', [pid]);
    } finally {
      await side.close();
    }
  } catch {
    // The statement then ends on its own.
  }
}
