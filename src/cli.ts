import { Command, CommanderError } from 'commander';
import { AstraError, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, errorMessage } from './errors.js';
import { createContext, type Context, type GlobalOptions } from './commands/context.js';
import { DEFAULT_LOCK_WAIT_MS, migrateUp, type RunOptions } from './commands/migrate-up.js';
import { migrateCreate } from './commands/migrate-create.js';
import { migrateDown, migrateForce, migrateGoto } from './commands/migrate-down.js';
import { status } from './commands/status.js';
import { DEFAULT_LOCK_POLICY } from './migrations/apply.js';
import { parseCount, parseDuration, parseVersionNumber } from './duration.js';
import { createLog } from './ui/log.js';
import { astraVersion } from './version.js';

type Action = (context: Context, ...args: unknown[]) => Promise<unknown> | unknown;

interface LockFlags {
  lockWait?: string;
  lockTimeout?: string;
  lockRetries?: string;
}

function runOptions(flags: LockFlags): RunOptions {
  return {
    lockWaitMs: flags.lockWait ? parseDuration(flags.lockWait, '--lock-wait') : DEFAULT_LOCK_WAIT_MS,
    lockPolicy: {
      ...DEFAULT_LOCK_POLICY,
      lockTimeoutMs: flags.lockTimeout ? parseDuration(flags.lockTimeout, '--lock-timeout') : DEFAULT_LOCK_POLICY.lockTimeoutMs,
      lockRetries: flags.lockRetries ? parseCount(flags.lockRetries, '--lock-retries') : DEFAULT_LOCK_POLICY.lockRetries,
    },
  };
}

function withLockFlags(command: Command): Command {
  return command
    .option('--lock-wait <duration>', 'how long to wait for another astra run on the same database', '10m')
    .option('--lock-timeout <duration>', 'lock_timeout for each statement, so DDL never queues behind a long query', '3s')
    .option('--lock-retries <n>', 'retries, with backoff, of a statement that hit lock_timeout', '5');
}

function buildProgram(run: (action: Action) => (...args: unknown[]) => Promise<void>): Command {
  const program = new Command('astra')
    .description('Upgrade the PostgreSQL database of a self-hosted application safely.')
    .version(astraVersion, '-V, --version')
    .option('--database-url <url>', 'the database (else DATABASE_URL, else PG* variables, else the local cluster in ./.astra/)')
    .option('--migrations-dir <dir>', 'migration files (default: the ones shipped with astra)')
    .option('--release-notes-dir <dir>', 'release notes (default: the ones shipped with astra)')
    .option('--backup-dir <dir>', 'where backups go (else ASTRA_BACKUP_DIR, else ./.astra/backups)')
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

  const migrate = program.command('migrate').description('the low-level migration runner (golang-migrate semantics)');
  withLockFlags(
    migrate
      .command('up')
      .description('apply pending migrations')
      .option('--to <version>', 'stop after this migration version')
      .option('--dry-run', 'print what would be applied and change nothing'),
  ).action(
    run((context, flags) => {
      const options = flags as LockFlags & { to?: string; dryRun?: boolean };
      return migrateUp(context, {
        ...runOptions(options),
        ...(options.to !== undefined ? { to: parseVersionNumber(options.to, '--to') } : {}),
        dryRun: options.dryRun === true,
      });
    }),
  );
  withLockFlags(migrate.command('down').description('undo the last N applied migrations with their .down.sql files (default 1)').argument('[n]')).action(
    run((context, n, flags) => migrateDown(context, { ...runOptions(flags as LockFlags), count: n === undefined ? 1 : parseCount(String(n), 'down') })),
  );
  withLockFlags(migrate.command('goto').description('migrate up or down to exactly version V').argument('<version>')).action(
    run((context, version, flags) => migrateGoto(context, { ...runOptions(flags as LockFlags), version: parseVersionNumber(String(version), 'goto') })),
  );
  withLockFlags(
    migrate.command('force').description('record the database as being at version V and clear the dirty flag, running no migration').argument('<version>'),
  ).action(run((context, version, flags) => migrateForce(context, { ...runOptions(flags as LockFlags), version: parseVersionNumber(String(version), 'force') })));
  migrate
    .command('create')
    .description("write the next migration file, in the folder's own naming style")
    .argument('<name>')
    .action(run((context, name) => migrateCreate(context, String(name))));

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  let globals: GlobalOptions = {};
  const run =
    (action: Action) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      globals = command.optsWithGlobals<GlobalOptions>();
      const context = createContext(globals);
      // Commander passes (...arguments, options, command); actions take (...arguments, options).
      const result = await action(context, ...args.slice(0, -1));
      context.emit({ ok: true, ...(result && typeof result === 'object' ? result : {}) });
    };
  const program = buildProgram(run);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    exitCode = report(error, globals);
  }
  return exitCode;
}

function report(error: unknown, globals: GlobalOptions): number {
  if (error instanceof CommanderError) {
    // Help and --version exit 0; usage errors were already printed by commander.
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
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
  if (globals.json) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { message, fix: astraError?.fix ?? null, exitCode } }, null, 2)}\n`);
  }
  return exitCode;
}


