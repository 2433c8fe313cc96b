import { AstraError, EXIT_FAILED } from '../errors.js';

/** What stopped the work: a signal the CLI turned into an abort, or an abort by a library caller. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'abort';

/** The reason the CLI aborts its signal with, so that messages can name the signal. */
export class Interruption extends Error {
  constructor(readonly signalName: 'SIGINT' | 'SIGTERM') {
    super(`Interrupted (${signalName})`);
    this.name = 'Interruption';
  }
}

/** How an aborted signal is named in messages: SIGINT, SIGTERM, or abort. */
export function interruptName(signal: AbortSignal): InterruptSignal {
  return signal.reason instanceof Interruption ? signal.reason.signalName : 'abort';
}

/** An interruption noticed while work that must be undone runs. */
export interface InterruptWatch {
  /** What stopped the work, once something has. */
  received(): InterruptSignal | undefined;
  /** Aborted when the work is interrupted: give it to child processes (pg_dump, pg_restore, psql) so that they stop. */
  readonly signal: AbortSignal;
  /** Stops watching. */
  stop(): void;
}

/** Watches active now, per signal watched: only the outermost one announces, so that nested work says it once. */
const activeWatches = new WeakMap<AbortSignal, number>();

/** Signals aborted while some work watched them: nested work that starts on one of them is interrupted at once. */
const abortedWhileWatched = new WeakSet<AbortSignal>();

/** Whether some work is watching `signal` now (the CLI ends the process at once on a signal that nothing watches). */
export function isWatched(signal: AbortSignal): boolean {
  return (activeWatches.get(signal) ?? 0) > 0;
}

/**
 * While work that must be undone runs, an abort of `parent` (the CLI aborts
 * it on Ctrl-C or SIGTERM) that comes after the watch began aborts the
 * watch's own `signal`, stopping the
 * children it was given to, and is remembered. Nothing ends here: the work
 * undoes what it started and throws `interruptedError`, so that its caller
 * decides what happens next. Without a parent, nothing interrupts the work.
 */
export function watchInterrupts(
  parent: AbortSignal | undefined,
  log: (line: string) => void,
  options: {
    /** What the outermost watch says when interrupted (by default: stopping and undoing). */
    announce?: (signal: InterruptSignal) => string;
    /** Called once, when the interruption arrives. */
    onSignal?: (signal: InterruptSignal) => void;
  } = {},
): InterruptWatch {
  const abort = new AbortController();
  let received: InterruptSignal | undefined;
  if (!parent) return { received: () => undefined, signal: abort.signal, stop: () => {} };
  const outermost = !isWatched(parent);
  activeWatches.set(parent, (activeWatches.get(parent) ?? 0) + 1);
  const handler = (announce: boolean) => {
    if (received) return;
    received = interruptName(parent);
    options.onSignal?.(received);
    if (announce) log(options.announce?.(received) ?? `Interrupted (${received}): stopping and undoing what was started…`);
    abort.abort();
  };
  const onAbort = () => {
    abortedWhileWatched.add(parent);
    handler(outermost);
  };
  let stopped = false;
  if (parent.aborted && !outermost && abortedWhileWatched.has(parent)) {
    // Nested in work that is being interrupted: stop at once; the outer watch said so.
    handler(false);
  } else {
    // Otherwise only an interruption that comes while the work runs stops it:
    // an earlier one was meant for the work that was running then (an
    // automatic rollback after an interrupted step must still be able to
    // run). The CLI hands each new piece of work a fresh signal after one.
    parent.addEventListener('abort', onAbort);
  }
  return {
    received: () => received,
    signal: abort.signal,
    stop: () => {
      if (stopped) return;
      stopped = true;
      parent.removeEventListener('abort', onAbort);
      activeWatches.set(parent, (activeWatches.get(parent) ?? 1) - 1);
    },
  };
}

/** Runs `work` with a watch that is stopped when it ends, however it ends. */
export async function whileWatching<T>(
  parent: AbortSignal | undefined,
  log: (line: string) => void,
  work: (watch: InterruptWatch) => Promise<T>,
  options: Parameters<typeof watchInterrupts>[2] = {},
): Promise<T> {
  const watch = watchInterrupts(parent, log, options);
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

/** For a rollback that has restored nothing yet: throws its interrupted error once interrupted. */
export function stopRollbackIfInterrupted(watch: InterruptWatch, database: string, what: string): void {
  const signal = watch.received();
  if (signal) throw interruptedError(signal, what, `nothing was restored; ${database} is as it was.`, 'Run the rollback again.');
}
