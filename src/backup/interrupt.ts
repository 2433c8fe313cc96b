const EXIT_CODE: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * While work that must be undone runs, Ctrl-C or a SIGTERM runs `undo` once
 * and then ends the process. Returns the function that removes the handlers.
 *
 * The handlers stay registered (`on`, not `once`) until removed: execa's
 * exit hook re-raises a signal when it sees no other listener for it, which
 * would end the process before `undo` has finished.
 */
export function onInterrupt(undo: () => Promise<void>): () => void {
  let interrupted = false;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`\nInterrupted (${signal}): undoing what was started…\n`);
      void undo()
        .catch(() => {})
        .finally(() => process.exit(EXIT_CODE[signal]));
    };
    process.on(signal, handler);
    return { signal, handler };
  });
  return () => {
    // Once interrupted, the handlers stay until the process exits.
    if (interrupted) return;
    for (const { signal, handler } of handlers) process.removeListener(signal, handler);
  };
}

/** Wraps `work` so that it runs at most once and never throws: for undo steps. */
export function once(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= work().catch(() => {});
    return running;
  };
}
