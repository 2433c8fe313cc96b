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
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw inputError('The ClickHouse URL is not a URL: write it as http://user:${PASSWORD}@host:8123/database.');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw inputError(
        `A ClickHouse URL starts with http:// or https:// (its HTTP interface), not ${parsed.protocol}//.`,
        'Use the HTTP port, 8123 by default.',
      );
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, '')) || 'default';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
      throw inputError(
        `The ClickHouse database "${database}" of the URL is not a plain name (letters, digits, _).`,
        'Name the database in the URL path: http://host:8123/analytics.',
      );
    }
    const label = `${parsed.hostname}:${parsed.port || (parsed.protocol === 'https:' ? '8443' : '8123')}/${database}`;
    const client = createClient({
      url: `${parsed.protocol}//${parsed.host}`,
      username: decodeURIComponent(parsed.username) || 'default',
      password: decodeURIComponent(parsed.password),
      database,
      application: 'astra',
      request_timeout: 10 * 60_000,
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

/** Quotes a ClickHouse identifier. */
export function quoteClickhouse(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}
