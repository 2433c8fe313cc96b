import { Database } from '../db/database.js';
import type { ConnectionTarget } from '../db/connection.js';
import { formatMs } from '../duration.js';
import { operationError } from '../errors.js';

/** Opens a connection, giving up after `ms` (and closing the late one if it still arrives). */
async function connectWithin(target: ConnectionTarget, ms: number): Promise<Database> {
  const attempt = Database.connect(target);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      attempt.then(
        (db) => db.close(),
        () => {},
      );
      const where = `${target.config.host ?? 'localhost'}:${target.config.port ?? 5432}`;
      reject(
        operationError(
          `Could not connect to PostgreSQL at ${where}: no answer within ${formatMs(ms)}.`,
          'Check the host, the port and any firewall between here and the server.',
        ),
      );
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
