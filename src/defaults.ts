/**
 * astra's defaults in one place, with nothing to load beside them: the CLI
 * shows them in --help without loading the engine that uses them.
 */

/** lock_timeout of each migration statement, its retries and the first wait before a retry (doubling, capped at 30 s). */
export const DEFAULT_LOCK_POLICY = { lockTimeoutMs: 3000, lockRetries: 5, retryBaseMs: 1000 } as const;
/** How long a run waits for another astra run's lock on the same database. */
export const DEFAULT_LOCK_WAIT_MS = 10 * 60_000;

/** The runner's lock settings: the ones given, the defaults for the rest (for the CLI's flags and the library's options alike). */
export function lockSettings(given: { lockWaitMs?: number | undefined; lockTimeoutMs?: number | undefined; lockRetries?: number | undefined }) {
  return {
    lockWaitMs: given.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    lockPolicy: {
      ...DEFAULT_LOCK_POLICY,
      lockTimeoutMs: given.lockTimeoutMs ?? DEFAULT_LOCK_POLICY.lockTimeoutMs,
      lockRetries: given.lockRetries ?? DEFAULT_LOCK_POLICY.lockRetries,
    },
  };
}
/** How long a rollback waits for other sessions to leave the database. */
export const DEFAULT_SESSION_WAIT_MS = 60_000;
/** How long a rollback waits for another astra run on the database to finish. */
export const DEFAULT_ROLLBACK_LOCK_WAIT_MS = 10 * 60_000;
/** Longest one doctor check may take. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;
/** How long the application's health URL may take to answer. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;
