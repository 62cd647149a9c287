#!/usr/bin/env node
// A WebSocket client built on Node's `ws` package, run by faye's server
// tests against an echo server:
//
//     node node_ws_client.js ws://127.0.0.1:PORT/path --deflate on|off
//
// It offers permessage-deflate (compressing every message) or not, then
//  - sends text and binary messages of 0, 125, 126, 65536 and 1 MiB bytes,
//    each compressible and random, and checks that each comes back in order,
//    with its type, byte for byte;
//  - pings with a payload and waits for the pong carrying it;
//  - closes with 4000 "bye" and checks that the server's close frame carries
//    the same code and reason.
// It prints `extensions: VALUE` (the Sec-WebSocket-Extensions the server
// answered, empty when none), `ws.extensions: NAMES` and finally `ok`, and
// exits 0. Any failure prints `failed: WHY` and exits 1; so does taking more
// than 20 seconds in all.
'use strict';

const crypto = require('crypto');
const WebSocket = require('ws');

const overallTimeoutMs = 20000;
const sizes = [0, 125, 126, 65536, 1024 * 1024];

function fail(why) {
  console.log(`failed: ${why}`);
  process.exit(1);
}

function parseArguments(argv) {
  if (argv.length !== 3 || argv[1] !== '--deflate' || !['on', 'off'].includes(argv[2])) {
    process.stderr.write('usage: node_ws_client.js ws://HOST:PORT/PATH --deflate on|off\n');
    process.exit(2);
  }
  return { url: argv[0], deflate: argv[2] === 'on' };
}

// Compressible text is a repeated sentence; random text mixes 1- to 4-byte
// UTF-8 characters (cut to exactly `size` bytes at a character boundary,
// padded with ASCII).
function compressibleText(size) {
  const sentence = 'The quick brown fox jumps over the lazy dog. ';
  return sentence.repeat(Math.ceil(size / sentence.length) + 1).slice(0, size);
}

function randomText(size) {
  const alphabet = ['a', 'Z', '7', ' ', '\u00e9', '\u00df', '\u2713', '\u20ac', '\u{1F600}', '\u{10348}'];
  const pieces = [];
  let bytes = 0;
  const picks = crypto.randomBytes(size);
  for (let i = 0; bytes < size; ++i) {
    let piece = alphabet[picks[i % size] % alphabet.length];
    const length = Buffer.byteLength(piece);
    if (bytes + length > size) piece = 'x'.repeat(size - bytes);
    pieces.push(piece);
    bytes += Buffer.byteLength(piece);
  }
  return pieces.join('');
}

function compressibleBinary(size) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; ++i) bytes[i] = (i % 64) < 32 ? 0 : i % 7;
  return bytes;
}

function messages() {
  const out = [];
  for (const size of sizes) {
    out.push({ name: `compressible text of ${size}`, binary: false, data: compressibleText(size) });
    out.push({ name: `random text of ${size}`, binary: false, data: randomText(size) });
    out.push({ name: `compressible binary of ${size}`, binary: true, data: compressibleBinary(size) });
    out.push({ name: `random binary of ${size}`, binary: true, data: crypto.randomBytes(size) });
  }
  for (const message of out) {
    message.bytes = message.binary ? message.data : Buffer.from(message.data, 'utf8');
    if (message.bytes.length !== Number(message.name.split(' ').pop())) {
      fail(`internal: ${message.name} has ${message.bytes.length} bytes`);
    }
  }
  return out;
}

const options = parseArguments(process.argv.slice(2));
setTimeout(() => fail(`no result after ${overallTimeoutMs / 1000} s`), overallTimeoutMs).unref();

const sent = messages();
const pingPayload = Buffer.from('ping from node');
let received = 0;
let phase = 'connecting';

const ws = new WebSocket(options.url, {
  perMessageDeflate: options.deflate ? { threshold: 0 } : false,
  maxPayload: 16 * 1024 * 1024,
  handshakeTimeout: 10000,
});

ws.on('upgrade', (response) => {
  console.log(`extensions: ${response.headers['sec-websocket-extensions'] || ''}`);
});

ws.on('unexpected-response', (request, response) => {
  fail(`handshake answered with HTTP ${response.statusCode}`);
});

ws.on('error', (error) => fail(`error while ${phase}: ${error.message}`));

ws.on('open', () => {
  console.log(`ws.extensions: ${ws.extensions}`);
  phase = 'echoing';
  for (const message of sent) ws.send(message.data, { binary: message.binary });
});

ws.on('message', (data, isBinary) => {
  if (phase !== 'echoing') fail(`unexpected message while ${phase}`);
  const expected = sent[received];
  if (isBinary !== expected.binary) {
    fail(`${expected.name} came back as ${isBinary ? 'binary' : 'text'}`);
  }
  if (!data.equals(expected.bytes)) {
    fail(`${expected.name} came back altered (${data.length} bytes)`);
  }
  if (++received === sent.length) {
    phase = 'pinging';
    ws.ping(pingPayload);
  }
});

ws.on('pong', (data) => {
  if (phase !== 'pinging') fail(`unexpected pong while ${phase}`);
  if (!data.equals(pingPayload)) fail(`the pong carried '${data.toString()}'`);
  phase = 'closing';
  ws.close(4000, 'bye');
});

ws.on('close', (code, reason) => {
  if (phase !== 'closing') fail(`closed with ${code} '${reason}' while ${phase}`);
  if (code !== 4000 || reason.toString() !== 'bye') {
    fail(`the server answered close 4000 'bye' with ${code} '${reason}'`);
  }
  console.log('ok');
  process.exit(0);
});
