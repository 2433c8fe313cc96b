import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** How long to wait before failing; under the integration tests' 120 s test timeout, so that the failure names what was awaited. */
  timeoutMs?: number;
  /** How long to sleep between two looks. */
  intervalMs?: number;
  /** A command the wait is for: when it ends first, waiting longer is pointless and the wait fails at once. */
  ended?: Promise<unknown>;
}

/**
 * Resolves once `condition` holds, looking every `intervalMs`. Rejects with
 * a message naming `what` when the deadline passes first, or when `ended`
 * settles first.
 */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 60_000, intervalMs = 20, ended } = options;
  let hasEnded = false;
  void ended?.finally(() => (hasEnded = true)).catch(() => {});
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Read before the look, so that a command that ended after a failed look is not reported as ended too early.
    const endedBefore = hasEnded;
    if (await condition()) return;
    if (endedBefore) throw new Error(`the command ended before ${what}`);
    if (Date.now() >= deadline) throw new Error(`gave up after ${timeoutMs / 1000} s waiting until ${what}`);
    await sleep(intervalMs);
  }
}
