// Preloaded (node --require) into one astra run by the benchmark: records the
// statements the process sends to PostgreSQL, in order, with their text
// parameters, and writes them as JSON to ASTRA_BENCH_SQL_OUT at exit. The
// floor script (bench/floor/replay.js) sends the same statements again. It
// reads only simple queries (Q) and the Parse and Bind messages of extended
// ones; the start-up and password messages are not kept.
'use strict';
const { writeFileSync } = require('node:fs');
const net = require('node:net');

const sent = [];
let parsed;
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  if (Buffer.isBuffer(chunk)) record(chunk);
  return write.call(this, chunk, ...rest);
};

function record(chunk) {
  for (let at = 0; at + 5 <= chunk.length; ) {
    const type = String.fromCharCode(chunk[at]);
    const length = chunk.readInt32BE(at + 1);
    if (length < 4 || at + 1 + length > chunk.length) return;
    const body = chunk.subarray(at + 5, at + 1 + length);
    if (type === 'Q') sent.push({ sql: cString(body, 0).text });
    if (type === 'P') parsed = cString(body, cString(body, 0).next).text;
    if (type === 'B' && parsed !== undefined) {
      sent.push({ sql: parsed, params: bindParams(body) });
      parsed = undefined;
    }
    at += 1 + length;
  }
}

function cString(buffer, from) {
  const end = buffer.indexOf(0, from);
  return { text: buffer.toString('utf8', from, end), next: end + 1 };
}

function bindParams(body) {
  let at = cString(body, cString(body, 0).next).next;
  const formats = body.readInt16BE(at);
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

process.on('exit', () => writeFileSync(process.env.ASTRA_BENCH_SQL_OUT, JSON.stringify(sent)));
