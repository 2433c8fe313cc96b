import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Database } from '../db/database.js';
import type { ConnectionTarget } from '../db/target.js';
import { operationError } from '../errors.js';
import type { Log } from '../ui/log.js';
import { quoteClickhouse, type Clickhouse } from './connection.js';

/**
 * One astra run at a time on a ClickHouse database. ClickHouse has no
 * advisory locks, so:
 *
 * - when the project has a PostgreSQL database, the lock is a PostgreSQL
 *   advisory lock there, keyed by the ClickHouse database (host, port, name):
 *   as strong as astra's run lock, and released when the process dies;
 * - otherwise a lease in the ClickHouse database itself (`astra_lock`): a
 *   runner writes a claim with an expiry, waits for claims in flight to land,
 *   and holds the lock when its claim is the oldest live one and its own
 *   write was quick (a slow one may have been missed: withdrawn, retried); it renews the
 *   claim while it runs, and withdraws it at the end. Its limits: it relies
 *   on the clocks of the machines that run astra agreeing to within a second
 *   or so, and on the server showing a write to the next read (one server, or
 *   replicas read with sequential consistency, and inserts that are not
 *   asynchronous); a runner that stops renewing
 *   (killed) holds it until the lease expires (30 s).
 */
export interface ClickhouseLock {
  /** Whether the lock is still held: a lease that could not be renewed in time is not. */
  held(): boolean;
  release(): Promise<void>;
}

export interface LockOptions {
  waitMs: number;
  log: Log;
  signal?: AbortSignal | undefined;
  /** A PostgreSQL database of the same project to hold the lock in. */
  postgres?: ConnectionTarget | undefined;
}

export const LEASE_TABLE = 'astra_lock';
const LEASE_MS = 30_000;
/** Long enough for a claim written just before ours (by a slower runner) to be visible. */
const SETTLE_MS = 1_000;
/** A claim whose write took longer than this is withdrawn: others may have read before it landed. */
const SLOW_CLAIM_MS = SETTLE_MS / 2;
const POLL_MS = 500;
const LEASE_MARGIN_MS = 5_000;

/** A 32-bit key for the ClickHouse database, the second half of the PostgreSQL advisory lock's two keys. */
function keyOf(label: string): number {
  let hash = 0x811c9dc5;
  for (const char of Buffer.from(label)) hash = Math.imul(hash ^ char, 0x01000193);
  return hash | 0;
}
/** "astr": the first half, so the key never meets the run lock's single bigint key. */
const CLASS_KEY = 0x61737472;

function gaveUp(label: string, waitMs: number) {
  return operationError(
    `Another astra run holds the lock on the ClickHouse database ${label}; gave up after ${Math.round(waitMs / 1000)}s.`,
    'Wait for it to finish, or raise --lock-wait.',
  );
}

const stopped = () =>
  operationError('Stopped while waiting for another astra run to release its lock, as asked; nothing was changed.', 'Run again when ready.');

export async function lockClickhouse(db: Clickhouse, options: LockOptions): Promise<ClickhouseLock> {
  return options.postgres ? lockInPostgres(db.label, options.postgres, options) : lease(db, options);
}

async function lockInPostgres(label: string, target: ConnectionTarget, options: LockOptions): Promise<ClickhouseLock> {
  const pg = await Database.connect(target);
  const key = keyOf(label);
  const deadline = Date.now() + options.waitMs;
  try {
    for (let announced = false; ; announced = true) {
      const { rows } = await pg.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS locked', [CLASS_KEY, key]);
      if (rows[0]?.locked) break;
      if (!announced) options.log.info(`Waiting for another astra run on ${label} to finish (its lock is held in ${target.label})…`);
      if (options.signal?.aborted) throw stopped();
      if (Date.now() >= deadline) throw gaveUp(label, options.waitMs);
      await sleep(POLL_MS);
    }
  } catch (error) {
    await pg.close();
    throw error;
  }
  return { held: () => true, release: () => pg.close() };
}

async function lease(db: Clickhouse, options: LockOptions): Promise<ClickhouseLock> {
  await db.command(
    `CREATE TABLE IF NOT EXISTS ${quoteClickhouse(LEASE_TABLE)} (holder String, claimed_at UInt64, expires_at UInt64, seq UInt64)
     ENGINE = ReplacingMergeTree(seq) ORDER BY holder`,
  );
  const holder = `${process.pid}-${randomBytes(6).toString('hex')}`;
  let seq = 0;
  const write = (claimedAt: number, expiresAt: number) =>
    db.insert(LEASE_TABLE, [{ holder, claimed_at: claimedAt, expires_at: expiresAt, seq: `${Date.now()}${String(++seq).padStart(6, '0')}` }]);
  const deadline = Date.now() + options.waitMs;
  for (let announced = false; ; announced = true) {
    const claimedAt = Date.now();
    const writeStarted = performance.now();
    await write(claimedAt, claimedAt + LEASE_MS);
    // A claim that took long to land may have been missed by a runner that read before it: it does not count, and is withdrawn.
    // Any claim that landed within SLOW_CLAIM_MS is seen by every runner whose own claim is newer, since they read SETTLE_MS after theirs.
    const landed = performance.now() - writeStarted <= SLOW_CLAIM_MS;
    await sleep(SETTLE_MS);
    const now = Date.now();
    const live = await db.rows<{ holder: string; claimed_at: string }>(
      `SELECT holder, argMax(claimed_at, seq) AS claimed_at, argMax(expires_at, seq) AS expires_at
         FROM ${quoteClickhouse(LEASE_TABLE)} GROUP BY holder HAVING expires_at > ${now} ORDER BY claimed_at, holder`,
    );
    // A slow claim still holds when it is the only live one: any other runner that could hold has a claim that landed before this read.
    if (live[0]?.holder === holder && (landed || live.length === 1)) return held(db, write, claimedAt, options.log);
    // Someone older holds it (or claims it): withdraw, so our next claim is newer than theirs.
    await write(claimedAt, 0);
    if (!announced) options.log.info(`Waiting for another astra run on ${db.label} to finish (a lease in ${LEASE_TABLE})…`);
    if (options.signal?.aborted) throw stopped();
    if (Date.now() >= deadline) throw gaveUp(db.label, options.waitMs);
    await sleep(POLL_MS);
  }
}

function held(db: Clickhouse, write: (claimedAt: number, expiresAt: number) => Promise<void>, claimedAt: number, log: Log): ClickhouseLock {
  // Renewed well before it expires; a renewal that fails is said, and the run goes on while the lease has time left.
  let validUntil = claimedAt + LEASE_MS;
  const timer = setInterval(() => {
    const renewedAt = Date.now();
    write(claimedAt, renewedAt + LEASE_MS).then(
      () => (validUntil = renewedAt + LEASE_MS),
      (error: unknown) => log.warn(`Could not renew the lock on ${db.label}: ${String(error)}`),
    );
  }, LEASE_MS / 3);
  timer.unref();
  return {
    // A margin for the clocks of other runners, which judge the lease by theirs.
    held: () => Date.now() < validUntil - LEASE_MARGIN_MS,
    release: async () => {
      clearInterval(timer);
      await write(claimedAt, 0).catch(() => {});
    },
  };
}
