import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/**
 * The CLI's bundle computes pg's password authentication with
 * scripts/pg-crypto-on-node.cjs in place of pg's own lib/crypto/utils.js
 * (scripts/pg-on-node.js). Both are loaded here and asked the same questions:
 * every answer must be the same bytes.
 */
const require = createRequire(import.meta.url);
type Utils = {
  deriveKey(password: string, salt: Uint8Array, iterations: number): Promise<ArrayBuffer | Buffer>;
  hmacSha256(key: ArrayBuffer | Buffer, message: string): Promise<ArrayBuffer | Buffer>;
  sha256(data: ArrayBuffer | Buffer): Promise<ArrayBuffer | Buffer>;
  hashByName(name: string, data: Buffer): Promise<ArrayBuffer | Buffer>;
  md5(text: string | Buffer): Promise<string>;
  postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
  randomBytes(length: number): Buffer;
};
const theirs = require('pg/lib/crypto/utils.js') as Utils;
const ours = require('../../../scripts/pg-crypto-on-node.cjs') as Utils;

const hex = (value: ArrayBuffer | Buffer) => Buffer.from(value as ArrayBuffer).toString('hex');

describe('pg-crypto-on-node', () => {
  it('exports what pg lib/crypto/utils.js exports', () => {
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  });

  it.each([
    ['an ASCII password', 'correct horse battery staple'],
    ['a password with non-ASCII letters', 'pässwörd-ünïcode-密码'],
    ['a one-character password', 'x'],
  ])('derives the SCRAM keys pg derives, for %s', async (_label, password) => {
    const salt = Buffer.from('c2FsdHNhbHRzYWx0c2FsdA==', 'base64');
    for (const iterations of [1, 4096]) {
      const salted = [await theirs.deriveKey(password, salt, iterations), await ours.deriveKey(password, salt, iterations)];
      expect(hex(salted[1]!)).toBe(hex(salted[0]!));
      const clientKey = [await theirs.hmacSha256(salted[0]!, 'Client Key'), await ours.hmacSha256(salted[1]!, 'Client Key')];
      expect(hex(clientKey[1]!)).toBe(hex(clientKey[0]!));
      const storedKey = [await theirs.sha256(clientKey[0]!), await ours.sha256(Buffer.from(clientKey[1]! as ArrayBuffer))];
      expect(hex(storedKey[1]!)).toBe(hex(storedKey[0]!));
      const message = 'n=*,r=abc,r=abcdef,s=c2FsdA==,i=4096,c=biws,r=abcdef';
      expect(hex(await ours.hmacSha256(storedKey[1]!, message))).toBe(hex(await theirs.hmacSha256(storedKey[0]!, message)));
    }
  });

  it('derives the key pg derives for a role stored with more iterations than it derives at once', async () => {
    const salt = Buffer.from('another salt');
    expect(hex(await ours.deriveKey('a password', salt, 20_000))).toBe(hex(await theirs.deriveKey('a password', salt, 20_000)));
  });

  it.each(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'])('hashes a certificate with %s as pg does (channel binding)', async (name) => {
    const certificate = Buffer.from('a certificate, as DER bytes would be');
    expect(hex(await ours.hashByName(name, certificate))).toBe(hex(await theirs.hashByName(name, certificate)));
  });

  it.each(['SHA-224', 'SHA512-256', 'MD5'])('refuses %s as pg does, with a rejected promise', async (name) => {
    const certificate = Buffer.from('a certificate');
    await expect(theirs.hashByName(name, certificate)).rejects.toThrow(/Unrecognized algorithm name/);
    await expect(ours.hashByName(name, certificate)).rejects.toThrow(/Unrecognized algorithm name/);
  });

  it('answers an md5 password request with the hash PostgreSQL expects', async () => {
    const salt = Buffer.from([1, 2, 3, 250]);
    const expected = await theirs.postgresMd5PasswordHash('app_user', 'sécret', salt);
    expect(expected).toMatch(/^md5[0-9a-f]{32}$/);
    await expect(ours.postgresMd5PasswordHash('app_user', 'sécret', salt)).resolves.toBe(expected);
    await expect(ours.md5('text')).resolves.toBe(await theirs.md5('text'));
  });

  it('gives random bytes of the length asked, different each time', () => {
    const [a, b] = [ours.randomBytes(18), ours.randomBytes(18)];
    expect(a).toHaveLength(18);
    expect(a.equals(b)).toBe(false);
  });
});
