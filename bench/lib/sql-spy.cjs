// Preloaded (node --require) into one astra run by the benchmark: records the
// statements the process sends to PostgreSQL, in order, with their text
// parameters, and writes them as JSON to ASTRA_BENCH_SQL_OUT at exit. The
// floor script (bench/floor/replay.js) sends the same statements again.
//
// Only sockets whose first write is PostgreSQL's start-up message are read
// (not an HTTP client's, not a child's pipes); a message split over several
// writes is put back together. Of the messages, only simple queries (Q) and
// the Parse and Bind of extended ones are kept: the start-up and password
// messages are not. Anything it cannot replay faithfully (a parameter sent in
// binary, a message it cannot read, a second connection) is written as
// `unsupported`, and the benchmark stops rather than replay something else.
'use strict';
const { writeFileSync } = require('node:fs');
const net = require('node:net');

const PROTOCOL_3 = 196608;
const statements = [];
let unsupported;
let opened = 0;
const connections = new WeakMap();

const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  if (Buffer.isBuffer(chunk) && unsupported === undefined) {
    try {
      record(this, chunk);
    } catch (error) {
      unsupported = `a message could not be read: ${error.message}`;
    }
  }
  return write.call(this, chunk, ...rest);
};

function record(socket, chunk) {
  let connection = connections.get(socket);
  if (!connection) {
    // The start-up message: its length, then the protocol version; no type byte.
    const startup = chunk.length >= 8 && chunk.readInt32BE(4) === PROTOCOL_3;
    connection = { postgres: startup, pending: Buffer.alloc(0), parsed: undefined };
    connections.set(socket, connection);
    if (!startup) return;
    opened += 1;
    if (opened > 1) unsupported = 'the command opened a second connection';
    connection.pending = chunk.subarray(chunk.readInt32BE(0));
  } else if (connection.postgres) {
    connection.pending = Buffer.concat([connection.pending, chunk]);
  }
  if (!connection.postgres) return;
  let at = 0;
  const data = connection.pending;
  while (at + 5 <= data.length) {
    const length = data.readInt32BE(at + 1);
    if (length < 4) throw new Error(`a message of length ${length}`);
    if (at + 1 + length > data.length) break;
    message(connection, String.fromCharCode(data[at]), data.subarray(at + 5, at + 1 + length));
    at += 1 + length;
  }
  connection.pending = data.subarray(at);
}

function message(connection, type, body) {
  if (type === 'Q') statements.push({ sql: cString(body, 0).text });
  if (type === 'P') connection.parsed = cString(body, cString(body, 0).next).text;
  if (type === 'B') {
    if (connection.parsed === undefined) throw new Error('a Bind without its Parse');
    statements.push({ sql: connection.parsed, params: bindParams(body) });
    connection.parsed = undefined;
  }
}

function cString(buffer, from) {
  const end = buffer.indexOf(0, from);
  if (end < 0) throw new Error('a string without its end');
  return { text: buffer.toString('utf8', from, end), next: end + 1 };
}

/** The parameters of a Bind message, as text; one sent in binary cannot be replayed as text. */
function bindParams(body) {
  let at = cString(body, cString(body, 0).next).next;
  const formats = body.readInt16BE(at);
  for (let i = 0; i < formats; i++) if (body.readInt16BE(at + 2 + 2 * i) !== 0) unsupported = 'a parameter was sent in binary';
  at += 2 + 2 * formats;
  const count = body.readInt16BE(at);
  at += 2;
  const params = [];
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    params.push(length < 0 ? null : body.toString('utf8', at, at + length));
    at += Math.max(length, 0);
  }
  return params;
}

process.on('exit', () => writeFileSync(process.env.ASTRA_BENCH_SQL_OUT, JSON.stringify({ statements, ...(unsupported ? { unsupported } : {}) })));
