import { describe, expect, it } from 'vitest';
import { Interruption, isWatched, watchInterrupts, whileWatching } from '../../../src/engine/interrupt.js';

describe('watchInterrupts', () => {
  it('aborts its own signal and says so once, naming the signal the CLI aborted with', () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const outer = watchInterrupts(controller.signal, (line) => lines.push(line), { announce: (signal) => `outer ${signal}` });
    const inner = watchInterrupts(controller.signal, (line) => lines.push(line), { announce: (signal) => `inner ${signal}` });
    controller.abort(new Interruption('SIGTERM'));
    expect(lines).toEqual(['outer SIGTERM']);
    expect(outer.received()).toBe('SIGTERM');
    expect(inner.received()).toBe('SIGTERM');
    expect(outer.signal.aborted && inner.signal.aborted).toBe(true);
    inner.stop();
    outer.stop();
    expect(isWatched(controller.signal)).toBe(false);
  });

  it('names an abort by a library caller "abort"', () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const watch = watchInterrupts(controller.signal, (line) => lines.push(line));
    controller.abort();
    expect(watch.received()).toBe('abort');
    expect(lines).toEqual(['Interrupted (abort): stopping and undoing what was started…']);
    watch.stop();
  });

  it('started after an abort: the earlier abort was for other work, so this work runs on, quietly', () => {
    const controller = new AbortController();
    controller.abort(new Interruption('SIGINT'));
    const lines: string[] = [];
    const watch = watchInterrupts(controller.signal, (line) => lines.push(line));
    expect(watch.received()).toBeUndefined();
    expect(watch.signal.aborted).toBe(false);
    expect(lines).toEqual([]);
    watch.stop();
  });

  it('without a signal to watch, nothing interrupts the work', () => {
    const watch = watchInterrupts(undefined, () => {
      throw new Error('nothing to say');
    });
    expect(watch.received()).toBeUndefined();
    expect(watch.signal.aborted).toBe(false);
    watch.stop();
  });

  it('is watched only while the work runs, however it ends', async () => {
    const controller = new AbortController();
    await expect(
      whileWatching(
        controller.signal,
        () => {},
        () => {
          expect(isWatched(controller.signal)).toBe(true);
          return Promise.reject(new Error('failed'));
        },
      ),
    ).rejects.toThrow('failed');
    expect(isWatched(controller.signal)).toBe(false);
  });

  it('nested in work being interrupted: work that starts after the abort stops at once, and nothing is said twice', () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const outer = watchInterrupts(controller.signal, (line) => lines.push(line), { announce: () => 'outer' });
    controller.abort(new Interruption('SIGINT'));
    const inner = watchInterrupts(controller.signal, (line) => lines.push(line), { announce: () => 'inner' });
    expect(inner.received()).toBe('SIGINT');
    expect(inner.signal.aborted).toBe(true);
    expect(lines).toEqual(['outer']);
    inner.stop();
    outer.stop();
  });
});
