#!/usr/bin/env node
// ws_echo.js: a Node `ws` echo server, a peer in bench/compare.
//
//     node ws_echo.js PORT [--deflate]    (0 picks a free port; prints `listening on PORT`)
//
// Every message goes back as it came (text as text, binary as binary), and
// nothing else is done per message (tests/interop/node_ws_echo_server.js also
// parses commands and logs every close, which would be measured here). `ws`
// comes from tests/interop/node_modules (scripts/deps installs it). With
// --deflate it agrees to permessage-deflate when offered and compresses every
// message (threshold 0; ws's default skips those under 1 KiB), as faye and
// Beast do, so the deflate tests compare the same work.
'use strict';

const path = require('path');
const { WebSocketServer } = require(
  require.resolve('ws', { paths: [path.join(__dirname, '..', '..', 'tests', 'interop')] }));

const [portArgument, ...flags] = process.argv.slice(2);
const port = Number(portArgument);
const deflate = flags.length === 1 && flags[0] === '--deflate';
if (!Number.isInteger(port) || port < 0 || port > 65535 || flags.length > (deflate ? 1 : 0)) {
  process.stderr.write('usage: node ws_echo.js PORT [--deflate]   (0 picks a free port)\n');
  process.exit(2);
}

const server = new WebSocketServer({
  host: '127.0.0.1',
  port,
  backlog: 4096,
  perMessageDeflate: deflate ? { threshold: 0 } : false,
  clientTracking: false,
});

server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});  // the close that follows is all that matters here
});
server.on('listening', () => console.log(`listening on ${server.address().port}`));
server.on('error', (error) => {
  process.stderr.write(`ws_echo.js: ${error.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
