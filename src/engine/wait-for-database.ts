import { formatMs } from '../duration.js';
import { waitForDatabase } from '../db/wait.js';
import type { Context } from './context.js';

/**
 * `--wait-for-db`: before a command works on the database, waits until it
 * accepts connections (for at most `timeoutMs`), saying what it waits for.
 * Nothing is waited for when the first attempt connects.
 */
export async function awaitDatabase(context: Pick<Context, 'target' | 'log' | 'signal'>, timeoutMs: number): Promise<void> {
  const target = await context.target();
  const { attempts, waitedMs } = await waitForDatabase(target, {
    timeoutMs,
    signal: context.signal,
    onRetry: (reason, waited) =>
      context.log.info(`Waiting for the database ${target.label} (${formatMs(waited)} of ${formatMs(timeoutMs)}): ${reason.replace(/\.$/, '')}.`),
  });
  if (attempts > 1) context.log.info(`The database ${target.label} accepts connections (after ${formatMs(waitedMs)}).`);
}
