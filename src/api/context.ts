import type pg from 'pg';
import { configFromUrl, labelOf, resolveConnection } from '../db/connection.js';
import type { ConnectionTarget } from '../db/target.js';
import type { Context } from '../engine/context.js';
import { AstraError, EXIT_FAILED, inputError } from '../errors.js';
import type { Log } from '../ui/log.js';
import { resolveFolders } from '../engine/folders.js';
import { databaseUrl, loadProject, notSet, placementOf, projectBackupRoot, selectDatabases } from '../project/load.js';
import { join } from 'node:path';

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
  /**
   * A project file (astra.config.json or .yaml, see docs/projects.md): the
   * call works on its database named `database`, with the URL, folders,
   * schema and ledger the file gives it. Not combined with connectionString,
   * client or the folder options.
   */
  project?: string;
  /** Which database of `project` (may be left out when the file declares only one). */
  database?: string;
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
  if (typeof settings.password === 'function') {
    throw inputError(
      'The pg client or pool gets its password from a function, which pg_dump and pg_restore cannot call.',
      'Pass connectionString (or a client with a password string) instead.',
    );
  }
  // As pg does: the URL's settings, and the explicit ssl option unless the URL sets sslmode.
  const fromUrl = settings.connectionString ? configFromUrl(settings.connectionString) : undefined;
  const config: pg.ClientConfig = fromUrl
    ? { ...fromUrl, ...(settings.ssl !== undefined && !/[?&]sslmode=/.test(settings.connectionString ?? '') ? { ssl: settings.ssl } : {}) }
    : { host: settings.host, port: settings.port, user: settings.user, password: settings.password, database: settings.database, ssl: settings.ssl };
  for (const key of Object.keys(config) as (keyof pg.ClientConfig)[]) if (config[key] === undefined) delete config[key];
  return { source: 'flag', config, label: labelOf(config) };
}

async function libraryTarget(options: AstraOptions, log: Log): Promise<ConnectionTarget> {
  if (options.connectionString) return resolveConnection({ databaseUrl: options.connectionString, log });
  if (options.client) return targetOfClient(options.client);
  return resolveConnection({ log, embedded: false });
}

/**
 * Runs one library call with an engine context of its own. The call gets its
 * own abort signal, which follows the caller's: several calls sharing one
 * shutdown signal do not take each other's work for nested work. A signal
 * aborted before the call begins stops it before it changes anything.
 */
export async function libraryCall<T>(options: AstraOptions, work: (context: Context) => Promise<T>): Promise<T> {
  if (options.signal?.aborted) throw new AstraError('Aborted before it began; nothing was changed.', { exitCode: EXIT_FAILED });
  const controller = new AbortController();
  const follow = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', follow, { once: true });
  try {
    return await work(libraryContext(options, controller.signal));
  } finally {
    options.signal?.removeEventListener('abort', follow);
  }
}

/** The engine's context for a database of a project file. */
function projectContext(options: AstraOptions, file: string, log: Log, signal: AbortSignal): Context {
  const given = (['connectionString', 'client', 'migrationsDir', 'releaseNotesDir'] as const).filter((key) => options[key] !== undefined);
  if (given.length > 0) throw inputError(`${given[0]} cannot be combined with project: the project file says where each database and its migrations are.`);
  const project = loadProject(file);
  const names = project.databases.map((database) => database.name);
  if (options.database === undefined && names.length > 1) {
    throw inputError(`${project.file} declares ${names.length} databases: say which with the database option.`, `One of: ${names.join(', ')}.`);
  }
  const [database] = selectDatabases(project, options.database === undefined ? [] : [options.database]);
  if (database!.kind === 'clickhouse') {
    throw inputError(
      `The database "${database!.name}" of ${project.file} is a ClickHouse database; the library works on PostgreSQL ones.`,
      'Run astra migrate up --db ' + database!.name + ' for it.',
    );
  }
  const found = databaseUrl(database!);
  if ('missing' in found) {
    throw inputError(`The database "${database!.name}" of ${project.file} has no URL: ${notSet(found.missing)}.`);
  }
  let target: Promise<ConnectionTarget> | undefined;
  const confirm = options.confirm;
  return {
    log,
    yes: options.yes === true,
    migrationsDir: database!.migrationsDir,
    releaseNotesDir: database!.releaseNotesDir,
    versions: database!.versions,
    backupDir: join(projectBackupRoot(project, options.backupDir), database!.name),
    seeds: database!.seeds,
    target: () =>
      (target ??= resolveConnection({ databaseUrl: found.url, log }).then((resolved) => ({
        ...resolved,
        placement: placementOf(database!),
      }))),
    signal,
    confirm: confirm ? (question) => confirm(question) : undefined,
    progress: 'silent',
  };
}

/** The engine's context for a library call. */
function libraryContext(options: AstraOptions, signal: AbortSignal): Context {
  if (options.project !== undefined) return projectContext(options, options.project, libraryLog(options.logger), signal);
  if (options.connectionString !== undefined && typeof options.connectionString !== 'string') {
    throw inputError('connectionString must be a postgresql:// URL string.');
  }
  const log = libraryLog(options.logger);
  let target: Promise<ConnectionTarget> | undefined;
  const confirm = options.confirm;
  return {
    log,
    yes: options.yes === true,
    ...resolveFolders(options),
    target: () => (target ??= libraryTarget(options, log)),
    signal,
    confirm: confirm ? (question) => confirm(question) : undefined,
    progress: 'silent',
  };
}
