import type { Command } from 'commander';
import { inputError } from '../errors.js';
import { runOptions, type LockFlags } from './migrate.js';
import type { Wrap } from './context.js';

interface SeedFlags extends LockFlags {
  dryRun?: boolean;
  allowBreaking?: boolean;
}

/** `astra seed [--dry-run]`: the project's seed catalogs, compared with their tables and applied. */
export function registerSeed(program: Command, run: Wrap): void {
  program
    .command('seed')
    .description("apply the project's seed catalogs (rows shipped as JSON) to their tables; --dry-run shows the difference")
    .option('--dry-run', 'show the rows to add, change and delete; change nothing')
    .option('--allow-breaking', 'let a sync catalog delete the rows it no longer lists')
    .option('--lock-wait <duration>', 'how long to wait for another astra run on the same database', '10m')
    .action(
      run(async (context, flags) => {
        const options = flags as SeedFlags;
        if (context.seeds === undefined) {
          throw inputError(
            'astra seed applies the seed catalogs a project file declares, and there is no project file here or above.',
            'Declare the catalogs under a database\'s "seeds" in astra.config.json or .yaml (see docs/seeds.md), or name the file with --config.',
          );
        }
        const [{ withDatabase, withRunLock }, { seedDatabase }] = await Promise.all([import('../engine/run-lock.js'), import('../seed/run.js')]);
        const seed = { dryRun: options.dryRun === true, allowBreaking: options.allowBreaking === true };
        if (context.seeds.length === 0) {
          context.log.info('This database declares no seed catalogs; nothing to do.');
          return { dryRun: seed.dryRun, seeds: [] };
        }
        return withDatabase(context, (db) =>
          seed.dryRun ? seedDatabase(context, db, seed) : withRunLock(context, db, runOptions(options).lockWaitMs, () => seedDatabase(context, db, seed)),
        );
      }),
    );
}
