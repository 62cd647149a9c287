#!/usr/bin/env node
// A WebSocket echo server on 127.0.0.1, built on Node's `ws` package
// (tests/interop/package.json; scripts/deps installs it), a peer that faye's
// client tests talk to.
//
//     node node_ws_echo_server.js --port 0 --deflate on|off
//
// Prints `listening on PORT` once it accepts connections. Every message comes
// back as it came (text as text, binary as binary), except these text
// commands:
//
//     extensions?          -> JSON {"extensions": ws.extensions (names),
//                             "offered": the request's Sec-WebSocket-Extensions,
//                             "accepted": the response's, both "" when absent}
//     close CODE REASON    -> the server closes with that code and reason
//
// With `--deflate on` permessage-deflate is accepted and every message is
// compressed (threshold 0); with `off` it is refused. When a connection ends
// it prints `closed CODE REASON` (1005 when the close frame had no code, 1006
// when there was none). stdout is a pipe, which Node writes synchronously on
// Linux, so each line is flushed when printed.
'use strict';

const { WebSocketServer } = require('ws');

function usage(message) {
  process.stderr.write(`node_ws_echo_server.js: ${message}\n` +
                       'usage: node_ws_echo_server.js --port N --deflate on|off\n');
  process.exit(2);
}

function parseArguments(argv) {
  const options = { port: 0, deflate: false };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) usage(`${argv[i]} needs a value`);
    if (argv[i] === '--port') {
      options.port = Number(value);
      if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
        usage(`bad port ${value}`);
      }
    } else if (argv[i] === '--deflate') {
      if (value !== 'on' && value !== 'off') usage(`--deflate is on or off, not ${value}`);
      options.deflate = value === 'on';
    } else {
      usage(`unknown argument ${argv[i]}`);
    }
  }
  return options;
}

const options = parseArguments(process.argv.slice(2));

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: options.port,
  perMessageDeflate: options.deflate ? { threshold: 0 } : false,
  maxPayload: 16 * 1024 * 1024,
  clientTracking: true,
});

// The Sec-WebSocket-Extensions answered to each request.
const accepted = new WeakMap();
server.on('headers', (headers, request) => {
  const prefix = 'sec-websocket-extensions:';
  const line = headers.find((header) => header.toLowerCase().startsWith(prefix));
  accepted.set(request, line ? line.slice(prefix.length).trim() : '');
});

server.on('connection', (ws, request) => {
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString('utf8');
      if (text === 'extensions?') {
        ws.send(JSON.stringify({
          extensions: ws.extensions,
          offered: request.headers['sec-websocket-extensions'] || '',
          accepted: accepted.get(request) || '',
        }));
        return;
      }
      const command = /^close (\d+)(?: (.*))?$/s.exec(text);
      if (command) {
        ws.close(Number(command[1]), command[2] || '');
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', (error) => console.log(`error ${error.message}`));
  ws.on('close', (code, reason) => console.log(`closed ${code} ${reason.toString()}`.trimEnd()));
});

server.on('listening', () => console.log(`listening on ${server.address().port}`));
server.on('error', (error) => {
  process.stderr.write(`node_ws_echo_server.js: ${error.message}\n`);
  process.exit(1);
});

process.on('SIGTERM', () => process.exit(0));
