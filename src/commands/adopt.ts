import type { Command } from 'commander';
import { FOREIGN_TOOLS } from '../db/foreign-ledgers.js';
import { inputError } from '../errors.js';
import { runOptions, type LockFlags } from './migrate.js';
import type { Wrap } from './context.js';

interface AdoptFlags extends LockFlags {
  from?: string;
  table?: string;
  dryRun?: boolean;
  backup?: boolean;
  pgBinDir?: string;
}

/** `astra adopt --from <tool>`. */
export function registerAdopt(program: Command, run: Wrap): void {
  program
    .command('adopt')
    .description("take over a database another migration tool migrated: record what it applied in astra's ledger (its own ledger is left as it is)")
    .requiredOption('--from <tool>', `the tool that migrated it: ${FOREIGN_TOOLS.join(', ')}`)
    .option('--table <name>', "the tool's ledger table, when it was told another than its default (name or schema.name)")
    .option('--dry-run', 'show what would be recorded; change nothing')
    .option('--no-backup', 'do not take a backup first')
    .option('--pg-bin-dir <dir>', 'folder of pg_dump (else ASTRA_PG_BIN_DIR, PATH, pg_config)')
    .option('--lock-wait <duration>', 'how long to wait for another astra run on the same database', '10m')
    .action(
      run(async (context, flags) => {
        const options = flags as AdoptFlags;
        const from = FOREIGN_TOOLS.find((tool) => tool === options.from);
        if (!from) throw inputError(`--from ${options.from} is not a tool astra adopts from.`, `Use one of: ${FOREIGN_TOOLS.join(', ')}.`);
        if (options.table !== undefined && !/^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?$/.test(options.table)) {
          throw inputError(`--table ${options.table} is not a plain table name.`, 'Give it as name or schema.name, in lower case, as the tool created it.');
        }
        const pgBinDir = options.pgBinDir ?? process.env.ASTRA_PG_BIN_DIR;
        const { adoptDatabase } = await import('../adopt/adopt.js');
        return adoptDatabase(context, {
          from,
          table: options.table,
          dryRun: options.dryRun === true,
          noBackup: options.backup === false,
          lockWaitMs: runOptions(options).lockWaitMs,
          ...(pgBinDir ? { pgBinDir } : {}),
        });
      }),
    );
}
