import { describe, expect, it } from 'vitest';
import { once } from '../../src/undo.js';

describe('once (the undo closure)', () => {
  it('runs its work once, however often it is called, and every call shares that run', async () => {
    let runs = 0;
    const undo = once(async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await Promise.all([undo(), undo()]);
    await undo();
    expect(runs).toBe(1);
  });

  it('never throws: a failed run resolves to what was given for it', async () => {
    const release = once((): Promise<boolean> => Promise.reject(new Error('connection lost')), false);
    await expect(release()).resolves.toBe(false);
    const undo = once(() => Promise.reject(new Error('connection lost')));
    await expect(undo()).resolves.toBeUndefined();
  });

  it('reads the recorded state when it runs, not when it is built', async () => {
    const recorded = { created: false };
    const dropped: string[] = [];
    const undo = once(() => {
      if (recorded.created) dropped.push('copy');
      return Promise.resolve();
    });
    recorded.created = true;
    await undo();
    expect(dropped).toEqual(['copy']);
  });
});
