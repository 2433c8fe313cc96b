import { resolve } from 'node:path';
import { acquireRunLock, releaseRunLock } from '../db/advisory-lock.js';
import { resolveConnection, type ConnectionTarget } from '../db/connection.js';
import { Database } from '../db/database.js';
import { createLog, type Log } from '../ui/log.js';
import { packageRoot } from '../version.js';
import { formatMs } from '../duration.js';

/** The options every command takes (PRODUCT.md, "Commands"). */
export interface GlobalOptions {
  databaseUrl?: string;
  migrationsDir?: string;
  releaseNotesDir?: string;
  backupDir?: string;
  json?: boolean;
  yes?: boolean;
  debug?: boolean;
}

/** What a command needs from its surroundings, passed in rather than imported. */
export interface Context {
  log: Log;
  json: boolean;
  yes: boolean;
  debug: boolean;
  databaseUrl: string | undefined;
  migrationsDir: string;
  releaseNotesDir: string;
  backupDir: string;
  /** Prints the machine-readable result: with --json, the only thing a command writes to stdout. */
  emit(result: unknown): void;
  /** The database this run talks to, decided once (the embedded cluster is announced once). */
  target(): Promise<ConnectionTarget>;
  /** Prints a command's human-readable result (a report, a table) to stdout; nothing with --json. */
  out(text: string): void;
}

export function createContext(options: GlobalOptions): Context {
  const json = options.json === true;
  const log = createLog({ debug: options.debug });
  let target: Promise<ConnectionTarget> | undefined;
  return {
    log,
    target: () => (target ??= resolveConnection({ databaseUrl: options.databaseUrl, log })),
    json,
    yes: options.yes === true,
    debug: options.debug === true,
    databaseUrl: options.databaseUrl,
    migrationsDir: resolve(options.migrationsDir ?? resolve(packageRoot, 'migrations')),
    releaseNotesDir: resolve(options.releaseNotesDir ?? resolve(packageRoot, 'release-notes')),
    backupDir: resolve(options.backupDir ?? process.env.ASTRA_BACKUP_DIR ?? resolve('.astra', 'backups')),
    emit: (result) => {
      if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    },
    out: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
  };
}

/** Connects to the target database for the length of `work`. */
export async function withDatabase<T>(context: Context, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.connect(await context.target());
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Holds astra's advisory lock for the length of `work`, waiting for another run up to `waitMs`. */
export async function withRunLock<T>(context: Context, db: Database, waitMs: number, work: () => Promise<T>): Promise<T> {
  await acquireRunLock(db, {
    waitMs,
    onWait: (holder) =>
      context.log.info(
        `Waiting for another astra run to finish${holder ? ` (server pid ${holder.pid}${holder.applicationName ? `, ${holder.applicationName}` : ''})` : ''}; giving up after ${formatMs(waitMs)} (--lock-wait).`,
      ),
  });
  try {
    return await work();
  } finally {
    await releaseRunLock(db);
  }
}

/** A command's body: gets the context and commander's arguments and options; its result is the --json output. */
export type Action = (context: Context, ...args: unknown[]) => Promise<unknown> | unknown;

/** Wraps an action into a commander action handler (set up by cli.ts). */
export type Wrap = (action: Action) => (...args: unknown[]) => Promise<void>;
