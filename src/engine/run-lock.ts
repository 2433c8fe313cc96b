import { acquireRunLock, releaseRunLock } from '../db/advisory-lock.js';
import { Database } from '../db/database.js';
import { formatMs } from '../duration.js';
import type { Context } from './context.js';

/** Connects to the context's database for the length of `work`. */
export async function withDatabase<T>(context: Pick<Context, 'target'> & Partial<Pick<Context, 'log'>>, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.connect(await context.target(), undefined, (sentence) => context.log?.warn(sentence));
  try {
    return await work(db);
  } finally {
    await db.close();
  }
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
