import { chmod, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import type { MigrationVersion } from '../migration-version.js';
import { join } from 'node:path';
import type { Context } from '../engine/context.js';
import { cancelQuery, Database } from '../db/database.js';
import { formatMs } from '../duration.js';
import { errorMessage, operationError } from '../errors.js';
import { findClientTool } from '../pgtools/client-tools.js';
import { formatBytes } from '../ui/format.js';
import { astraVersion } from '../version.js';
import { newBackupId } from './backup-id.js';
import { archiveDigest } from './checksum.js';
import { childEnvironment } from '../pgtools/child-environment.js';
import { ensureBackupFolder, fsyncPath, temporaryName, writeManifest } from './folder.js';
import { interruptedError, watchInterrupts } from '../engine/interrupt.js';
import { once } from '../undo.js';
import { archiveNameOf, type BackupFormat, type BackupManifest, type TableCount } from './manifest.js';
import { runPgDump } from '../pgtools/pg-dump.js';
import { liveProgress, progressWorthReporting, runSteps } from '../ui/progress.js';
import { countRows, userTables } from './row-counts.js';
import { majorOf, schemaState, serverVersionText, withExportedSnapshot, type SchemaState } from './snapshot.js';

export interface CreateBackupOptions {
  /** `custom` (the default) or `directory`; `jobs` implies `directory`. */
  format?: BackupFormat;
  /** Parallel pg_dump jobs, for the directory format. */
  jobs?: number;
  /** The release the database is being upgraded from and to, recorded in the manifest. */
  fromVersion?: string;
  toVersion?: string;
  /** Folder of pg_dump (else ASTRA_PG_BIN_DIR, else found on the machine). */
  pgBinDir?: string;
  /** Progress lines go here instead of a task list, for a caller that draws its own. */
  onProgress?: (text: string) => void;
  /** What to run again after an interrupt (default: astra backup create). */
  rerun?: string;
}

interface DumpOutcome {
  state: SchemaState;
  tables: TableCount[];
}

/**
 * Takes a backup of `db` into context.backupDir and returns its manifest.
 * The archive is written under a temporary name, made durable (file and
 * folder fsynced), renamed, and only then is the manifest written: a crash at
 * any point leaves no file that lists as a backup.
 */
export async function createBackup(context: Context, db: Database, options: CreateBackupOptions = {}): Promise<BackupManifest> {
  const format: BackupFormat = options.format ?? (options.jobs !== undefined ? 'directory' : 'custom');
  const dir = context.backupDir;
  const startedAt = new Date();
  const id = newBackupId(startedAt);
  const name = archiveNameOf(id, format);
  const temporary = join(dir, temporaryName(name));
  const final = join(dir, name);
  const interrupts = watchInterrupts(context.signal, (line) => context.log.warn(line));
  const abort = new AbortController();
  interrupts.signal.addEventListener('abort', () => abort.abort(), { once: true });
  /** What this backup has done, which the undo reads: once the manifest is written, the backup exists and is kept. */
  const recorded = { manifestWritten: false };
  const undo = once(async () => {
    abort.abort();
    if (recorded.manifestWritten) return;
    await rm(temporary, { recursive: true, force: true });
    await rm(final, { recursive: true, force: true });
  });
  const stopIfInterrupted = () => {
    if (interrupts.received()) throw new Error('interrupted');
  };

  let manifest: BackupManifest | undefined;
  try {
    await ensureBackupFolder(dir, context.log);
    const serverVersionNum = await db.serverVersionNum();
    const serverVersion = await serverVersionText(db);
    const pgDump = await findClientTool('pg_dump', majorOf(serverVersionNum), options.pgBinDir);
    stopIfInterrupted();
    await createPrivately(temporary, format, dir);
    const config = db.target.config;
    let outcome: DumpOutcome | undefined;

    await runSteps(
      [
        {
          title: `Dump ${db.target.label} with pg_dump ${pgDump.version} (${format} format${format === 'directory' && options.jobs ? `, ${options.jobs} jobs` : ''})`,
          run: async (report) => {
            outcome = await dumpInSnapshot(db, {
              tool: pgDump.path,
              env: childEnvironment(config, `astra ${astraVersion} pg_dump`),
              format,
              path: temporary,
              jobs: options.jobs,
              abort,
              report,
              live: liveProgress(context.progress),
            });
            return `Dumped ${outcome.tables.length} table(s) of ${db.target.label}`;
          },
        },
        {
          title: `Save ${final}`,
          run: async () => {
            await makeDurable(temporary, format);
            stopIfInterrupted();
            await rename(temporary, final);
            await fsyncPath(dir);
            const digest = await archiveDigest(final, format);
            const dumped = outcome as DumpOutcome;
            manifest = {
              manifestVersion: 1,
              id,
              createdAt: startedAt.toISOString(),
              database: {
                name: String(config.database ?? ''),
                host: String(config.host ?? 'localhost'),
                port: Number(config.port ?? 5432),
                user: String(config.user ?? ''),
              },
              serverVersion,
              serverVersionNum,
              pgDumpVersion: pgDump.version,
              appVersion: astraVersion,
              schemaVersion: dumped.state.schemaVersion,
              appliedMigrations: dumped.state.appliedMigrations,
              ...(dumped.state.unfinishedMigrations.length > 0 ? { unfinishedMigrations: dumped.state.unfinishedMigrations } : {}),
              format,
              archive: name,
              sizeBytes: digest.sizeBytes,
              sha256: digest.sha256,
              durationMs: Date.now() - startedAt.getTime(),
              tables: dumped.tables,
              ...(options.fromVersion !== undefined ? { fromVersion: options.fromVersion } : {}),
              ...(options.toVersion !== undefined ? { toVersion: options.toVersion } : {}),
            };
            stopIfInterrupted();
            await writeManifest(dir, manifest);
            recorded.manifestWritten = true;
            return `Saved backup ${id} (${formatBytes(digest.sizeBytes)}, ${formatMs(manifest.durationMs)})`;
          },
        },
      ],
      {
        mode: context.progress,
        // The library draws nothing: its logger, if any, gets the lines.
        ...(options.onProgress
          ? { onProgress: options.onProgress }
          : context.progress === 'silent'
            ? { onProgress: (line: string) => context.log.info(line) }
            : {}),
      },
    );
  } catch (error) {
    await undo();
    const signal = interrupts.received();
    if (signal && !recorded.manifestWritten) {
      throw interruptedError(
        signal,
        `while backup ${id} was being taken`,
        'the partial archive was removed and no backup was recorded.',
        `Run ${options.rerun ?? 'astra backup create'} again.`,
      );
    }
    throw error;
  } finally {
    interrupts.stop();
  }
  // A signal that arrived once the manifest was written changes nothing: the backup is complete.
  if (manifest && interrupts.received()) context.log.warn(`Backup ${id} was complete when the interrupt came; it is kept.`);
  if (!manifest) throw operationError('The backup did not finish.', 'Run it again.');
  if (manifest.unfinishedMigrations) context.log.warn(unfinishedWarning(manifest.id, manifest.unfinishedMigrations));
  return manifest;
}

/** The archive's temporary file (0600) or folder (0700), made before pg_dump writes into it. */
async function createPrivately(path: string, format: BackupFormat, dir: string): Promise<void> {
  try {
    if (format === 'directory') {
      await mkdir(path, { mode: 0o700 });
    } else {
      await (await open(path, 'wx', 0o600)).close();
    }
  } catch (error) {
    throw operationError(
      `Cannot write in the backup folder ${dir}: ${errorMessage(error)}.`,
      'Pass --backup-dir (or set ASTRA_BACKUP_DIR) to a folder astra can write.',
      error,
    );
  }
}

interface DumpRun {
  tool: string;
  env: Record<string, string | undefined>;
  format: BackupFormat;
  path: string;
  jobs: number | undefined;
  /** Stops pg_dump: on an interrupt, or when counting fails. */
  abort: AbortController;
  report: (text: string) => void;
  live: boolean;
}

/** pg_dump and the row counts in one exported snapshot, side by side. */
async function dumpInSnapshot(db: Database, run: DumpRun): Promise<DumpOutcome> {
  return withExportedSnapshot(db, async (snapshot) => {
    const state = await schemaState(db);
    const total = (await userTables(db)).length;
    let done = 0;
    const previousUmask = process.umask(0o077);
    let dump: Promise<void>;
    try {
      dump = runPgDump({
        tool: run.tool,
        env: run.env,
        format: run.format,
        path: run.path,
        ...(run.jobs !== undefined ? { jobs: run.jobs } : {}),
        snapshot,
        signal: run.abort.signal,
        onTable: (table) => {
          done = Math.min(done + 1, total);
          if (progressWorthReporting(done, total, run.live)) run.report(`${done} of ${total} tables (${table})`);
        },
      });
    } finally {
      process.umask(previousUmask);
    }
    // A stop (interrupt) must not leave the count waiting, e.g. behind a
    // table lock that also holds pg_dump: it is cancelled from the side.
    const pid = await db.backendPid();
    const cancelCounting = () => void cancelQuery(db, pid);
    run.abort.signal.addEventListener('abort', cancelCounting, { once: true });
    const counting = countRows(db).catch((error: unknown) => {
      run.abort.abort();
      throw error;
    });
    const [dumped, counted] = await Promise.allSettled([dump, counting]);
    run.abort.signal.removeEventListener('abort', cancelCounting);
    if (counted.status === 'rejected') {
      throw operationError(
        `Counting the rows of the tables failed: ${errorMessage(counted.reason)}.`,
        'Check that the role can read every table.',
        counted.reason,
      );
    }
    if (dumped.status === 'rejected') throw dumped.reason;
    return { state, tables: counted.value };
  });
}

/** Mode 0600/0700 on what pg_dump wrote, and fsync of every file and the folder holding them. */
async function makeDurable(path: string, format: BackupFormat): Promise<void> {
  if (format === 'directory') {
    for (const name of await readdir(path)) {
      const file = join(path, name);
      await chmod(file, 0o600);
      await fsyncPath(file);
    }
    await chmod(path, 0o700);
  } else {
    await chmod(path, 0o600);
  }
  await fsyncPath(path);
}

/** Said when a backup is taken, and again when it is restored: it holds a database in the middle of a migration. */
export function unfinishedWarning(id: string, versions: MigrationVersion[]): string {
  return `Backup ${id} was taken while migration(s) ${versions.join(', ')} were unfinished (dirty): it holds the database in the middle of ${versions.length === 1 ? 'it' : 'them'}, and the ledger it restores says so.`;
}
