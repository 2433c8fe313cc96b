import type { Command } from 'commander';
import { lockSettings } from '../defaults.js';
import { parseCount, parseDuration, parseMigrationVersion } from '../duration.js';
import type { Context, Wrap } from './context.js';
import type { RunOptions } from '../migrations/runner.js';

// The engine is loaded when a command runs, not to print --help or --version.
const runner = () => import('../migrations/runner.js');
const down = () => import('../migrations/down.js');

export interface LockFlags {
  lockWait?: string;
  lockTimeout?: string;
  lockRetries?: string;
}

export function runOptions(flags: LockFlags): RunOptions {
  return lockSettings({
    lockWaitMs: flags.lockWait ? parseDuration(flags.lockWait, '--lock-wait') : undefined,
    lockTimeoutMs: flags.lockTimeout ? parseDuration(flags.lockTimeout, '--lock-timeout') : undefined,
    lockRetries: flags.lockRetries ? parseCount(flags.lockRetries, '--lock-retries') : undefined,
  });
}

/** `--wait-for-db`, on the commands an entrypoint runs (migrate up, upgrade). */
export const WAIT_FOR_DB_OPTION = [
  '--wait-for-db <duration>',
  'wait this long for the database to accept connections (a container starting beside it)',
] as const;

/** Waits for the database when --wait-for-db was given (the duration is read first: a bad one is refused before any wait). */
export async function waitForDb(context: Context, flag: string | undefined): Promise<void> {
  if (flag === undefined) return;
  const timeoutMs = parseDuration(flag, '--wait-for-db');
  await (await import('../engine/wait-for-database.js')).awaitDatabase(context, timeoutMs);
}

export function withLockFlags(command: Command): Command {
  return command
    .option('--lock-wait <duration>', 'how long to wait for another astra run on the same database', '10m')
    .option('--lock-timeout <duration>', 'lock_timeout for each statement, so DDL never queues behind a long query', '3s')
    .option('--lock-retries <n>', 'retries, with backoff, of a statement that hit lock_timeout', '5');
}

/** `astra migrate up|down|goto|force|create`. */
export function registerMigrate(program: Command, run: Wrap): void {
  const migrate = program.command('migrate').description('the low-level migration runner (golang-migrate semantics)');
  withLockFlags(
    migrate
      .command('up')
      .description('apply pending migrations')
      .option('--to <version>', 'stop after this migration version')
      .option('--dry-run', 'print what would be applied and change nothing')
      .option('--allow-breaking', "let a sync seed catalog delete the rows it no longer lists (a project's seeds)"),
  )
    .option(...WAIT_FOR_DB_OPTION)
    .action(
      run(async (context, flags) => {
        const options = flags as LockFlags & { to?: string; dryRun?: boolean; waitForDb?: string; allowBreaking?: boolean };
        const to = options.to !== undefined ? { to: parseMigrationVersion(options.to, '--to') } : {};
        const settings = { ...runOptions(options), ...to, dryRun: options.dryRun === true, allowBreaking: options.allowBreaking === true };
        await waitForDb(context, options.waitForDb);
        return (await runner()).migrateUp(context, settings);
      }),
    );
  withLockFlags(migrate.command('down').description('undo the last N applied migrations with their .down.sql files (default 1)').argument('[n]')).action(
    run(async (context, n, flags) =>
      (await down()).migrateDown(context, { ...runOptions(flags as LockFlags), count: n === undefined ? 1 : parseCount(n as string, 'down') }),
    ),
  );
  withLockFlags(migrate.command('goto').description('migrate up or down to exactly version V').argument('<version>')).action(
    run(async (context, version, flags) =>
      (await down()).migrateGoto(context, { ...runOptions(flags as LockFlags), version: parseMigrationVersion(String(version), 'goto') }),
    ),
  );
  withLockFlags(
    migrate.command('force').description('record the database as being at version V and clear the dirty flag, running no migration').argument('<version>'),
  ).action(
    run(async (context, version, flags) =>
      (await down()).migrateForce(context, { ...runOptions(flags as LockFlags), version: parseMigrationVersion(String(version), 'force') }),
    ),
  );
  migrate
    .command('create')
    .description("write the next migration file, in the folder's own naming style")
    .argument('<name>')
    .action(run(async (context, name) => (await import('../migrations/create.js')).migrateCreate(context, String(name))));
}
