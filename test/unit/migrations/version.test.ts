import { describe, expect, it } from 'vitest';
import { compareVersions, fromLedgerKey, ledgerKey, parseVersion } from '../../../src/migration-version.js';
import { versionList } from '../../../src/ui/format.js';

describe('migration versions', () => {
  it('reads whole numbers as numbers and dotted versions in their canonical form', () => {
    expect(parseVersion('42')).toBe(42);
    expect(parseVersion('000042')).toBe(42);
    expect(parseVersion('20240101120000')).toBe(20240101120000);
    expect(parseVersion('1.1')).toBe('1.1');
    expect(parseVersion('2_1')).toBe('2.1');
    expect(parseVersion('01.002.0')).toBe('1.2');
    expect(parseVersion('1.0')).toBe(1);
    expect(parseVersion('1.0.0')).toBe(1);
    for (const bad of ['', '1.', '.1', '1..2', 'v1', '1.a', '1-2', '99999999999999999999', '1.123456789012345678901']) expect(parseVersion(bad)).toBeUndefined();
  });

  it('orders part by part, as numbers: 1 < 1.1 < 1.1.5 < 1.9 < 1.10 < 2 < 2.1 < 10', () => {
    const sorted = ['10', '2.1', '1.10', '1', '1.9', '2', '1.1.5', '1.1'].map((text) => parseVersion(text)!).sort(compareVersions);
    expect(sorted).toEqual([1, '1.1', '1.1.5', '1.9', '1.10', 2, '2.1', 10]);
    expect(compareVersions(parseVersion('1.0')!, 1)).toBe(0);
  });

  it('keeps a version in the ledger as a number whose order is the same, and reads it back', () => {
    const versions = [1, '1.1', '1.1.5', '1.9', '1.10', '1.99999999999999999999', 2, '2.1', 20240101120000];
    const keys = versions.map(ledgerKey);
    expect(keys.slice(0, 3)).toEqual([1, '1.00000000000000000001', '1.0000000000000000000100000000000000000005']);
    // PostgreSQL's numeric order is the decimal order of the keys: compare them as decimals here.
    const asDecimal = (key: number | string) => {
      const [whole = '', fraction = ''] = String(key).split('.');
      return `${whole.padStart(20, '0')}.${fraction.padEnd(60, '0')}`;
    };
    const decimals = keys.map(asDecimal);
    expect([...decimals].sort()).toEqual(decimals);
    expect(keys.map((key) => fromLedgerKey(String(key)))).toEqual(versions);
  });

  it('lists whole numbers in ranges and dotted versions alone', () => {
    expect(versionList([1, 2, 3, '3.1', 4, 5, 6])).toBe('1-3, 3.1, 4-6');
  });
});
