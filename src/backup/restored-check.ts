import type { ConnectionTarget } from '../db/connection.js';
import { compareVersions } from '../migration-version.js';
import { errorMessage } from '../errors.js';
import { cancelQuery, Database, isPgError, LOCK_NOT_AVAILABLE, type PgError } from '../db/database.js';
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
const FIRST_PASS_LOCK_WAIT_MS = 50;

/** How long ANALYZE waits for an autovacuum worker before the server cancels it, when the role may say so. */
const AUTOVACUUM_WAIT_MS = 10;

/** The server's warnings for a table ANALYZE leaves out for want of privilege (up to 15; 16 and later). */
const SKIPPED_NOTICE = /^skipping\b|, skipping it$/i;

/**
 * SQLSTATEs of an error that is not one table's: the connection lost (08),
 * the server shutting down or the database gone (57P01-57P05), a server
 * short of memory or disk (53), an I/O error (58), an internal error (XX).
 * Every table after it would fail the same way, so it ends the step. Told by
 * code, not by the error's severity: the server translates that word.
 */
const NOT_THE_TABLES = /^(08|53|57P0[1-5]|58|XX)/;

/** Whether an error of a table's ANALYZE is that table's own, so that the others are still analyzed. */
export function isTablesOwnError(error: unknown): error is PgError {
  return isPgError(error) && error.code !== undefined && !NOT_THE_TABLES.test(error.code);
}

/** A table whose ANALYZE the server refused with an error, and that error. */
export interface StatisticsFailure {
  table: string;
  problem: string;
}

/** How gathering a restored database's statistics ended. */
export type StatisticsOutcome =
  /**
   * Every table analyzed but `skipped` (those the role may not analyze:
   * ANALYZE's own warnings, as the server words them) and `failed` (an
   * error of that table's ANALYZE: a function of an expression index that
   * raises, the database's statement_timeout).
   */
  | { gathered: true; tables: number; skipped: string[]; failed: StatisticsFailure[] }
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
 * second analyzes those, under the database's own lock_timeout (none by
 * default). A role that may set deadlock_timeout (a superuser, or on 15
 * and later one granted SET on it) has the server cancel the worker after
 * AUTOVACUUM_WAIT_MS instead; the role is asked first, so that a refusal
 * leaves no error in the server's log. Partitions are not listed: ANALYZE
 * of their partitioned table covers them. A table whose ANALYZE fails with
 * an error of its own is listed under `failed` and the others are still
 * analyzed; an error that is not one table's (isTablesOwnError: the
 * connection lost, a full disk) ends the step.
 */
export async function gatherStatistics(target: ConnectionTarget, signal?: AbortSignal): Promise<StatisticsOutcome> {
  if (signal?.aborted) return { gathered: false, problem: 'interrupted before it began' };
  try {
    const db = await Database.connect(target, signal ? { signal } : {});
    // A table left for the second pass may warn twice.
    const skipped = new Set<string>();
    db.onNotice((message) => {
      if (SKIPPED_NOTICE.test(message)) skipped.add(message);
    });
    let cancel: (() => void) | undefined;
    const interrupted: StatisticsOutcome = { gathered: false, problem: 'interrupted' };
    try {
      const { rows } = await db.query<{ name: string }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
            AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
      );
      if (rows.length === 0) return { gathered: true, tables: 0, skipped: [], failed: [] };
      const pid = await db.backendPid();
      cancel = () => void cancelQuery(db, pid);
      signal?.addEventListener('abort', cancel, { once: true });
      if (await maySetDeadlockTimeout(db)) await db.query("SELECT set_config('deadlock_timeout', $1, false)", [`${AUTOVACUUM_WAIT_MS}ms`]);
      await db.query("SELECT set_config('lock_timeout', $1, false)", [`${FIRST_PASS_LOCK_WAIT_MS}ms`]);
      const failed: StatisticsFailure[] = [];
      // 'later' when the first pass could not lock the table in time.
      const analyze = async (name: string, firstPass: boolean): Promise<'done' | 'later'> => {
        try {
          await db.query(`ANALYZE ${name}`);
        } catch (error) {
          // A cancel of ours, or an error that is not the table's, ends the step.
          if (signal?.aborted || !isTablesOwnError(error)) throw error;
          if (firstPass && error.code === LOCK_NOT_AVAILABLE) return 'later';
          failed.push({ table: name, problem: error.message });
        }
        return 'done';
      };
      const later: string[] = [];
      for (const { name } of rows) {
        if (signal?.aborted) return interrupted;
        if ((await analyze(name, true)) === 'later') later.push(name);
      }
      if (later.length > 0) {
        await db.query('RESET lock_timeout');
        for (const name of later) {
          if (signal?.aborted) return interrupted;
          await analyze(name, false);
        }
      }
      return signal?.aborted ? interrupted : { gathered: true, tables: rows.length, skipped: [...skipped], failed };
    } finally {
      if (cancel) signal?.removeEventListener('abort', cancel);
      await db.close();
    }
  } catch (error) {
    return { gathered: false, problem: signal?.aborted ? 'interrupted' : errorMessage(error) };
  }
}

/** Whether this session's role may set deadlock_timeout: a superuser, or (15 and later) a role granted SET on it. */
async function maySetDeadlockTimeout(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ superuser: boolean; version: number }>(
    "SELECT current_setting('is_superuser') = 'on' AS superuser, current_setting('server_version_num')::int AS version",
  );
  const facts = rows[0];
  if (facts?.superuser) return true;
  if (!facts || facts.version < 150000) return false;
  const granted = await db.query<{ may: boolean }>("SELECT has_parameter_privilege('deadlock_timeout', 'SET') AS may");
  return granted.rows[0]?.may === true;
}
