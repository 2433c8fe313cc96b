import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { AstraError, EXIT_FAILED, errorMessage, inputError } from '../errors.js';

/**
 * A ClickHouse database reached over its HTTP interface with the official
 * client: `http(s)://user:password@host:port/database`. The SQL astra itself
 * sends is the SQL ClickHouse 18.16 understands (no query parameters, no
 * `now64`, no lightweight deletes), so it works there and on current servers.
 */
export class Clickhouse {
  private constructor(
    private readonly client: ClickHouseClient,
    /** `host:port/database`, for messages: never the user's password. */
    readonly label: string,
    readonly database: string,
  ) {}

  /** Connects and checks the server answers; a clear error when it does not. */
  static async connect(url: string, timeoutMs = 15_000): Promise<Clickhouse> {
    const { parsed, database, label, port } = parseClickhouseUrl(url);
    let username: string;
    let password: string;
    try {
      username = decodeURIComponent(parsed.username) || 'default';
      password = decodeURIComponent(parsed.password);
    } catch {
      throw inputError(
        `The ClickHouse URL of ${label} has a user or password that is not URL-encoded properly (a stray %).`,
        'Encode it: %25 for %, %40 for @.',
      );
    }
    const client = createClient({
      // The port ClickHouse listens on for HTTP when the URL names none (not the scheme's 80 or 443).
      url: `${parsed.protocol}//${parsed.hostname.includes(':') ? `[${parsed.hostname}]` : parsed.hostname}:${port}`,
      username,
      password,
      database,
      application: 'astra',
      // A long statement (a backfill INSERT … SELECT) is not cut off by the client: that would leave it running on the server, recorded as failed.
      request_timeout: 6 * 60 * 60_000,
      log: { level: ClickHouseLogLevel.OFF },
    });
    const clickhouse = new Clickhouse(client, label, database);
    try {
      const ping = await Promise.race([
        client.ping(),
        new Promise<{ success: false; error: Error }>((resolve) =>
          setTimeout(() => resolve({ success: false, error: new Error(`no answer within ${timeoutMs / 1000}s`) }), timeoutMs).unref(),
        ),
      ]);
      if (!ping.success) throw ping.error;
      // The database itself must exist: a query in it says so.
      await clickhouse.rows('SELECT 1 AS one');
    } catch (error) {
      await client.close().catch(() => {});
      throw new AstraError(`Could not connect to ClickHouse at ${label}: ${clickhouseMessage(error)}.`, {
        fix: 'Check the URL (http://host:8123/database), that the server is running, and the user and password.',
        exitCode: EXIT_FAILED,
        cause: error,
      });
    }
    return clickhouse;
  }

  /** Runs a statement that returns no rows (DDL, INSERT … SELECT). */
  async command(sql: string): Promise<void> {
    await this.client.command({ query: sql });
  }

  /** Runs a query and returns its rows as objects (64-bit integers come back as strings). */
  async rows<Row extends object = Record<string, unknown>>(sql: string): Promise<Row[]> {
    const result = await this.client.query({ query: sql, format: 'JSONEachRow' });
    return result.json<Row>();
  }

  async insert(table: string, values: object[]): Promise<void> {
    await this.client.insert({ table, values, format: 'JSONEachRow' });
  }

  async serverVersion(): Promise<string> {
    const [row] = await this.rows<{ version: string }>('SELECT version() AS version');
    return row?.version ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => {});
  }
}

/**
 * The parts of a ClickHouse URL astra uses, and its label (`host:port/database`,
 * never the user or password). Input errors for what is not a ClickHouse URL.
 */
export function parseClickhouseUrl(url: string): { parsed: URL; database: string; label: string; port: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw inputError('The ClickHouse URL is not a URL: write it as http://user:${PASSWORD}@host:8123/database.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw inputError(`A ClickHouse URL starts with http:// or https:// (its HTTP interface), not ${parsed.protocol}//.`, 'Use the HTTP port, 8123 by default.');
  }
  const port = parsed.port || (parsed.protocol === 'https:' ? '8443' : '8123');
  const path = parsed.pathname.replace(/^\/+|\/+$/g, '');
  const database = path === '' ? 'default' : path;
  const label = `${parsed.hostname}:${port}/${database}`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw inputError(
      `The ClickHouse database "${database}" of the URL is not a plain name (letters, digits, _).`,
      'Name the database in the URL path: http://host:8123/analytics.',
    );
  }
  return { parsed, database, label, port };
}

/** The label of a URL for a message, or a placeholder when it cannot be read: never the URL itself, which may hold a password. */
export function clickhouseLabel(url: string): string {
  try {
    return parseClickhouseUrl(url).label;
  } catch {
    return 'the ClickHouse URL given';
  }
}

/** The first line of the server's message, without the client's wrapping. */
export function clickhouseMessage(error: unknown): string {
  const text = errorMessage(error)
    .replace(/^Code: \d+, e\.displayText\(\) = DB::Exception: /, '')
    .replace(/, e\.what\(\) = DB::Exception\s*$/, '')
    .replace(/\s*\(version [^)]*\)\s*$/, '');
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running, and is this its HTTP port?)';
  return text.split('\n')[0]!.trim().replace(/\.+$/, '');
}

/** Quotes a ClickHouse string literal. */
export function clickhouseString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Quotes a ClickHouse identifier. */
export function quoteClickhouse(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}
