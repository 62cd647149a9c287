#!/usr/bin/env node
// Chromium against `faye-ws serve`: the browser's WebSocket is the client
// that matters most, so every case runs in a page the server under test
// served, through the standard API only. Usage:
//
//     node chromium_test.mjs --faye-ws PATH [--chromium /usr/bin/chromium]
//                            [--artifacts DIR] [--deadline SECONDS] [--only NAME]
//
// Starts its own servers on 127.0.0.1 (ports from the OS), drives Debian's
// Chromium headless through playwright-core (it never downloads a browser),
// prints one row per case and `N passed, M failed`, and exits 1 on any
// failure. A global deadline ends the run, and every process it started, in
// all cases. Artifacts: demo-page.png and one log per server.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { runCase } from './case_runner.mjs';
import { FayeWsServer, killAllServers } from './faye_ws_server.mjs';
import closeCases from './cases/close.mjs';
import deflateCases from './cases/deflate.mjs';
import demoPageCases from './cases/demo_page.mjs';
import echoCases from './cases/echo.mjs';
import handshakeCases from './cases/handshake.mjs';

const cases = [...demoPageCases, ...echoCases, ...handshakeCases, ...closeCases, ...deflateCases];

// The servers the cases use, by name: options for `faye-ws serve`.
const serverOptions = {
  deflate: [],
  plain: ['--no-deflate'],
  chat: ['--protocol', 'chat'],
  small: ['--max-length', '1000'],
};

const { values: options } = parseArgs({
  options: {
    'faye-ws': { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    artifacts: { type: 'string', default: 'artifacts' },
    deadline: { type: 'string', default: '150' },
    only: { type: 'string' },
  },
});

const results = [];

function row(result) {
  const [first, ...rest] = String(result.detail).split('\n');
  console.log(`${result.name.padEnd(26)} ${(result.ok ? 'pass' : 'FAIL').padEnd(6)} ${String(result.ms).padStart(7)}  ${first}`);
  for (const line of rest) console.log(`${' '.repeat(44)}${line}`);
}

function record(result) {
  results.push(result);
  row(result);
}

function finish() {
  const failed = results.filter((result) => !result.ok);
  console.log(`${results.length - failed.length} passed, ${failed.length} failed` +
              (failed.length ? ` (${failed.map((result) => result.name).join(', ')})` : ''));
  return failed.length ? 1 : 0;
}

function executable(file, what) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(`${what} not found or not executable: ${file}`);
  }
}

// Stops the servers gracefully (SIGTERM): each must exit 0 in time, with the
// browser's connections already gone.
async function stopServers(servers) {
  const started = Date.now();
  const endings = await Promise.all(Object.values(servers).map(async (server) => [server.name, await server.stop()]));
  const bad = endings.filter(([, end]) => end.code !== 0 || end.late)
                     .map(([name, end]) => `${name}: ${end.late ? 'killed after SIGTERM' : (end.signal ?? 'exit ' + end.code)}`);
  record({ name: 'servers-stop', ok: bad.length === 0, ms: Date.now() - started,
           detail: bad.length ? bad.join('; ') : `${endings.length} servers exited 0 on SIGTERM` });
}

// Imported here so that a missing package is reported like the other
// missing pieces, with what to do about it.
async function loadChromium() {
  try {
    return (await import('playwright-core')).chromium;
  } catch (error) {
    throw new Error(`playwright-core is not installed in tests/browser/node_modules (run scripts/deps): ${error.message}`);
  }
}

async function main() {
  const chromium = await loadChromium();
  if (!options['faye-ws']) throw new Error('--faye-ws PATH is required');
  executable(options['faye-ws'], 'faye-ws');
  executable(options.chromium, 'Chromium');
  const artifacts = path.resolve(options.artifacts);
  fs.mkdirSync(artifacts, { recursive: true });
  const selected = cases.filter((testCase) => !options.only || testCase.name === options.only);
  if (!selected.length) throw new Error(`no case named ${options.only}`);

  const servers = {};
  try {
    await Promise.all(Object.entries(serverOptions).map(async ([name, extra]) => {
      servers[name] = await FayeWsServer.start({
        fayeWs: options['faye-ws'], name, options: extra,
        logFile: path.join(artifacts, `browser-server-${name}.log`),
      });
    }));
    const browser = await chromium.launch({
      executablePath: options.chromium,
      headless: true,
      timeout: 30_000,
      // CI runs as root, where Chromium's sandbox cannot start; /dev/shm is
      // small in containers; nothing may reach beyond loopback.
      args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage',
             '--disable-component-update', '--no-first-run'],
    });
    try {
      console.log(`Chromium ${browser.version()}; servers: ` +
                  Object.values(servers).map((server) => `${server.name} ${server.url}`).join(', '));
      console.log(`${'case'.padEnd(26)} result ${'ms'.padStart(7)}  detail`);
      for (const testCase of selected) record(await runCase(browser, testCase, { servers, artifacts }));
    } finally {
      await browser.close();
    }
  } finally {
    if (Object.keys(servers).length === Object.keys(serverOptions).length) await stopServers(servers);
    killAllServers();
  }
}

process.on('exit', killAllServers);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`chromium_test: ${signal}`);
    process.exit(1);
  });
}

const deadlineSeconds = Number(options.deadline);
const deadline = setTimeout(() => {
  record({ name: 'deadline', ok: false, ms: deadlineSeconds * 1000,
           detail: `the run took longer than ${deadlineSeconds} s; the servers and Chromium are killed` });
  finish();
  process.exit(1);
}, deadlineSeconds * 1000);

main().then(
  () => {
    clearTimeout(deadline);
    process.exit(finish());
  },
  (error) => {
    clearTimeout(deadline);
    record({ name: 'setup', ok: false, ms: 0, detail: error.message ?? String(error) });
    finish();
    process.exit(1);
  });
