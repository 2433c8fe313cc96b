import { resolve } from 'node:path';
import type pg from 'pg';
import { configFromUrl, labelOf, resolveConnection } from '../db/connection.js';
import type { ConnectionTarget } from '../db/target.js';
import type { Context } from '../engine/context.js';
import { inputError } from '../errors.js';
import type { Log } from '../ui/log.js';
import { packageRoot } from '../version.js';

/** Where the library's progress lines go: any of the four levels; the rest are dropped. */
export interface Logger {
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
  debug?(message: string): void;
}

/** What every library call takes. */
export interface AstraOptions {
  /**
   * The database, as a postgresql:// URL. Else `client` or `pool`; else
   * DATABASE_URL, else the libpq PG* variables. (Unlike the CLI, the library
   * never starts a local cluster of its own.)
   */
  connectionString?: string;
  /**
   * An existing `pg` client or pool, whose connection settings astra uses to
   * open a session of its own: the run lock, `lock_timeout` and the ledger's
   * transactions need one session that nothing else shares, and pg_dump needs
   * the settings. The client or pool itself is not used or closed.
   */
  client?: pg.Client | pg.Pool;
  /** The migrations (default: the ones shipped with astra). */
  migrationsDir?: string;
  /** The release notes (default: the ones shipped with astra). */
  releaseNotesDir?: string;
  /** Where backups go (default: ASTRA_BACKUP_DIR, else ./.astra/backups). */
  backupDir?: string;
  /** Progress lines; without one the library is silent. */
  logger?: Logger;
  /** Abort to stop at the next safe point (between migrations; a backup or restore is undone). */
  signal?: AbortSignal;
  /**
   * Asked where a person would be asked (a breaking upgrade, ending sessions
   * for a rollback). Without it, and without `yes`, such steps are refused
   * with an error that names the option to pass.
   */
  confirm?: (question: string) => Promise<boolean>;
  /** Consent given in advance, as the CLI's --yes. */
  yes?: boolean;
}

function libraryLog(logger: Logger | undefined): Log {
  const drop = () => {};
  return {
    color: false,
    info: logger?.info?.bind(logger) ?? drop,
    warn: logger?.warn?.bind(logger) ?? drop,
    error: logger?.error?.bind(logger) ?? drop,
    debug: logger?.debug?.bind(logger) ?? drop,
  };
}

/** The settings of an existing pg client or pool, as astra's own target. */
function targetOfClient(client: pg.Client | pg.Pool): ConnectionTarget {
  const settings = ('options' in client ? client.options : client) as pg.ClientConfig & { connectionString?: string };
  const config: pg.ClientConfig = settings.connectionString
    ? configFromUrl(settings.connectionString)
    : { host: settings.host, port: settings.port, user: settings.user, password: settings.password, database: settings.database, ssl: settings.ssl };
  for (const key of Object.keys(config) as (keyof pg.ClientConfig)[]) if (config[key] === undefined) delete config[key];
  return { source: 'flag', config, label: labelOf(config) };
}

async function libraryTarget(options: AstraOptions, log: Log): Promise<ConnectionTarget> {
  if (options.connectionString) return resolveConnection({ databaseUrl: options.connectionString, log });
  if (options.client) return targetOfClient(options.client);
  const target = await resolveConnection({ log, embedded: false });
  return target;
}

/** The engine's context for a library call. */
export function libraryContext(options: AstraOptions): Context {
  if (options.connectionString !== undefined && typeof options.connectionString !== 'string') {
    throw inputError('connectionString must be a postgresql:// URL string.');
  }
  const log = libraryLog(options.logger);
  let target: Promise<ConnectionTarget> | undefined;
  const confirm = options.confirm;
  return {
    log,
    yes: options.yes === true,
    migrationsDir: resolve(options.migrationsDir ?? resolve(packageRoot, 'migrations')),
    releaseNotesDir: resolve(options.releaseNotesDir ?? resolve(packageRoot, 'release-notes')),
    backupDir: resolve(options.backupDir ?? process.env.ASTRA_BACKUP_DIR ?? resolve('.astra', 'backups')),
    databaseUrl: options.connectionString,
    target: () => (target ??= libraryTarget(options, log)),
    signal: options.signal,
    confirm: confirm ? (question) => confirm(question) : undefined,
    progress: 'silent',
  };
}
