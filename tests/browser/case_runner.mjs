// Runs one named case in a fresh browser context: loads the demo page of the
// case's server (http, same origin as its WebSockets), injects the in-page
// helpers, runs the case under a time limit, and fails it on any console
// error or uncaught page exception the case did not declare as expected.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const helperScript = path.join(here, 'page', 'ws_check.js');
const caseLimitMs = 45_000;

// Chromium asks every page for /favicon.ico; the echo server has none.
const alwaysExpected = [{ text: /^Failed to load resource: .* 404/, url: /\/favicon\.ico$/ }];

function isExpected(problem, expected) {
  return [...alwaysExpected, ...expected].some(
    (pattern) => pattern.text.test(problem.text) && (!pattern.url || pattern.url.test(problem.url)));
}

function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Returns { name, ok, ms, detail }; never throws.
export async function runCase(browser, testCase, { servers, artifacts }) {
  const started = Date.now();
  const server = servers[testCase.server];
  const problems = [];
  let page;
  try {
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push({ text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (error) => problems.push({ text: 'uncaught ' + String(error), url: '' }));
    await page.goto(server.url);
    await page.addScriptTag({ path: helperScript });
    const detail = await withTimeout(testCase.run({ page, server, artifacts }), caseLimitMs, testCase.name);
    const unexpected = problems.filter((problem) => !isExpected(problem, testCase.expectedConsole ?? []));
    if (unexpected.length) {
      throw new Error('unexpected console errors: ' + unexpected.map((problem) => problem.text).join(' | '));
    }
    return { name: testCase.name, ok: true, ms: Date.now() - started, detail: detail ?? '' };
  } catch (error) {
    return { name: testCase.name, ok: false, ms: Date.now() - started, detail: error.message };
  } finally {
    if (page) await page.context().close().catch(() => {});
  }
}
