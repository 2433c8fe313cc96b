import { describe, expect, it } from 'vitest';
import { invalidUtf8Offset } from '../../../src/migrations/load.js';

describe('invalidUtf8Offset', () => {
  it.each([
    ['plain ASCII', Buffer.from('SELECT 1;'), undefined],
    ['multi-byte text and a U+FFFD the file holds', Buffer.from("SELECT 'héllo ✓ \uFFFD';"), undefined],
    ['a lone 0xff', Buffer.concat([Buffer.from('ab'), Buffer.from([0xff])]), 2],
    ['a U+FFFD written, then a bad byte', Buffer.concat([Buffer.from('\uFFFDx'), Buffer.from([0xc3, 0x28])]), 4],
    ['a sequence cut at the end', Buffer.concat([Buffer.from('abc'), Buffer.from([0xe2, 0x9c])]), 3],
  ])('%s', (_, bytes, offset) => {
    expect(invalidUtf8Offset(bytes)).toBe(offset);
  });
});
