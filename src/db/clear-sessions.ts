import type { Database } from './database.js';
import { quoteIdent } from './quote.js';
import { formatMs } from '../duration.js';
import { operationError } from '../errors.js';
import { once } from '../undo.js';
import type { Log } from '../ui/log.js';
import { describeSessions, sessionsOn, terminateSessions, type Session } from './sessions.js';

export interface ClearSessionsOptions {
  /** The database whose sessions must go; `also` lists others that must be free too. */
  database: string;
  also?: string[];
  /** Server pids of astra's own other connections, which are not in the way. */
  exclude?: number[];
  waitMs: number;
  /** End the sessions instead of waiting for them to go. */
  force: boolean;
  /** Asked once before ending sessions; ending them is refused when it answers false. */
  confirmTerminate?: (sessions: Session[]) => Promise<boolean>;
  /**
   * Refuse new connections to `database` while it is emptied (ALLOW_CONNECTIONS
   * false), so that a client reconnecting at once cannot slip in before the
   * rename. Needs ownership of the database; the caller allows them again.
   */
  blockNewConnections: boolean;
  onBlocked?: (blocked: boolean) => void;
  log: Log;
  pollMs?: number;
  /** Stops the waiting (an interrupt): clearSessions then throws, with connections allowed again. */
  signal?: AbortSignal;
}

async function setAllowConnections(admin: Database, database: string, allow: boolean): Promise<void> {
  await admin.query(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
}

/**
 * Returns once no other session is connected to the databases: waiting up to
 * `waitMs` for them to go, or ending them with `force`. When it throws, new
 * connections are allowed again.
 */
export async function clearSessions(admin: Database, options: ClearSessionsOptions): Promise<void> {
  const databases = [options.database, ...(options.also ?? [])];
  const deadline = Date.now() + options.waitMs;
  let announced = false;
  let confirmed = false;
  /** What this has done to the database, which the undo reads. */
  const recorded = { blocked: false };
  const block = async (on: boolean) => {
    if (!options.blockNewConnections || recorded.blocked === on) return;
    await setAllowConnections(admin, options.database, !on);
    recorded.blocked = on;
    options.onBlocked?.(on);
  };
  // On failure, new connections are allowed again if this refused them.
  const undo = once(async () => {
    if (recorded.blocked) await block(false);
  });
  try {
    for (;;) {
      if (options.signal?.aborted) throw operationError(`Stopped while clearing the sessions of ${databases.join(' and ')}.`);
      let sessions = await sessionsOn(admin, databases, options.exclude);
      if (sessions.length === 0) {
        await block(true);
        sessions = await sessionsOn(admin, databases, options.exclude);
        if (sessions.length === 0) return;
      }
      if (options.force) {
        if (!confirmed && options.confirmTerminate) {
          confirmed = await options.confirmTerminate(sessions);
          if (!confirmed)
            throw operationError(`${sessions.length} session(s) are connected and were not ended.`, 'Stop the application and run the rollback again.');
        }
        await block(true);
        options.log.info(`Ending ${sessions.length} session(s) connected to ${databases.join(' and ')}:\n${describeSessions(sessions)}`);
        const refused = await terminateSessions(admin, sessions);
        if (refused.length > 0) {
          throw operationError(
            `The session(s) with pid ${refused.join(', ')} could not be ended: this role may not signal them.`,
            'Stop the application, or run the rollback as a superuser or a member of pg_signal_backend.',
          );
        }
      } else {
        await block(false);
        if (!announced) {
          announced = true;
          options.log.info(
            `Waiting up to ${formatMs(options.waitMs)} for ${sessions.length} session(s) to leave ${databases.join(' and ')}:\n${describeSessions(sessions)}`,
          );
        }
      }
      if (Date.now() >= deadline) {
        throw operationError(
          `${sessions.length} session(s) are still connected to ${databases.join(' and ')} after ${formatMs(options.waitMs)}:\n${describeSessions(sessions)}`,
          'Stop the application and run the rollback again, or pass --force to end the sessions, or a longer --wait.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
  } catch (error) {
    await undo();
    throw error;
  }
}
