// permessage-deflate (RFC 7692) between Chromium and the server: large
// messages that compress well and messages that do not, text and binary,
// and a run of similar messages that lean on the shared sliding window
// (context takeover) in both directions. Each must come back byte for byte.
import assert from 'node:assert/strict';

const MiB = 1024 * 1024;

async function largeMessages({ page }) {
  const { extensions, rows, close } = await page.evaluate(async (MiB) => {
    const peer = await wsCheck.Peer.open('/');
    const messages = [
      { label: 'compressible text 4 MiB', data: wsCheck.compressibleText(4 * MiB) },
      { label: 'random text 1 MiB', data: wsCheck.randomText(MiB, 5) },
      { label: 'compressible binary 16 MiB', data: wsCheck.compressibleBytes(16 * MiB) },
      { label: 'random binary 4 MiB', data: wsCheck.randomBytes(4 * MiB, 6) },
      { label: 'empty text', data: '' },
      { label: 'empty binary', data: new Uint8Array(0) },
    ];
    return { extensions: peer.extensions, rows: await wsCheck.echoAll(peer, messages),
             close: await peer.shut(1000) };
  }, MiB);
  assert.match(extensions, /^permessage-deflate/);
  assert.deepEqual(rows.filter((row) => row.difference), []);
  assert.deepEqual(close, { code: 1000, reason: '', wasClean: true, errored: false });
  return rows.map((row) => row.label).join(', ');
}

async function contextTakeover({ page }) {
  const count = 200;
  const { rows, close } = await page.evaluate(async (count) => {
    const peer = await wsCheck.Peer.open('/');
    const messages = [];
    for (let i = 0; i < count; i++) {
      const line = `{"id":${i},"user":"ada","text":"the same words again and again ✓","seq":[${i},${i + 1}]}`;
      messages.push({ label: String(i), data: i % 3 ? line : new TextEncoder().encode(line.repeat(50)) });
    }
    return { rows: await wsCheck.echoAll(peer, messages), close: await peer.shut(1000) };
  }, count);
  assert.equal(rows.length, count);
  assert.deepEqual(rows.filter((row) => row.difference), []);
  assert.deepEqual(close, { code: 1000, reason: '', wasClean: true, errored: false });
  return `${count} similar messages, text and binary`;
}

export default [
  { name: 'deflate-large', server: 'deflate', run: largeMessages },
  { name: 'deflate-context-takeover', server: 'deflate', run: contextTakeover },
];
