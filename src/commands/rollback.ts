import type { Command } from 'commander';
import { DEFAULT_ROLLBACK_LOCK_WAIT_MS, DEFAULT_SESSION_WAIT_MS } from '../defaults.js';
import type { RollbackResult } from '../rollback/index.js';
import { quoteIdent } from '../db/quote.js';
import { parseCount, parseDuration } from '../duration.js';
import { inputError, operationError } from '../errors.js';
import { canPrompt } from '../ui/prompt.js';
import type { Context, ProjectMember, ProjectRun, Wrap } from './context.js';

interface RollbackFlags {
  to?: string;
  backup?: string;
  wait?: string;
  force?: boolean;
  jobs?: string;
  pgBinDir?: string;
  lockWait?: string;
}

/** `astra rollback --to <version> [--backup <id>] [--force]`. */
export function registerRollback(program: Command, run: Wrap): void {
  program
    .command('rollback')
    .description('restore the backup taken at an earlier release; the current database is kept under another name')
    .option('--to <version>', 'the application release to go back to')
    .option('--backup <id>', 'the backup to restore (default: the newest taken at --to)')
    .option('--wait <duration>', 'how long to wait for other sessions to leave the database', `${DEFAULT_SESSION_WAIT_MS / 1000}s`)
    .option('--force', 'end other sessions (pg_terminate_backend) instead of waiting; asks first unless --yes')
    .option('--jobs <n>', 'parallel pg_restore jobs (default: one per core, at most 4)')
    .option('--lock-wait <duration>', 'how long to wait for another astra run on the same database', `${DEFAULT_ROLLBACK_LOCK_WAIT_MS / 60_000}m`)
    .option('--pg-bin-dir <dir>', 'folder of pg_restore and psql (else ASTRA_PG_BIN_DIR, else found on PATH)')
    .action(
      run(
        (context, flags) => rollback(context, flags as RollbackFlags),
        (members, project, flags) => rollbackProject(members, project, flags as RollbackFlags),
      ),
    );
}

/**
 * `astra rollback` on a project: every database named (all by default) goes
 * back to its backup of that release. Every database's backup is found
 * before any is restored, so a missing one changes nothing.
 */
async function rollbackProject(all: ProjectMember[], project: ProjectRun, flags: RollbackFlags): Promise<unknown> {
  // A ClickHouse database has no backups: its migrations are undone with their .down.sql files (astra migrate down).
  for (const member of all.filter((one) => one.context.clickhouse)) {
    member.context.log.info(
      'Passed over: a ClickHouse database is rolled back with its .down.sql files (astra migrate down --db ' + member.name + '), not from a backup.',
    );
  }
  const members = all.filter((member) => !member.context.clickhouse);
  if (members.length === 0) {
    throw inputError(
      'astra rollback restores PostgreSQL backups, and no PostgreSQL database is selected.',
      'Undo ClickHouse migrations with astra migrate down --db <name>.',
    );
  }
  if (flags.backup !== undefined && members.length > 1) {
    throw inputError(
      `--backup names the backup of one database, and this rollback would restore ${members.length}.`,
      'Name the database with --db, or use --to <version> alone.',
    );
  }
  const [{ rollbackCandidates }, { verifyBackup }, { tagged }] = await Promise.all([
    import('../rollback/index.js'),
    import('../backup/index.js'),
    import('../project/upgrade.js'),
  ]);
  // Every database's backup found and verified before any is restored: a missing or damaged one changes nothing.
  const chosen = new Map<string, string>();
  for (const member of members) {
    try {
      const target = await member.context.target();
      const [manifest] = await rollbackCandidates(member.context, {
        database: String(target.config.database),
        ...(flags.to ? { to: flags.to } : {}),
        ...(flags.backup ? { backupId: flags.backup } : {}),
      });
      const verified = await verifyBackup(member.context, manifest!.id, flags.pgBinDir ? { pgBinDir: flags.pgBinDir } : {});
      if (!verified.ok) {
        const why = verified.checks.filter((check) => check.status === 'fail').map((check) => check.detail);
        throw operationError(
          `Backup ${manifest!.id} fails verification (${why.join('; ')}).`,
          'Run astra backup list and astra backup verify to find a good backup.',
        );
      }
      chosen.set(member.name, manifest!.id);
    } catch (error) {
      throw tagged(member.name, error, ' No database of the project was rolled back.');
    }
  }
  const others = project.declared.filter((name) => !members.some((member) => member.name === name) && !(name in project.skipped));
  if (others.length > 0) {
    members[0]?.context.log.warn(
      `Only ${members.map((member) => member.name).join(', ')} ${members.length === 1 ? 'is' : 'are'} rolled back; ${others.join(', ')} stay${others.length === 1 ? 's' : ''} as ${others.length === 1 ? 'it is' : 'they are'}, which may be a release the others no longer match.`,
    );
  }
  // Last declared first: when several share one physical database, the first database's backup,
  // taken before the others changed it, is the one restored last and stands.
  const databases: Record<string, RollbackResult> = {};
  for (const member of [...members].reverse()) {
    try {
      databases[member.name] = await rollback(member.context, { ...flags, backup: chosen.get(member.name)! });
    } catch (error) {
      const done = Object.keys(databases);
      throw tagged(member.name, error, done.length > 0 ? ` Already rolled back: ${done.join(', ')}.` : '');
    }
  }
  return { databases: Object.fromEntries(members.map((member) => [member.name, databases[member.name]])) };
}

async function rollback(context: Context, flags: RollbackFlags): Promise<RollbackResult> {
  const waitMs = parseDuration(flags.wait ?? '60s', '--wait');
  const lockWaitMs = flags.lockWait === undefined ? DEFAULT_ROLLBACK_LOCK_WAIT_MS : parseDuration(flags.lockWait, '--lock-wait');
  const jobs = flags.jobs === undefined ? undefined : parseCount(flags.jobs, '--jobs');
  const force = flags.force === true;
  if (force && !context.yes && !canPrompt()) {
    throw inputError(
      '--force ends other sessions on the database and needs a confirmation, but there is no terminal to ask on.',
      'Add --yes to confirm ending them.',
    );
  }
  const { rollbackTo } = await import('../rollback/index.js');
  const result = await rollbackTo(context, { to: flags.to, backupId: flags.backup, force, waitMs, lockWaitMs, jobs, pgBinDir: flags.pgBinDir });
  printRollback(context, result);
  return result;
}

function printRollback(context: Context, result: RollbackResult): void {
  const taken = result.backupCreatedAt.replace('T', ' ').slice(0, 19);
  context.out(`Rolled back ${result.database} to backup ${result.backupId} (schema version ${result.schemaVersion ?? 'none'}).`);
  context.out(`Discarded: every write to ${result.database} made after ${taken} UTC, when the backup was taken.`);
  if (result.keptDatabase) {
    context.out(`Kept: the database as it was before the rollback, now named ${result.keptDatabase}.`);
    context.out(`      Drop it once you no longer need it: DROP DATABASE ${quoteIdent(result.keptDatabase)};`);
  }
  if (result.safetyBackupId) {
    context.out(
      `Kept: the safety backup ${result.safetyBackupId}, taken just before; astra rollback --backup ${result.safetyBackupId} brings that state back.`,
    );
  }
}
