import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { astraVersion } from '../version.js';
import type { ConnectionTarget } from './target.js';

/** How long a refusal may last before the run that set it is taken for dead: a swap that is alive ends within a second or two. */
const ALIVE_SWAP_MS = 10_000;

/** `%` and `_` taken literally in a LIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/**
 * A rollback refuses new connections to the database (ALLOW_CONNECTIONS
 * false) for the moment of its swap with the restored copy, and allows them
 * again as the swap commits. When astra is killed in that moment, the
 * database keeps refusing everyone, astra's next run included. This reopens
 * it when that is what happened: connections refused, and astra's restored
 * copy (`<db>__restore_<stamp>`) beside it, still so after ALIVE_SWAP_MS (a
 * live swap would have ended). Returns a sentence saying what was done, or
 * undefined when the refusal is not astra's.
 */
export async function reopenAfterInterruptedSwap(target: ConnectionTarget): Promise<string | undefined> {
  const database = String(target.config.database ?? '');
  if (database === '') return undefined;
  for (const maintenance of ['postgres', 'template1'].filter((name) => name !== database)) {
    const client = new pg.Client({ ...target.config, database: maintenance, application_name: `astra ${astraVersion}`, connectionTimeoutMillis: 15_000 });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch {
      await client.end().catch(() => {});
      continue;
    }
    try {
      const blocked = async () => {
        const { rows } = await client.query<{ refused: boolean; copies: number }>(
          `SELECT NOT d.datallowconn AS refused,
                  (SELECT count(*)::int FROM pg_database c WHERE c.datname LIKE $2) AS copies
             FROM pg_database d WHERE d.datname = $1`,
          [database, `${likeLiteral(database)}\\_\\_restore\\_%`],
        );
        return rows[0]?.refused === true && (rows[0]?.copies ?? 0) > 0;
      };
      const deadline = Date.now() + ALIVE_SWAP_MS;
      while (await blocked()) {
        if (Date.now() >= deadline) {
          await client.query(`ALTER DATABASE "${database.replace(/"/g, '""')}" ALLOW_CONNECTIONS true`);
          return `${database} still refused new connections, as an astra rollback stopped during its swap left it: they are allowed again (the restored copy beside it is left for astra rollback or for you to drop).`;
        }
        await sleep(250);
      }
      return undefined;
    } catch {
      return undefined;
    } finally {
      await client.end().catch(() => {});
    }
  }
  return undefined;
}
