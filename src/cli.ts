import type { MigrationVersion } from './migration-version.js';
import { Command, CommanderError } from 'commander';
import { AstraError, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, errorMessage } from './errors.js';
import { createContext, type Action, type GlobalOptions, type ProjectAction, type Wrap } from './commands/context.js';
import { openProject, runOnProject } from './commands/project.js';
import { registerAdopt } from './commands/adopt.js';
import { registerBackup } from './commands/backup.js';
import { registerDoctor } from './commands/doctor.js';
import { registerLint } from './commands/lint.js';
import { registerMigrate } from './commands/migrate.js';
import { registerRollback } from './commands/rollback.js';
import { registerSeed } from './commands/seed.js';
import { registerServe } from './commands/serve.js';
import { registerUpgrade } from './commands/upgrade.js';
import { status } from './commands/status.js';
import { Interruption, isWatched } from './engine/interrupt.js';
import { useParseCache } from './parse-cache.js';
import { preferQuickWasm } from './sql-parser.js';
import { createLog } from './ui/log.js';
import { astraVersion } from './version.js';

function buildProgram(run: Wrap): Command {
  const program = new Command('astra')
    .description('Upgrade the PostgreSQL database of a self-hosted application safely.')
    .version(astraVersion, '-V, --version')
    .option('--database-url <url>', 'the database (else DATABASE_URL, else PG* variables, else the local cluster in ./.astra/)')
    .option('--migrations-dir <dir>', 'migration files (default: the ones shipped with astra)')
    .option('--release-notes-dir <dir>', 'release notes (default: the ones shipped with astra)')
    .option('--backup-dir <dir>', 'where backups go (else ASTRA_BACKUP_DIR, else ./.astra/backups)')
    .option('--config <file>', 'the project file (else astra.config.json or .yaml, here or in a folder above)')
    .option('--db <name>', 'a database of the project file (repeatable; default: all of them)', (name: string, names: string[]) => [...names, name], [])
    .option('--json', 'machine-readable output on stdout, and nothing else there')
    .option('-y, --yes', 'never prompt')
    .option('--debug', 'show stack traces of errors')
    .showHelpAfterError('(run astra --help for usage)')
    // Set before the subcommands are added, which copy these settings.
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('status')
    .description('application version, database version, applied and pending migrations')
    .action(run((context) => status(context)));

  registerMigrate(program, run);
  registerBackup(program, run);
  registerRollback(program, run);
  registerDoctor(program, run);
  registerLint(program, run);
  registerUpgrade(program, run);
  registerServe(program, run);
  registerAdopt(program, run);
  registerSeed(program, run);

  return program;
}

let outputGuarded = false;

/**
 * `astra status | head` closes the pipe early. What astra was doing goes on
 * to its end (a migration is not cut short by a pipe's reader leaving); what
 * it would still print is dropped, where Node would crash on the failed
 * write. Other write errors (a terminal gone, EIO) end the process as before.
 */
function dropOutputWhenReaderLeaves(): void {
  if (outputGuarded) return;
  outputGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    });
  }
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  dropOutputWhenReaderLeaves();
  preferQuickWasm();
  useParseCache(import.meta.url);
  let exitCode = EXIT_OK;
  let globals: GlobalOptions = {};
  const run: Wrap =
    (action: Action, projectAction?: ProjectAction) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      globals = command.optsWithGlobals<GlobalOptions>();
      const project = await openProject(globals);
      if (project) return runOnProject(project, globals, () => interrupts.signal, command, action, projectAction, args.slice(0, -1));
      const context = createContext(globals, () => interrupts.signal);
      // Commander passes (...arguments, options, command); actions take (...arguments, options).
      const result = await action(context, ...args.slice(0, -1));
      if (Array.isArray(result)) throw new Error('a command returned a list where its --json result must be an object');
      context.emit({ ok: true, ...(result && typeof result === 'object' ? result : {}) });
    };
  const program = buildProgram(run);
  const interrupts = signalsToAbort();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // A usage error comes before the options are parsed: look for --json by hand.
    if (error instanceof CommanderError && argv.includes('--json')) globals = { ...globals, json: true };
    exitCode = report(error, globals);
  } finally {
    interrupts.stop();
  }
  return exitCode;
}

/**
 * Ctrl-C and SIGTERM become an abort of the signal handed to the engine, which
 * stops the work watching it at its next safe point and undoes what it
 * started. Each abort is followed by a fresh signal, so that work begun after
 * an interruption (an automatic rollback, say) can be interrupted in turn.
 * When no work is watching (nothing to undo), the signal ends the process as
 * it would have without astra's handlers.
 */
function signalsToAbort(): { readonly signal: AbortSignal; stop(): void } {
  let controller = new AbortController();
  // Every signal handed out: work started on an earlier one may still be undoing what it started.
  const handedOut: AbortController[] = [controller];
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const stop = () => {
    for (const name of signals) process.removeListener(name, handler);
  };
  const handler = (name: NodeJS.Signals) => {
    if (!handedOut.some((handed) => isWatched(handed.signal))) {
      stop();
      process.kill(process.pid, name);
      return;
    }
    // Work is watching, or still undoing after an earlier interruption (then
    // this abort reaches nothing, and the signal is ignored as before).
    const interrupted = controller;
    controller = new AbortController();
    handedOut.push(controller);
    interrupted.abort(new Interruption(name === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'));
  };
  for (const name of signals) process.on(name, handler);
  return {
    get signal() {
      return controller.signal;
    },
    stop,
  };
}

function report(error: unknown, globals: GlobalOptions): number {
  if (error instanceof CommanderError) {
    // Help and --version exit 0; usage errors were already printed by commander.
    if (error.exitCode === 0) return EXIT_OK;
    if (globals.json) {
      const message = error.message.replace(/^error: /, '');
      process.stdout.write(`${JSON.stringify({ ok: false, error: { message, fix: 'Run astra --help for usage.', exitCode: EXIT_BAD_INPUT } }, null, 2)}\n`);
    }
    return EXIT_BAD_INPUT;
  }
  const log = createLog({ debug: globals.debug });
  const astraError = error instanceof AstraError ? error : undefined;
  const exitCode = astraError?.exitCode ?? EXIT_FAILED;
  const message = astraError ? astraError.message : `Unexpected error: ${errorMessage(error)}`;
  log.error(message);
  if (astraError?.fix) log.info(`  fix: ${astraError.fix}`);
  if (globals.debug && error instanceof Error) {
    log.debug(error.stack ?? '');
    if (error.cause instanceof Error) log.debug(`cause: ${error.cause.stack ?? error.cause.message}`);
  } else if (!astraError) {
    log.info('  (run again with --debug for the stack trace)');
  }
  if (globals.json && !astraError?.alreadyReported) {
    process.stdout.write(
      `${JSON.stringify({ ok: false, ...(astraError?.result ?? {}), error: { message, fix: astraError?.fix ?? null, exitCode, ...outcomeOf(astraError) } }, null, 2)}\n`,
    );
  }
  return exitCode;
}

/** What became of the database, when the error says (`database`, `schemaVersion`): for scripts reading --json. */
function outcomeOf(error: AstraError | undefined): { database?: string; schemaVersion?: MigrationVersion | null } {
  return {
    ...(error?.database !== undefined ? { database: error.database } : {}),
    ...(error?.schemaVersion !== undefined ? { schemaVersion: error.schemaVersion } : {}),
  };
}
