import { acquireRunLock, releaseRunLock } from '../db/advisory-lock.js';
import { Database, refusedForSwap } from '../db/database.js';
import { formatMs } from '../duration.js';
import { letConnectionStart } from '../pause.js';
import type { Context } from './context.js';

/**
 * Connects to the context's database for the length of `work`. The
 * connection is closed without waiting for the server's process to exit
 * (Database.close): a connection this process opens later waits for that.
 */
export async function withDatabase<T>(context: Pick<Context, 'target'> & Partial<Pick<Context, 'log'>>, work: (db: Database) => Promise<T>): Promise<T> {
  return usingConnection(Database.connect(await context.target(), { onReopened: (sentence) => context.log?.warn(sentence) }), work);
}

async function usingConnection<T>(opening: Promise<Database>, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await opening;
  try {
    return await work(db);
  } finally {
    await db.close({ waitForServer: false });
  }
}

/**
 * withDatabase for work that first spends a while on its own (reading and
 * parsing migration files): when the target is given (givenTarget), the
 * connection opens while `prepare` runs, so the server's start of a session
 * and its authentication overlap that work. When `prepare` fails, its error
 * is the one thrown, whatever became of the connection, which is dropped (one
 * still waiting for a server that does not answer included: nothing is left
 * to keep the process up). The embedded cluster is started only once
 * `prepare` has passed: bad input changes nothing.
 */
export async function withDatabaseWhile<P, T>(
  context: Pick<Context, 'target' | 'givenTarget'> & Partial<Pick<Context, 'log'>>,
  prepare: () => Promise<P>,
  work: (db: Database, prepared: P) => Promise<T>,
): Promise<T> {
  // A target that cannot be resolved (a bad URL) is reported by target(), after prepare: the input's errors come first.
  const target = await context.givenTarget?.().catch(() => undefined);
  if (!target) {
    const prepared = await prepare();
    return withDatabase(context, (db) => work(db, prepared));
  }
  const abandon = new AbortController();
  const opening = Database.connect(target, { reopen: false, signal: abandon.signal });
  // Its failure is reported below, once prepare has succeeded.
  opening.catch(() => {});
  let prepared: P;
  try {
    await letConnectionStart();
    prepared = await prepare();
  } catch (error) {
    abandon.abort(new Error('The connection was not needed: the work before it failed.'));
    void opening.then(
      (db) => db.close({ waitForServer: false }),
      () => {},
    );
    throw error;
  }
  // A database left refusing connections is reopened only now that the input has passed.
  const reopening = opening.catch((error: unknown) => {
    if (!refusedForSwap(error)) throw error;
    return Database.connect(target, { onReopened: (sentence) => context.log?.warn(sentence) });
  });
  return usingConnection(reopening, (db) => work(db, prepared));
}

/** Holds astra's advisory lock on `db` for the length of `work`, waiting for another run up to `waitMs`. */
export async function withRunLock<T>(context: Pick<Context, 'log' | 'signal'>, db: Database, waitMs: number, work: () => Promise<T>): Promise<T> {
  await acquireRunLock(db, {
    waitMs,
    signal: context.signal,
    onWait: (holder) =>
      context.log.info(
        `Waiting for another astra run to finish${holder ? ` (server pid ${holder.pid}${holder.applicationName ? `, ${holder.applicationName}` : ''})` : ''}; giving up after ${formatMs(waitMs)} (--lock-wait).`,
      ),
  });
  try {
    return await work();
  } finally {
    await releaseRunLock(db);
  }
}
