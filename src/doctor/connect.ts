import { Database } from '../db/database.js';
import type { ConnectionTarget } from '../db/connection.js';
import { serverAddress } from '../db/target.js';
import { formatMs } from '../duration.js';
import { operationError } from '../errors.js';

/**
 * Opens a connection, giving up after `ms`: the attempt is dropped then (its
 * socket destroyed). What the attempt may still be doing that a signal does
 * not stop (waiting for this process's closing connections) ends on its own;
 * the answer does not wait for it.
 */
async function connectWithin(target: ConnectionTarget, ms: number): Promise<Database> {
  const abandon = new AbortController();
  // A health check reports a database that refuses connections; it does not open it (astra migrate, status or rollback do, and say so).
  const attempt = Database.connect(target, { reopen: false, signal: abandon.signal });
  // A late connection is closed; a late failure is not news.
  attempt.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = operationError(
        `Could not connect to PostgreSQL at ${serverAddress(target.config)}: no answer within ${formatMs(ms)}.`,
        'Check the host, the port and any firewall between here and the server.',
      );
      abandon.abort(error);
      void attempt.then(
        (db) => db.close({ waitForServer: false }),
        () => {},
      );
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A connection and how long opening it took (module loading around it not counted). */
export interface TimedConnection {
  database: Database;
  connectMs: number;
}

/** connectWithin, timed. */
export async function timedConnect(target: ConnectionTarget, ms: number): Promise<TimedConnection> {
  const started = performance.now();
  const database = await connectWithin(target, ms);
  return { database, connectMs: performance.now() - started };
}
