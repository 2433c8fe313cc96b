import { Database } from '../db/database.js';
import type { ConnectionTarget } from '../db/connection.js';
import { formatMs } from '../duration.js';
import { operationError } from '../errors.js';

/** Opens a connection, giving up after `ms`: the attempt is dropped then. */
async function connectWithin(target: ConnectionTarget, ms: number): Promise<Database> {
  const abandon = new AbortController();
  const timer = setTimeout(() => {
    const where = `${target.config.host ?? 'localhost'}:${target.config.port ?? 5432}`;
    // The attempt is dropped with it: nothing is left waiting for a server that does not answer.
    abandon.abort(
      operationError(
        `Could not connect to PostgreSQL at ${where}: no answer within ${formatMs(ms)}.`,
        'Check the host, the port and any firewall between here and the server.',
      ),
    );
  }, ms);
  try {
    return await Database.connect(target, { signal: abandon.signal });
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
