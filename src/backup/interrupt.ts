import { AstraError, EXIT_FAILED } from '../errors.js';

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** Ctrl-C and SIGTERM, noticed while work that must be undone runs. */
export interface InterruptWatch {
  /** The signal that arrived, once one has. */
  received(): InterruptSignal | undefined;
  /** Aborted when a signal arrives: give it to child processes (pg_dump, pg_restore, psql) so that they stop. */
  readonly signal: AbortSignal;
  /** Removes the handlers. */
  stop(): void;
}

/** Watches active now; only the outermost one announces a signal, so that nested work says it once. */
let activeWatches = 0;

/**
 * While work that must be undone runs, Ctrl-C or a SIGTERM aborts `signal`
 * (stopping the children it was given to) and is remembered. Nothing ends the
 * process here: the work undoes what it started and throws `interruptedError`,
 * so that the caller (a command, or the upgrade, which stops at safe points
 * and prints its own report) decides what happens next.
 *
 * The handlers stay registered (`on`, not `once`) until `stop`: execa's exit
 * hook re-raises a signal when it sees no other listener for it, which would
 * end the process before the undo has finished.
 */
export function watchInterrupts(
  log: (line: string) => void,
  options: {
    /** What the outermost watch says when a signal arrives (by default: stopping and undoing). */
    announce?: (signal: InterruptSignal) => string;
    /** Called once, when the first signal arrives. */
    onSignal?: (signal: InterruptSignal) => void;
  } = {},
): InterruptWatch {
  const abort = new AbortController();
  let received: InterruptSignal | undefined;
  const outermost = activeWatches === 0;
  activeWatches += 1;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => {
      if (received) return;
      received = signal;
      options.onSignal?.(signal);
      if (outermost) log(options.announce?.(signal) ?? `Interrupted (${signal}): stopping and undoing what was started…`);
      abort.abort();
    };
    process.on(signal, handler);
    return { signal, handler };
  });
  return {
    received: () => received,
    signal: abort.signal,
    stop: () => {
      if (handlers.length === 0) return;
      for (const { signal, handler } of handlers.splice(0)) process.removeListener(signal, handler);
      activeWatches -= 1;
    },
  };
}

/** Runs `work` with a watch that is stopped when it ends, however it ends. */
export async function whileWatching<T>(
  log: (line: string) => void,
  work: (watch: InterruptWatch) => Promise<T>,
  options: Parameters<typeof watchInterrupts>[1] = {},
): Promise<T> {
  const watch = watchInterrupts(log, options);
  try {
    return await work(watch);
  } finally {
    watch.stop();
  }
}

/** The error an interrupted operation ends with (exit 1): what was interrupted, and the state things are in. */
export function interruptedError(signal: InterruptSignal, what: string, state: string, fix: string): AstraError {
  return new AstraError(`Interrupted (${signal}) ${what}: ${state}`, { fix, exitCode: EXIT_FAILED });
}

/** Wraps `work` so that it runs at most once and never throws: for undo steps. */
export function once(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= work().catch(() => {});
    return running;
  };
}

/** For a rollback that has restored nothing yet: throws its interrupted error once a signal has come. */
export function stopRollbackIfInterrupted(watch: InterruptWatch, database: string, what: string): void {
  const signal = watch.received();
  if (signal) throw interruptedError(signal, what, `nothing was restored; ${database} is as it was.`, 'Run the rollback again.');
}
