import { describe, expect, it } from 'vitest';
import { Interruption, whileWatching } from '../../../src/engine/interrupt.js';

describe('watching for interrupts', () => {
  it('tells an interruption once, also to a watch that starts after it (the rollback after an interrupted upgrade)', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const first = await whileWatching(controller.signal, log, (watch) => {
      controller.abort(new Interruption('SIGINT'));
      return Promise.resolve(watch.received());
    });
    const second = await whileWatching(controller.signal, log, (watch) => Promise.resolve([watch.received(), watch.signal.aborted]));
    expect(first).toBe('SIGINT');
    // The later watch still knows it was interrupted, and stops its children.
    expect(second).toEqual(['SIGINT', true]);
    expect(lines).toEqual(['Interrupted (SIGINT): stopping and undoing what was started…']);
  });
});
