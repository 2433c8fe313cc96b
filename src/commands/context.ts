import type { ConnectionTarget, Placement } from '../db/target.js';
import type { Context as EngineContext } from '../engine/context.js';
import type { SeedCatalog } from '../seed/catalog.js';
import { createLog } from '../ui/log.js';
import { canPrompt, confirm } from '../ui/prompt.js';
import { resolveFolders } from '../engine/folders.js';
import { inputError } from '../errors.js';

/** The options every command takes (PRODUCT.md, "Commands"). */
export interface GlobalOptions {
  databaseUrl?: string;
  migrationsDir?: string;
  releaseNotesDir?: string;
  backupDir?: string;
  json?: boolean;
  yes?: boolean;
  debug?: boolean;
  /** --config: the project file (else astra.config.json or .yaml, here or in a folder above). */
  config?: string;
  /** --db, repeatable: the project's databases to work on (default: all). */
  db?: string[];
}

/** The engine's context, plus what a command needs to render its result. */
export interface Context extends EngineContext {
  /** --database-url as given. */
  databaseUrl: string | undefined;
  json: boolean;
  debug: boolean;
  /** Prints the machine-readable result: with --json, the only thing a command writes to stdout. */
  emit(result: unknown): void;
  /** Prints a command's human-readable result (a report, a table) to stdout; nothing with --json. */
  out(text: string): void;
}

/** `signal` gives the abort signal of the moment: the CLI hands out a fresh one after each interruption. */
export function createContext(options: GlobalOptions, signal: () => AbortSignal): Context {
  const json = options.json === true;
  const yes = options.yes === true;
  const log = createLog({ debug: options.debug });
  let target: Promise<ConnectionTarget> | undefined;
  // Loaded when a command first needs its database, not to print --help.
  const decided = () =>
    (target ??= import('../db/connection.js').then(({ resolveConnection }) => resolveConnection({ databaseUrl: options.databaseUrl, log })));
  return {
    log,
    target: decided,
    givenTarget: () => import('../db/connection.js').then(({ usesEmbeddedCluster }) => (usesEmbeddedCluster(options.databaseUrl) ? undefined : decided())),
    json,
    yes,
    debug: options.debug === true,
    databaseUrl: options.databaseUrl,
    ...resolveFolders(options),
    get signal() {
      return signal();
    },
    // A person is asked only on a terminal, and never after --yes.
    confirm: !yes && canPrompt() ? confirm : undefined,
    progress: json ? 'quiet' : 'auto',
    emit: (result) => {
      if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    },
    out: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
  };
}

/** A command's body: gets the context and commander's arguments and options; its result is the --json output. */
export type Action = (context: Context, ...args: unknown[]) => unknown;

/**
 * A command run on the databases of a project: the same action as without
 * one, once per database (in declared order), each with its own context; or,
 * for the commands that must treat the databases as one (upgrade, rollback),
 * an action given all of them at once.
 */
export type ProjectAction = (members: ProjectMember[], project: ProjectRun, ...args: unknown[]) => Promise<unknown>;

export interface ProjectMember {
  name: string;
  context: Context;
}

export interface ProjectRun {
  file: string;
  /** The root of the project's backups; each database's are in a folder of its name below it. */
  backupRoot: string;
  /** Every database the file declares, for the warning that a --db subset leaves the others as they are. */
  declared: string[];
  /** Databases not run (required: false, and their URL is not set), with why. */
  skipped: Record<string, string>;
}

/** Wraps an action into a commander action handler (set up by cli.ts). */
export type Wrap = (action: Action, projectAction?: ProjectAction) => (...args: unknown[]) => Promise<void>;

/** One database of a project, as a command sees it: its URL, folders and placement decided by the project file. */
export interface DatabaseSetting {
  name: string;
  /** Undefined for a command that reads only files, when the URL is not set: `noUrl` says why, if a connection is asked for. */
  url: string | undefined;
  noUrl?: string;
  migrationsDir: string;
  releaseNotesDir: string;
  versions: { from: number; to: number } | undefined;
  backupDir: string;
  placement: Placement;
  seeds: SeedCatalog[];
  kind: 'postgres' | 'clickhouse';
  /** For a ClickHouse database: the project's PostgreSQL database that holds its run lock, when there is one. */
  lockIn?: (() => Promise<ConnectionTarget | undefined>) | undefined;
}

/**
 * The context of one database of a project: the CLI's context, with the
 * database's own target, folders and placement, and every line of human
 * output tagged with its name. Its `emit` hands the result to `onEmit`: the
 * project's command prints one JSON object, grouped by database. With
 * `tagOutput` false, what goes to stdout is left as it is (a Markdown
 * document).
 */
export function createDatabaseContext(
  options: GlobalOptions,
  database: DatabaseSetting,
  signal: () => AbortSignal,
  onEmit: (result: unknown) => void,
  tagOutput = true,
): Context {
  const base = createContext(options, signal);
  const tag = `[${database.name.toUpperCase()}]`;
  const log = createLog({ debug: options.debug, tag });
  let target: Promise<ConnectionTarget> | undefined;
  const decided = () =>
    (target ??= import('../db/connection.js')
      .then(({ resolveConnection }) => {
        if (database.url === undefined) throw inputError(database.noUrl ?? `The database "${database.name}" has no URL.`);
        return resolveConnection({ databaseUrl: database.url, log });
      })
      .then((resolved) => ({ ...resolved, placement: database.placement })));
  return {
    ...base,
    log,
    target: decided,
    // A database without a URL is an error target() reports, after the input is checked.
    givenTarget: () => (database.url === undefined ? Promise.resolve(undefined) : decided()),
    migrationsDir: database.migrationsDir,
    releaseNotesDir: database.releaseNotesDir,
    versions: database.versions,
    backupDir: database.backupDir,
    seeds: database.seeds,
    ...(database.kind === 'clickhouse'
      ? {
          clickhouse: {
            url: database.url ?? '',
            migrationsDir: database.migrationsDir,
            versions: database.versions,
            ledgerTable: database.placement.ledger?.table ?? 'astra_migrations',
            lockIn: database.lockIn,
          },
        }
      : {}),
    get signal() {
      return signal();
    },
    // Lines, each tagged, rather than a task list drawn over itself.
    progress: base.json ? 'quiet' : 'silent',
    emit: onEmit,
    // A document (checklist --format md) is printed as it is, under a heading per database.
    out: (text) => {
      if (!base.json) process.stdout.write(`${tagOutput ? text.replace(/^/gm, `${tag} `) : text}\n`);
    },
  };
}
