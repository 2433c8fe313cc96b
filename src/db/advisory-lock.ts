import { operationError } from '../errors.js';
import type { Database } from './database.js';

/** The advisory lock key every astra run takes on its database ("astra" in ASCII, as a number). */
export const ASTRA_LOCK_KEY = 0x6173747261;

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  since: Date | null;
}

export interface AcquireOptions {
  /** Give up after this many milliseconds. */
  waitMs: number;
  /** Called once, when the lock is held by someone else and we start waiting. */
  onWait?: (holder: LockHolder | undefined) => void;
  pollMs?: number;
  /** Aborted: stop waiting (nothing has changed yet). */
  signal?: AbortSignal | undefined;
}

/**
 * Takes the session-level advisory lock that serialises astra runs. It polls
 * with pg_try_advisory_lock rather than blocking in pg_advisory_lock: a blocked
 * query holds a snapshot, and CREATE INDEX CONCURRENTLY run by the lock holder
 * would wait for that snapshot to go away, forever.
 */
export async function acquireRunLock(db: Database, options: AcquireOptions): Promise<void> {
  const deadline = Date.now() + options.waitMs;
  let announced = false;
  for (;;) {
    const { rows } = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [ASTRA_LOCK_KEY]);
    if (rows[0]?.locked) return;
    if (!announced) {
      announced = true;
      options.onWait?.(await lockHolder(db));
    }
    if (options.signal?.aborted) {
      throw operationError('Stopped while waiting for another astra run to release its lock, as asked; nothing was changed.', 'Run again when ready.');
    }
    if (Date.now() >= deadline) {
      const holder = await lockHolder(db);
      throw operationError(
        `Another astra run holds the lock on this database${holder ? ` (server pid ${holder.pid}, ${holder.applicationName || 'unknown application'})` : ''}; gave up after ${Math.round(options.waitMs / 1000)}s.`,
        'Wait for it to finish, or raise --lock-wait.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}

export async function releaseRunLock(db: Database): Promise<void> {
  await db.query('SELECT pg_advisory_unlock($1::bigint)', [ASTRA_LOCK_KEY]).catch(() => {});
}

async function lockHolder(db: Database): Promise<LockHolder | undefined> {
  const { rows } = await db.query<{ pid: number; application_name: string; client_addr: string | null; backend_start: Date | null }>(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
      LIMIT 1`,
    [ASTRA_LOCK_KEY],
  );
  const row = rows[0];
  return row ? { pid: row.pid, applicationName: row.application_name, clientAddr: row.client_addr, since: row.backend_start } : undefined;
}

/** SQL that is true when this session holds an advisory lock other than astra's run lock. */
export const OTHER_ADVISORY_LOCKS = `EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
  AND NOT (objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ${ASTRA_LOCK_KEY}::bigint))`;

/**
 * Releases the session-level advisory locks this session holds, except
 * astra's run lock: those a migration took and did not release, which would
 * otherwise stay held for the rest of the run.
 */
export async function releaseAdvisoryLocksExceptRunLock(db: Database): Promise<void> {
  const { rows } = await db.query<{ key1: string; key2: string; pair: boolean; shared: boolean }>(
    `SELECT classid::text AS key1, objid::text AS key2, objsubid = 2 AS pair, mode = 'ShareLock' AS shared
       FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
        AND NOT (objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint)`,
    [ASTRA_LOCK_KEY],
  );
  for (const row of rows) {
    const unlock = `pg_advisory_unlock${row.shared ? '_shared' : ''}`;
    // pg_locks shows the keys as unsigned oids: a pair of int4 keys is turned back into signed ints.
    const signed = (n: number) => `(CASE WHEN $${n}::bigint >= 2147483648 THEN $${n}::bigint - 4294967296 ELSE $${n}::bigint END)::int`;
    const call = row.pair ? `${unlock}(${signed(1)}, ${signed(2)})` : `${unlock}((($1::bigint << 32) | $2::bigint))`;
    // A lock taken n times is held until released n times.
    for (let held = true; held;) {
      const result = await db.query<{ released: boolean }>(`SELECT ${call} AS released`, [row.key1, row.key2]);
      held = result.rows[0]?.released === true;
    }
  }
}
