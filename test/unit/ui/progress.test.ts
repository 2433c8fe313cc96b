import { describe, expect, it } from 'vitest';
import { progressWorthReporting } from '../../../src/ui/progress.js';

describe('progressWorthReporting', () => {
  it('reports every table on a terminal', () => {
    expect([1, 2, 3].every((done) => progressWorthReporting(done, 500, true))).toBe(true);
  });

  it('reports about every tenth of many tables otherwise, and the last', () => {
    const reported = Array.from({ length: 500 }, (_, index) => index + 1).filter((done) => progressWorthReporting(done, 500, false));
    expect(reported).toEqual([50, 100, 150, 200, 250, 300, 350, 400, 450, 500]);
  });

  it('reports every table of a small database', () => {
    expect(Array.from({ length: 5 }, (_, index) => progressWorthReporting(index + 1, 5, false))).toEqual([true, true, true, true, true]);
  });
});
