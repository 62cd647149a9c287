// The demo page at / used as a person would: it connects by itself, a typed
// message comes back, a binary message comes back with the same bytes,
// Disconnect closes with the chosen code and reason, Connect reconnects.
import assert from 'node:assert/strict';
import path from 'node:path';

const stateIs = (page, state) => page.locator(`#state[data-state="${state}"]`).waitFor();
const lastEntryText = (page, kind) => page.locator(`#log p.${kind} .text`).last().textContent();

async function useDemoPage({ page, artifacts }) {
  await stateIs(page, 'open');
  assert.match(await page.locator('#extensions').textContent(), /^permessage-deflate/);

  const message = 'Hello from Chromium ✓ 😀';
  await page.locator('#message').fill(message);
  await page.getByRole('button', { name: 'Send text', exact: true }).click();
  const echoed = page.locator('#log p.received .text', { hasText: message });
  await echoed.waitFor();
  assert.equal(await echoed.textContent(), `text, ${Buffer.byteLength(message)} bytes: ${message}`);

  await page.locator('#size').fill('16');
  await page.getByRole('button', { name: 'Send binary', exact: true }).click();
  await page.locator('#log p.received .text', { hasText: 'binary' }).waitFor();
  const sent = await lastEntryText(page, 'sent');
  assert.match(sent, /^binary, 16 bytes: ([0-9a-f]{2} ){15}[0-9a-f]{2}$/);
  assert.equal(await lastEntryText(page, 'received'), sent, 'the binary echo shows the bytes sent');

  await page.screenshot({ path: path.join(artifacts, 'demo-page.png'), fullPage: true });

  await page.locator('#code').fill('4000');
  await page.locator('#reason').fill('done here');
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await stateIs(page, 'closed');
  assert.equal(await lastEntryText(page, 'close'), 'code 4000, reason "done here", clean');

  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await stateIs(page, 'open');
  return 'typed text and 16 random bytes echoed; closed 4000 and reconnected';
}

export default [{ name: 'demo-page', server: 'deflate', run: useDemoPage }];
