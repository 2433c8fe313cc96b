'use strict';
// What pg's lib/crypto/utils.js provides, done with Node's own crypto, each
// step finished when called. pg's version goes through Web Crypto, whose
// every step (importKey, deriveBits, sign, digest) is a job on libuv's
// thread pool and a turn of the event loop to learn its result: eight turns
// for one SCRAM exchange. A command reading its migration files while it
// connects gives the loop a turn every few milliseconds, so the exchange
// took 40-60 ms there; here it takes one turn and about 1 ms of PBKDF2 (4,096
// iterations, PostgreSQL's default). The CLI's bundle uses it in place of
// pg's file (scripts/pg-on-node.js); the functions keep pg's names, arguments
// and promises, and return Buffers where pg's return ArrayBuffers, which pg
// only ever wraps with Buffer.from.
const nodeCrypto = require('node:crypto');

function md5(text) {
  return Promise.resolve(nodeCrypto.createHash('md5').update(text, 'utf-8').digest('hex'));
}

async function postgresMd5PasswordHash(user, password, salt) {
  const inner = await md5(password + user);
  const outer = await md5(Buffer.concat([Buffer.from(inner), salt]));
  return 'md5' + outer;
}

function randomBytes(length) {
  return nodeCrypto.randomBytes(length);
}

function deriveKey(password, salt, iterations) {
  return Promise.resolve(nodeCrypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256'));
}

function sha256(data) {
  return Promise.resolve(nodeCrypto.createHash('sha256').update(data).digest());
}

/** A Web Crypto name (SHA-256, SHA-384, SHA-512) as Node calls it. */
function hashByName(hashName, data) {
  return Promise.resolve(nodeCrypto.createHash(hashName.replace('-', '').toLowerCase()).update(data).digest());
}

function hmacSha256(key, message) {
  return Promise.resolve(nodeCrypto.createHmac('sha256', Buffer.from(key)).update(message, 'utf8').digest());
}

module.exports = { postgresMd5PasswordHash, randomBytes, deriveKey, sha256, hashByName, hmacSha256, md5 };
