import { join } from 'node:path';
import type { ConnectionTarget } from '../db/connection.js';
import { connectMaintenance, createEmptyDatabase, dropDatabase, onAnyConnection, targetFor, type DatabaseShape } from '../db/database-admin.js';
import type { Database } from '../db/database.js';
import { childEnvironment } from '../pgtools/child-environment.js';
import type { ClientTool } from '../pgtools/client-tools.js';
import { restoreArchive } from '../pgtools/pg-restore.js';
import { once, type Undo } from '../undo.js';
import { astraVersion } from '../version.js';
import type { BackupManifest } from './manifest.js';
import { restoredDifferences } from './restored-check.js';

export interface RestoreCopyRun {
  /** A connection to the server's maintenance database, which creates and drops the copy. */
  admin: Database;
  /** The server and credentials to restore with; the database it names is not touched. */
  target: ConnectionTarget;
  backupDir: string;
  manifest: BackupManifest;
  pgRestore: ClientTool;
  /** The new database's name. */
  name: string;
  /** Shape the copy like this database (owner, encoding, locale, tablespace); else the server's defaults. */
  like?: DatabaseShape;
  /** Leave ownership and grants out: for a scratch copy that only has to hold the data. */
  dataOnlyOwnership?: boolean;
  /** Parallel pg_restore jobs. */
  jobs?: number;
  /** Compare the migrations astra's ledger records too, not only the row counts (see restoredDifferences). */
  compareLedger: boolean;
  /** Aborting it stops pg_restore; the copy is then dropped. */
  signal?: AbortSignal;
  /** Called once the new database exists, before pg_restore starts. */
  onCreated?: () => void;
  /** Called when the copy could not be dropped, for the operator to drop it by hand. */
  onDropFailed: (error: unknown) => void;
}

/** How a restore into a new database ended. */
export type RestoredCopy =
  /** Restored; `differences` from the manifest (empty when it matches). The copy is the caller's: `drop` removes it (once; false when it could not). */
  | { ok: true; differences: string[]; drop: Undo<boolean> }
  /** Creating it, restoring into it (or being stopped) or comparing it failed; whatever was created has been dropped. */
  | { ok: false; stage: 'create' | 'restore' | 'check'; error: unknown };

/**
 * Restores backup `manifest` into the new database `name` and compares it
 * with the manifest (row counts per table and, with `compareLedger`, the
 * migrations astra's ledger records): `astra backup verify --deep` and the swap rollback both stand on
 * it. When anything fails or `signal` is aborted, the new database is dropped
 * before this returns; on success it is left to the caller, with its `drop`.
 */
export async function restoreCopy(run: RestoreCopyRun): Promise<RestoredCopy> {
  const recorded = { created: false };
  const drop = once(async () => {
    if (!recorded.created) return true;
    let problem: unknown;
    const dropped = await onAnyConnection(
      run.admin,
      () => connectMaintenance(run.target),
      (db) =>
        dropDatabase(db, run.name).catch((error: unknown) => {
          problem = error;
          throw error;
        }),
    );
    if (!dropped) run.onDropFailed(problem);
    return dropped;
  }, false);
  const failed = async (stage: 'create' | 'restore' | 'check', error: unknown): Promise<RestoredCopy> => {
    await drop();
    return { ok: false, stage, error };
  };

  try {
    await createEmptyDatabase(run.admin, run.name, run.like);
    recorded.created = true;
  } catch (error) {
    return failed('create', error);
  }
  run.onCreated?.();
  try {
    const freeConnections = run.jobs === undefined ? await connectionsLeft(run.admin, run.name) : undefined;
    await restoreArchive({
      tool: run.pgRestore.path,
      env: childEnvironment(run.target.config, `astra ${astraVersion} pg_restore`, run.name),
      archive: join(run.backupDir, run.manifest.archive),
      ...(run.jobs !== undefined ? { jobs: run.jobs } : {}),
      ...(freeConnections !== undefined ? { freeConnections } : {}),
      ...(run.dataOnlyOwnership ? { dataOnlyOwnership: true } : {}),
      ...(run.signal ? { signal: run.signal } : {}),
    });
  } catch (error) {
    return failed('restore', error);
  }
  if (run.signal?.aborted) return failed('restore', new Error('stopped once pg_restore had finished'));
  try {
    // The copy is read where the project file puts the ledger (a schema of its own), as the original is.
    const copy = { ...targetFor(run.target, run.name), ...(run.target.placement ? { placement: run.target.placement } : {}) };
    return { ok: true, differences: await restoredDifferences(copy, run.manifest, { ledger: run.compareLedger }), drop };
  } catch (error) {
    return failed('check', error);
  }
}

/**
 * How many more sessions the server, the role and `database` allow now: the
 * fewest of max_connections less the superuser reserve and the sessions
 * open, the role's CONNECTION LIMIT less its sessions, and the database's.
 * pg_restore's default jobs stay below it, so that a rollback does not fail
 * for want of a connection.
 */
async function connectionsLeft(admin: Database, database: string): Promise<number> {
  const { rows } = await admin.query<{ server: number; role: number | null; database: number | null }>(
    `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
              - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS server,
            (SELECT CASE WHEN rolconnlimit < 0 THEN NULL
                         ELSE rolconnlimit - (SELECT count(*) FROM pg_stat_activity WHERE usename = current_user)::int END
               FROM pg_roles WHERE rolname = current_user) AS role,
            (SELECT CASE WHEN datconnlimit < 0 THEN NULL ELSE datconnlimit END FROM pg_database WHERE datname = $1) AS database`,
    [database],
  );
  const row = rows[0];
  return Math.min(...[row?.server, row?.role, row?.database].filter((value): value is number => typeof value === 'number'));
}
