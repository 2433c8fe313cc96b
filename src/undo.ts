/**
 * The one way astra undoes what it started (np's `onetime(rollback)`): the
 * work records what it did in a small state object as it goes (what was
 * created, revoked, renamed), and the undo is a closure over that state,
 * built once up front, that
 *
 * - runs at most once: every later call gets the first run's promise, so a
 *   failure path, an interrupt and a `finally` may all call it;
 * - reads only the recorded state, so it undoes exactly what is proven to
 *   have happened, whenever it is called;
 * - never throws: what it could not undo, it records in the state (or
 *   returns), for the caller to tell the operator.
 *
 * It lives beside errors.ts because every layer needs it, the edges (db/)
 * as much as the engine.
 */
export type Undo<T = void> = () => Promise<T>;

/** Wraps `work` so that it runs at most once and never throws; `whenItThrows` is what a throwing run resolves to. */
export function once(work: () => Promise<void>): Undo;
export function once<T>(work: () => Promise<T>, whenItThrows: T): Undo<T>;
export function once<T>(work: () => Promise<T>, whenItThrows?: T): Undo<T | undefined> {
  let running: Promise<T | undefined> | undefined;
  return () => {
    running ??= (async () => {
      try {
        return await work();
      } catch {
        return whenItThrows;
      }
    })();
    return running;
  };
}
