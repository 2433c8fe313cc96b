import type { ConnectionTarget } from '../db/target.js';
import type { Context as EngineContext } from '../engine/context.js';
import { createLog } from '../ui/log.js';
import { canPrompt, confirm } from '../ui/prompt.js';
import { resolveFolders } from '../engine/folders.js';

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
  return {
    log,
    // Loaded when a command first needs its database, not to print --help.
    target: () => (target ??= import('../db/connection.js').then(({ resolveConnection }) => resolveConnection({ databaseUrl: options.databaseUrl, log }))),
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

/** Wraps an action into a commander action handler (set up by cli.ts). */
export type Wrap = (action: Action) => (...args: unknown[]) => Promise<void>;
