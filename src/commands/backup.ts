import type { Command } from 'commander';
import { join } from 'node:path';
import type { BackupListReport, BackupManifest } from '../backup/index.js';

// The backup catalog is loaded when a command runs, not to print --help.
const catalog = () => import('../backup/index.js');
import { formatBytes } from '../ui/format.js';
import { parseCount } from '../duration.js';
import { AstraError, EXIT_FAILED } from '../errors.js';
import { renderTable } from '../ui/table.js';
import type { Context, Wrap } from './context.js';

interface CreateFlags {
  format?: string;
  jobs?: string;
  pgBinDir?: string;
}

const PG_BIN_DIR = 'folder of pg_dump and pg_restore (else ASTRA_PG_BIN_DIR, else found on PATH)';

/** `astra backup create | list | verify | prune`. */
export function registerBackup(program: Command, run: Wrap): void {
  const backup = program.command('backup').description('take, list, verify and prune backups made with pg_dump');
  backup
    .command('create')
    .description('dump the database into the backup folder, with a manifest beside it')
    .option('--format <format>', 'custom (one compressed file, the default) or directory')
    .option('--jobs <n>', 'parallel pg_dump jobs; implies the directory format')
    .option('--pg-bin-dir <dir>', PG_BIN_DIR)
    .action(run((context, flags) => backupCreate(context, flags as CreateFlags)));
  backup
    .command('list')
    .description('the backups of the backup folder, newest first')
    .action(run((context) => backupList(context)));
  backup
    .command('verify')
    .description('check a backup: checksum and pg_restore --list; --deep also restores it into a scratch database')
    .argument('<id>')
    .option('--deep', 'restore into a scratch database (dropped afterwards) and compare row counts')
    .option('--pg-bin-dir <dir>', PG_BIN_DIR)
    .action(run((context, id, flags) => backupVerify(context, String(id), flags as { deep?: boolean; pgBinDir?: string })));
  backup
    .command('prune')
    .description('delete all but the newest N backups of each database')
    .requiredOption('--keep <n>', 'how many backups of each database to keep (1 or more)')
    .action(run((context, flags) => backupPrune(context, (flags as { keep: string }).keep)));
}

async function backupCreate(context: Context, flags: CreateFlags): Promise<{ backup: BackupManifest }> {
  const [{ chooseBackupFormat, createBackup }, { withDatabase }] = await Promise.all([catalog(), import('../engine/run-lock.js')]);
  const jobs = flags.jobs === undefined ? undefined : parseCount(flags.jobs, '--jobs');
  const options = chooseBackupFormat({ format: flags.format, jobs }, { format: '--format', jobs: '--jobs' });
  const manifest = await withDatabase(context, (db) => createBackup(context, db, { ...options, ...(flags.pgBinDir ? { pgBinDir: flags.pgBinDir } : {}) }));
  context.out(
    `Backup ${manifest.id} of ${manifest.database.name} at schema version ${manifest.schemaVersion ?? 'none'}: ${join(context.backupDir, manifest.archive)} (${formatBytes(manifest.sizeBytes)}).`,
  );
  return { backup: manifest };
}

function verifiedText(manifest: BackupManifest): string {
  const verification = manifest.verification;
  if (!verification) return 'no';
  const when = verification.at.slice(0, 10);
  return verification.ok ? `yes${verification.deep ? ' (deep)' : ''} ${when}` : `FAILED (${verification.failedChecks.join(', ')}) ${when}`;
}

async function backupList(context: Context): Promise<BackupListReport> {
  const { backupListReport } = await catalog();
  const { report, manifests } = await backupListReport(context);
  if (manifests.length === 0) {
    context.out(`No backups in ${context.backupDir}.`);
  } else {
    const rows = manifests.map((manifest) => [
      manifest.id,
      manifest.createdAt.replace('T', ' ').slice(0, 19),
      manifest.database.name,
      String(manifest.schemaVersion ?? '-'),
      manifest.appVersion,
      formatBytes(manifest.sizeBytes),
      verifiedText(manifest),
    ]);
    context.out(renderTable(['ID', 'CREATED (UTC)', 'DATABASE', 'SCHEMA', 'APP', 'SIZE', 'VERIFIED'], rows));
  }
  return report;
}

async function backupVerify(context: Context, id: string, flags: { deep?: boolean; pgBinDir?: string }): Promise<unknown> {
  const { verifyBackup } = await catalog();
  const result = await verifyBackup(context, id, { deep: flags.deep === true, ...(flags.pgBinDir ? { pgBinDir: flags.pgBinDir } : {}) });
  for (const check of result.checks)
    context.out(`${check.status === 'ok' ? '✔' : check.status === 'fail' ? '✖' : '-'} ${check.check.padEnd(10)} ${check.detail}`);
  const failed = result.checks.filter((check) => check.status === 'fail');
  if (failed.length > 0) {
    const message = `Backup ${id} failed verification: ${failed.map((check) => `${check.check} check failed (${check.detail})`).join('; ')}.`;
    const fix = 'Do not rely on it: take a new backup with astra backup create.';
    // With --json, the checks are part of the one document on stdout.
    context.emit({ ...result, ok: false, error: { message, fix, exitCode: EXIT_FAILED } });
    throw new AstraError(message, { fix, exitCode: EXIT_FAILED, alreadyReported: context.json });
  }
  context.out(`Backup ${id} is sound${result.deep ? ': it restores and holds the rows it recorded' : ''}.`);
  return result;
}

async function backupPrune(context: Context, keepText: string): Promise<unknown> {
  const keep = parseCount(keepText, '--keep');
  const { pruneBackups } = await catalog();
  const result = await pruneBackups(context, keep);
  context.out(
    result.removed.length > 0
      ? `Removed ${result.removed.length} backup(s): ${result.removed.join(', ')}; kept ${result.kept.length}.`
      : `Nothing to remove: ${result.kept.length} backup(s) kept.`,
  );
  if (result.removedTemporaries.length > 0) context.log.info(`Removed ${result.removedTemporaries.length} leftover temporary file(s) of interrupted runs.`);
  return result;
}
