'use strict';
// What pg's lib/crypto/utils.js provides, done with Node's own crypto. pg's
// version goes through Web Crypto, where deriving the key, each of the four
// HMACs and the digest of one SCRAM exchange is a job on libuv's thread pool
// and a turn of the event loop to learn its result. A command reading its
// migration files while it connects gives the loop a turn every few
// milliseconds, so the exchange took 40-60 ms there; here it finishes in the
// turn that received the server's message, with about 1 ms of PBKDF2 at
// PostgreSQL's default of 4,096 iterations. A role stored with many more
// iterations (pg accepts up to 100,000) is derived on the thread pool
// instead, in one job, so that a long-running `astra serve` is not held up.
// The CLI's bundle uses this file in place of pg's (scripts/pg-on-node.js).
// The functions keep pg's names, arguments and promises (errors reject),
// and return Buffers where pg's return ArrayBuffers: pg wraps those with
// Buffer.from or hands them back to these same functions.
const nodeCrypto = require('node:crypto');
const { promisify } = require('node:util');

/** Above this many iterations the key is derived on the thread pool (about 4 ms of the main thread here, on the machine of bench/RESULTS.md). */
const DERIVED_AT_ONCE = 16384;
const pbkdf2 = promisify(nodeCrypto.pbkdf2);

/** The hashes Web Crypto's digest knows, by its names, as Node calls them; pg asks only for these. */
const HASHES = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

async function md5(text) {
  return nodeCrypto.createHash('md5').update(text, 'utf-8').digest('hex');
}

async function postgresMd5PasswordHash(user, password, salt) {
  const inner = await md5(password + user);
  const outer = await md5(Buffer.concat([Buffer.from(inner), salt]));
  return 'md5' + outer;
}

function randomBytes(length) {
  return nodeCrypto.randomBytes(length);
}

async function deriveKey(password, salt, iterations) {
  if (iterations <= DERIVED_AT_ONCE) return nodeCrypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return pbkdf2(password, salt, iterations, 32, 'sha256');
}

async function sha256(data) {
  return nodeCrypto.createHash('sha256').update(data).digest();
}

async function hashByName(hashName, data) {
  const name = Object.hasOwn(HASHES, hashName) ? HASHES[hashName] : undefined;
  if (name === undefined) throw new Error(`Unrecognized algorithm name: ${hashName}`);
  return nodeCrypto.createHash(name).update(data).digest();
}

async function hmacSha256(key, message) {
  return nodeCrypto.createHmac('sha256', Buffer.from(key)).update(message, 'utf8').digest();
}

module.exports = { postgresMd5PasswordHash, randomBytes, deriveKey, sha256, hashByName, hmacSha256, md5 };
