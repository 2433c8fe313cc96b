import type { ConnectionTarget } from '../db/connection.js';
import { compareVersions } from '../migration-version.js';
import { errorMessage } from '../errors.js';
import { cancelQuery, Database, isPgError, LOCK_NOT_AVAILABLE } from '../db/database.js';
import type { BackupManifest } from './manifest.js';
import { countListedRows, rowCountDifferences } from './row-counts.js';
import { schemaState } from './snapshot.js';

/**
 * What differs between a restored database and the backup it came from: row
 * counts per table, and (unless `ledger` is false) the migrations astra's
 * ledger records. Empty when they match. A scratch copy restored without the
 * database's settings may not find the ledger on its search path: it is
 * compared with `ledger: false`.
 */
export async function restoredDifferences(
  target: ConnectionTarget,
  manifest: BackupManifest,
  options: { ledger: boolean } = { ledger: true },
): Promise<string[]> {
  const db = await Database.connect(target);
  try {
    const differences = rowCountDifferences(manifest.tables, await countListedRows(db, manifest.tables));
    if (!options.ledger) return differences;
    const state = await schemaState(db);
    const recorded = [...manifest.appliedMigrations].sort(compareVersions).join(',');
    if (state.appliedMigrations.join(',') !== recorded) {
      differences.push(
        manifest.schemaVersion === null
          ? `the ledger astra_migrations records migrations ${state.appliedMigrations.join(', ')}, the backup none`
          : `the ledger astra_migrations records ${state.appliedMigrations.length > 0 ? `migrations up to ${state.schemaVersion}` : 'no migration'}, the backup up to ${manifest.schemaVersion}`,
      );
    }
    return differences;
  } finally {
    await db.close();
  }
}

/** How long the first pass of gatherStatistics waits for a table's lock before leaving it for the second. */
export const FIRST_PASS_LOCK_WAIT_MS = 50;

/** How long ANALYZE waits for an autovacuum worker before the server cancels it, when the role may say so. */
const AUTOVACUUM_WAIT_MS = 10;

/** SQLSTATE of "permission denied" (to set a parameter, here). */
const INSUFFICIENT_PRIVILEGE = '42501';

/** How gathering a restored database's statistics ended. */
export type StatisticsOutcome =
  /** Every table analyzed but `skipped`: those the role may not analyze (ANALYZE's own warnings, as the server words them). */
  | { gathered: true; tables: number; skipped: string[] }
  /** Not gathered: `problem` says why (the error, or the interrupt that came first). */
  | { gathered: false; problem: string };

/**
 * Gathers the planner's statistics of a restored database: ANALYZE of its
 * tables, partitioned tables and materialized views (not the system
 * catalogs, which the restore did not bring and only a superuser may
 * analyze whole). pg_restore brings back no statistics: without them the
 * application's first queries are planned as if the tables were empty
 * until autovacuum gets to them, and that autovacuum then reads every one of
 * them while the application runs. One session, after the checks (a role
 * with few connections left has the one it needs). `signal` cancels the
 * ANALYZE. Never rejects: a restore does not fail for want of statistics.
 *
 * Table by table, in two passes. Autovacuum starts on a new database's
 * tables as soon as they are loaded, and ANALYZE waits for the table's lock
 * until the server cancels the autovacuum worker (deadlock_timeout, 1 s by
 * default), once per table the worker is met on: so the first pass leaves a
 * table whose lock does not come within FIRST_PASS_LOCK_WAIT_MS, and the
 * second analyzes those, waiting as long as it takes. A role that may set
 * deadlock_timeout (a superuser, or one granted SET on it) has the server
 * cancel the worker after AUTOVACUUM_WAIT_MS instead.
 */
export async function gatherStatistics(target: ConnectionTarget, signal?: AbortSignal): Promise<StatisticsOutcome> {
  if (signal?.aborted) return { gathered: false, problem: 'interrupted before it began' };
  try {
    const db = await Database.connect(target, signal ? { signal } : {});
    const skipped: string[] = [];
    db.onNotice((message) => {
      if (/^skipping\b/i.test(message)) skipped.push(message);
    });
    let cancel: (() => void) | undefined;
    try {
      const { rows } = await db.query<{ name: string }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
      );
      if (rows.length === 0) return { gathered: true, tables: 0, skipped };
      const pid = await db.backendPid();
      cancel = () => void cancelQuery(db, pid);
      signal?.addEventListener('abort', cancel, { once: true });
      const later: string[] = [];
      await db.query(`SET deadlock_timeout = '${AUTOVACUUM_WAIT_MS}ms'`).catch((error: unknown) => {
        if (!isPgError(error) || error.code !== INSUFFICIENT_PRIVILEGE) throw error;
      });
      await db.query(`SET lock_timeout = '${FIRST_PASS_LOCK_WAIT_MS}ms'`);
      for (const { name } of rows) {
        if (signal?.aborted) break;
        try {
          await db.query(`ANALYZE ${name}`);
        } catch (error) {
          if (!isPgError(error) || error.code !== LOCK_NOT_AVAILABLE) throw error;
          later.push(name);
        }
      }
      await db.query('SET lock_timeout = 0');
      if (later.length > 0 && !signal?.aborted) await db.query(`ANALYZE ${later.join(', ')}`);
      return signal?.aborted ? { gathered: false, problem: 'interrupted' } : { gathered: true, tables: rows.length, skipped };
    } finally {
      if (cancel) signal?.removeEventListener('abort', cancel);
      await db.close();
    }
  } catch (error) {
    return { gathered: false, problem: signal?.aborted ? 'interrupted' : errorMessage(error) };
  }
}
