import { describe, expect, it } from 'vitest';
import { versionList } from '../../../src/ui/format.js';

describe('versionList', () => {
  it('writes three or more consecutive versions as a range, and the rest one by one', () => {
    expect(versionList([])).toBe('');
    expect(versionList([2])).toBe('2');
    expect(versionList([1, 2])).toBe('1, 2');
    expect(versionList([1, 2, 3, 7, 9, 10])).toBe('1-3, 7, 9, 10');
    expect(versionList(Array.from({ length: 1000 }, (_, i) => i + 1))).toBe('1-1000');
    expect(versionList([20240101120000, 20240101120001, 20240101120002, 20240102000000])).toBe('20240101120000-20240101120002, 20240102000000');
  });
});
