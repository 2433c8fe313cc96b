import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseConnectionString } from 'pg-connection-string';
import type { ClientConfig } from 'pg';
import { serverAddress, type ConnectionTarget } from './target.js';
import { inputError, operationError } from '../errors.js';
import type { Log } from '../ui/log.js';

/** The SSL settings of a database URL as libpq names them. */
interface LibpqSsl {
  sslmode?: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
}

export type { ConnectionSource, ConnectionTarget } from './target.js';

const LIBPQ_VARIABLES = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'PGPASSFILE', 'PGSERVICE'];

/** Name of the database that the embedded cluster serves. */
export const EMBEDDED_DATABASE = 'astra';

/** Folder of the embedded cluster, relative to the working directory. */
export function embeddedClusterDir(cwd = process.cwd()): string {
  return join(cwd, '.astra', 'postgres');
}

/**
 * Runs `parse` with Node's process warnings held back. pg reads sslmode
 * prefer, require and verify-ca as verify-full (the certificate and the host
 * are checked), and says so in a multi-line warning printed before anything
 * else; astra keeps that stricter reading and says it in its own words when a
 * certificate is refused (connectionError), instead of before every error.
 */
function withoutDriverWarnings<T>(parse: () => T): T {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = () => undefined;
  try {
    return parse();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** The sslmode values libpq knows, and pg's no-verify. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

export function configFromUrl(url: string): ClientConfig {
  let parsed: ReturnType<typeof parseConnectionString>;
  try {
    parsed = withoutDriverWarnings(() => parseConnectionString(url));
  } catch (error) {
    throw inputError('The database URL could not be read.', 'Give it as postgresql://user:password@host:5432/database.', error);
  }
  if (!/^postgres(ql)?:\/\//.test(url) && !url.startsWith('socket:')) {
    throw inputError('The database URL must start with postgresql:// or postgres://.', 'Give it as postgresql://user:password@host:5432/database.');
  }
  const sslmode = (parsed as { sslmode?: unknown }).sslmode;
  if (typeof sslmode === 'string' && !SSL_MODES.includes(sslmode)) {
    throw inputError(`The database URL has sslmode=${sslmode}, which is not an SSL mode.`, `Use one of: ${SSL_MODES.join(', ')}.`);
  }
  if (!parsed.host && !process.env.PGHOST) {
    throw inputError(
      'The database URL names no host.',
      'Give it as postgresql://user@host:5432/database (for a unix socket: postgresql://user@/database?host=/var/run/postgresql).',
    );
  }
  const config: ClientConfig = {
    host: parsed.host || undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    user: parsed.user ?? undefined,
    password: parsed.password ?? undefined,
    database: parsed.database ?? undefined,
  };
  if (parsed.ssl !== undefined && parsed.ssl !== false) config.ssl = parsed.ssl as ClientConfig['ssl'];
  // libpq's own names, for pg_dump and pg_restore (pg itself reads `ssl`).
  const libpqSsl: LibpqSsl = {};
  for (const key of ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'] as const) {
    const value = (parsed as Record<string, unknown>)[key];
    // pg's no-verify is libpq's require: encrypted, the certificate not checked.
    if (typeof value === 'string' && value !== '') libpqSsl[key] = key === 'sslmode' && value === 'no-verify' ? 'require' : value;
  }
  return Object.keys(libpqSsl).length > 0 ? Object.assign(config, { libpqSsl }) : config;
}

/** Fills in what libpq would from the PG* variables, so labels and child processes agree with `pg`. */
function withLibpqDefaults(config: ClientConfig): ClientConfig {
  const env = process.env;
  return {
    ...config,
    host: config.host ?? env.PGHOST ?? 'localhost',
    port: config.port ?? (env.PGPORT ? Number(env.PGPORT) : 5432),
    user: config.user ?? env.PGUSER ?? process.env.USER ?? 'postgres',
    database: config.database ?? env.PGDATABASE ?? config.user ?? env.PGUSER ?? process.env.USER ?? 'postgres',
    password: config.password ?? env.PGPASSWORD,
  };
}

export function labelOf(config: ClientConfig): string {
  return `${config.user ?? ''}@${serverAddress(config)}/${config.database ?? ''}`;
}

/** Whether resolveConnection would use the embedded cluster: no --database-url, DATABASE_URL nor PG* variable. */
export function usesEmbeddedCluster(databaseUrl: string | undefined): boolean {
  return !databaseUrl && !process.env.DATABASE_URL && !LIBPQ_VARIABLES.some((name) => process.env[name]);
}

/**
 * Decides which database to talk to: --database-url, else DATABASE_URL, else
 * the libpq PG* variables, else the embedded cluster under ./.astra/ (created
 * and started here, and announced in one line).
 */
export async function resolveConnection(options: { databaseUrl?: string | undefined; log: Log; cwd?: string; embedded?: boolean }): Promise<ConnectionTarget> {
  if (options.databaseUrl) {
    const config = withLibpqDefaults(configFromUrl(options.databaseUrl));
    return { source: 'flag', config, label: labelOf(config) };
  }
  if (process.env.DATABASE_URL) {
    const config = withLibpqDefaults(configFromUrl(process.env.DATABASE_URL));
    return { source: 'DATABASE_URL', config, label: labelOf(config) };
  }
  if (LIBPQ_VARIABLES.some((name) => process.env[name])) {
    const config = withLibpqDefaults({});
    return { source: 'PG variables', config, label: labelOf(config) };
  }
  if (options.embedded === false) {
    throw inputError(
      'No database was given.',
      'Pass connectionString (a postgresql:// URL), or a pg client or pool, or set DATABASE_URL or the PG* variables.',
    );
  }
  return embeddedConnection(options.log, options.cwd);
}

async function embeddedConnection(log: Log, cwd?: string): Promise<ConnectionTarget> {
  const dir = embeddedClusterDir(cwd);
  // Loaded here: a command given a database never needs the cluster's code (nor execa, which it uses).
  const { LocalCluster } = await import('../cluster/local-cluster.js');
  const cluster = new LocalCluster(dir);
  const created = !cluster.exists;
  try {
    await cluster.init();
    await cluster.start();
    await cluster.ensureDatabase(EMBEDDED_DATABASE);
  } catch (error) {
    throw operationError(
      `The embedded PostgreSQL cluster in ${dir} could not be ${created ? 'created' : 'started'}: ${(error as Error).message}`,
      /no PostgreSQL server programs/.test((error as Error).message)
        ? 'Install the PostgreSQL server (e.g. apt-get install postgresql), or point astra at your database with --database-url or DATABASE_URL.'
        : existsSync(join(cluster.dataDir, 'server.log'))
          ? `Read the server log in ${join(cluster.dataDir, 'server.log')}, or point astra at your database with --database-url or DATABASE_URL.`
          : 'The server did not get far enough to write a log: the message above says why. Or point astra at your database with --database-url or DATABASE_URL.',
      error,
    );
  }
  const config = cluster.connectionConfig(EMBEDDED_DATABASE);
  log.info(
    `No database configured (--database-url, DATABASE_URL or PG* variables): using the ${created ? 'new ' : ''}local PostgreSQL ${cluster.state().major} cluster in ${dir} on 127.0.0.1:${config.port}.`,
  );
  return { source: 'embedded', config, label: labelOf(config) };
}

/**
 * Environment for a libpq child process (pg_dump, pg_restore, psql) that
 * reaches the same database. The password travels here, never in argv.
 */
export function libpqEnvironment(config: ClientConfig): Record<string, string | undefined> {
  const ssl = (config as { libpqSsl?: LibpqSsl }).libpqSsl ?? {};
  return {
    PGHOST: config.host,
    PGPORT: config.port === undefined ? undefined : String(config.port),
    PGUSER: config.user,
    PGDATABASE: config.database,
    PGPASSWORD: typeof config.password === 'string' ? config.password : undefined,
    // The URL's own sslmode and certificate paths, so verify-full stays verify-full in the child.
    PGSSLMODE: ssl.sslmode ?? (config.ssl ? 'require' : process.env.PGSSLMODE),
    PGSSLROOTCERT: ssl.sslrootcert ?? process.env.PGSSLROOTCERT,
    PGSSLCERT: ssl.sslcert ?? process.env.PGSSLCERT,
    PGSSLKEY: ssl.sslkey ?? process.env.PGSSLKEY,
    PGAPPNAME: 'astra',
  };
}
