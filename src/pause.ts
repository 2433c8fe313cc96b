/**
 * For a long synchronous loop in async code (reading or parsing hundreds of
 * files): `await pause()` in each turn lets the event loop run every
 * `everyMs`, so that I/O started before the loop goes on beside it: a
 * connection opening answers the server's authentication steps instead of
 * leaving them unread until the loop ends. Between those turns it costs a
 * microtask.
 */
export function pauser(everyMs = 5): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last < everyMs) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        last = performance.now();
        resolve();
      }),
    );
  };
}

/**
 * One turn of the event loop, taken right after a connection starts opening
 * and before synchronous work (loading code, reading files): the socket
 * connects meanwhile, and on a local server that is enough for the startup
 * message to leave, so the server starts the session while this process
 * works.
 */
export function letConnectionStart(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
