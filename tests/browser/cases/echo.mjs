// Echo through Chromium's WebSocket: text of every UTF-8 width, binary as
// ArrayBuffer and Blob, the sizes where the frame header changes up to
// 16 MiB, and a thousand messages in a row. Every message must come back
// with its type and byte for byte, and every connection must close cleanly.
import assert from 'node:assert/strict';

const MiB = 1024 * 1024;

// Text, as a person would type it in any script; also the code points at
// each UTF-8 width boundary, which is where a validator goes wrong.
const textSamples = [
  'Hello, world!',
  '',
  'Grüße aus Köln, ½ € — Ελληνικά, Русский, עברית, العربية',
  '日本語のテキスト、中文、한국어',
  '𝄞 𝕳𝖊𝖑𝖑𝖔 😀 🎉 👩‍👩‍👧‍👦 🇫🇷 🏳️‍🌈',
  'e\u0301 a\u0308 n\u0303 \u0915\u094D\u0937 A\u030A\u0323 Z\u0324\u0354\u0367\u0311',
  'nul\u0000inside',
  '\u007f\u0080\u07ff\u0800\ud7ff\ue000\ufffd\uffff\u{10000}\u{10ffff}',
];

async function textEcho({ page }) {
  const { received, close } = await page.evaluate(async (samples) => {
    const peer = await wsCheck.Peer.open('/');
    const received = [];
    for (const sample of samples) received.push(await peer.echo(sample));
    return { received, close: await peer.shut(1000) };
  }, textSamples);
  assert.deepEqual(received, textSamples);
  assert.deepEqual(close, { code: 1000, reason: '', wasClean: true, errored: false });
  return `${textSamples.length} messages, 0 to ${Math.max(...textSamples.map((s) => Buffer.byteLength(s)))} bytes`;
}

// Runs in the page: rows of { label, type, difference } for binary
// messages sent in several forms, received as `binaryType`.
async function binaryEchoInPage({ binaryType }) {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const random = wsCheck.randomBytes(4096, 42);
  const view = random.subarray(100, 1100);
  const messages = [
    { label: 'Uint8Array of all 256 byte values', data: all },
    { label: 'ArrayBuffer', data: random.buffer.slice(0, 4096) },
    { label: 'view with offset', data: view, expected: view.slice() },
    { label: 'DataView', data: new DataView(random.buffer, 7, 33), expected: random.slice(7, 40) },
    { label: 'empty ArrayBuffer', data: new ArrayBuffer(0) },
    { label: 'Blob', data: new Blob([random]), expected: random },
    { label: 'Blob of parts', data: new Blob([all, random.subarray(0, 10)]),
      expected: Uint8Array.from([...all, ...random.subarray(0, 10)]) },
    { label: 'empty Blob', data: new Blob([]), expected: new Uint8Array(0) },
  ];
  const peer = await wsCheck.Peer.open('/', { binaryType });
  const rows = [];
  for (const { label, data, expected = data } of messages) {
    const received = await peer.echo(data);
    rows.push({ label, type: Object.prototype.toString.call(received),
                difference: await wsCheck.difference(expected, received) });
  }
  return { rows, close: await peer.shut(1000) };
}

function binaryEcho(binaryType, expectedType) {
  return async ({ page }) => {
    const { rows, close } = await page.evaluate(binaryEchoInPage, { binaryType });
    for (const row of rows) {
      assert.equal(row.type, expectedType, row.label);
      assert.equal(row.difference, '', row.label);
    }
    assert.deepEqual(close, { code: 1000, reason: '', wasClean: true, errored: false });
    return `${rows.length} messages (${rows.map((row) => row.label).join(', ')})`;
  };
}

// 125, 126 and 65535, 65536 are where RFC 6455 5.2's length field grows.
const sizes = [0, 1, 125, 126, 127, 65535, 65536, 65537, MiB, 16 * MiB];

function sizesEcho(kind) {
  return async ({ page }) => {
    const { rows, close } = await page.evaluate(async ({ kind, sizes }) => {
      const peer = await wsCheck.Peer.open('/');
      const messages = sizes.map((size, i) => ({
        label: String(size),
        data: kind === 'text' ? wsCheck.randomText(size, i + 1) : wsCheck.randomBytes(size, i + 1),
      }));
      return { rows: await wsCheck.echoAll(peer, messages), close: await peer.shut(1000) };
    }, { kind, sizes });
    assert.deepEqual(rows.map((row) => row.size), sizes, 'message sizes in UTF-8 bytes');
    assert.deepEqual(rows.filter((row) => row.difference), []);
    assert.deepEqual(close, { code: 1000, reason: '', wasClean: true, errored: false });
    return `${sizes.join(', ')} bytes`;
  };
}

// All sent before any is read, so that frames queue up on both sides.
async function manyInOrder({ page }) {
  const count = 1000;
  const { wrong, close } = await page.evaluate(async (count) => {
    const peer = await wsCheck.Peer.open('/');
    const expected = [];
    for (let i = 0; i < count; i++) {
      const data = i % 2 ? new Uint32Array([i, i * 7]).buffer : 'message ' + i + ' ' + '✓'.repeat(i % 13);
      expected.push(data);
      peer.send(data);
    }
    const wrong = [];
    for (let i = 0; i < count; i++) {
      const difference = await wsCheck.difference(expected[i], await peer.receive());
      if (difference) wrong.push(`#${i}: ${difference}`);
    }
    return { wrong: wrong.slice(0, 5), close: await peer.shut(1000) };
  }, count);
  assert.deepEqual(wrong, [], 'messages out of order or altered');
  assert.deepEqual(close, { code: 1000, reason: '', wasClean: true, errored: false });
  return `${count} messages, text and binary alternating`;
}

export default [
  { name: 'text-utf8', server: 'deflate', run: textEcho },
  { name: 'binary-arraybuffer', server: 'deflate', run: binaryEcho('arraybuffer', '[object ArrayBuffer]') },
  { name: 'binary-blob', server: 'deflate', run: binaryEcho('blob', '[object Blob]') },
  // Without deflate, so that the sizes are the frame sizes on the wire.
  { name: 'sizes-text', server: 'plain', run: sizesEcho('text') },
  { name: 'sizes-binary', server: 'plain', run: sizesEcho('binary') },
  { name: 'in-order-1000', server: 'deflate', run: manyInOrder },
];
