import { AstraError, EXIT_FAILED } from '../errors.js';
import { formatMs } from '../duration.js';
import { Database } from './database.js';
import type { ConnectionTarget } from './target.js';

/**
 * Causes that a server still starting (or a network still coming up) gives,
 * and that a later attempt may not: refused, unknown host (a container's
 * DNS name not registered yet), no socket file yet, timed out, reset, and
 * PostgreSQL's own "the database system is starting up" (57P03). A wrong
 * password or a missing database is not waited out.
 */
const TRANSIENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', '57P03']);

function causeCode(error: unknown): string | undefined {
  const cause = error instanceof AstraError ? error.cause : error;
  return (cause as { code?: string } | undefined)?.code;
}

/** Whether a failed connection attempt is worth repeating: the server may just not be up yet. */
export function isTransientConnectError(error: unknown): boolean {
  const code = causeCode(error);
  if (code !== undefined) return TRANSIENT.has(code);
  // pg's own words when the connection attempt ran out of time or was cut.
  const message = error instanceof Error ? `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}` : '';
  return /timed out|timeout|Connection terminated unexpectedly/i.test(message);
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Told before each wait, with the reason of the failed attempt. */
  onRetry?: (reason: string, waitedMs: number) => void;
  /** The first pause; it grows by half each time up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Tries to connect until the server accepts, with a growing pause between
 * attempts (250 ms, growing to 3 s), for at most `timeoutMs`: what an
 * entrypoint needs so that it does not race the database's container. A cause
 * that waiting cannot cure (a wrong password, a missing database) ends it at
 * once, as does the end of the time, with the last attempt's error.
 */
export async function waitForDatabase(target: ConnectionTarget, options: WaitOptions): Promise<{ attempts: number; waitedMs: number }> {
  const started = Date.now();
  let delay = options.firstDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 3000;
  for (let attempts = 1; ; attempts++) {
    if (options.signal?.aborted)
      throw new AstraError('Stopped waiting for the database, as asked; nothing was changed.', { exitCode: EXIT_FAILED, database: 'unchanged' });
    try {
      // No attempt outlasts the time left (at least a second, so that one can succeed).
      const db = await Database.connect(target, { timeoutMs: Math.min(15_000, Math.max(1000, options.timeoutMs - (Date.now() - started))) });
      await db.close();
      return { attempts, waitedMs: Date.now() - started };
    } catch (error) {
      const waited = Date.now() - started;
      if (!isTransientConnectError(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (options.signal?.aborted) {
        throw new AstraError('Stopped waiting for the database, as asked; nothing was changed.', {
          exitCode: EXIT_FAILED,
          cause: error,
          database: 'unchanged',
        });
      }
      if (waited + delay > options.timeoutMs) {
        throw new AstraError(`${message.replace(/\.$/, '')}; still so after waiting ${formatMs(waited)} (${attempts} attempts).`, {
          fix: error instanceof AstraError ? error.fix : undefined,
          exitCode: EXIT_FAILED,
          cause: error,
          database: 'unchanged',
        });
      }
      options.onRetry?.(message, waited);
      await pause(delay, options.signal);
      delay = Math.min(maxDelay, Math.round(delay * 1.5));
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
