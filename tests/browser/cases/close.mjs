// Close codes and reasons as Chromium reports them: the server echoes the
// browser's close (RFC 6455 5.5.1), answers a close without a status with
// one (1005 on the browser's side, RFC 6455 7.1.5), and closes with 1009 a
// message larger than its --max-length, saying why.
import assert from 'node:assert/strict';

// 61 two-byte characters and one ASCII: the 123 bytes a close reason may have.
const longestReason = 'é'.repeat(61) + 'x';

async function browserCloses({ page }) {
  const closes = await page.evaluate(async (longestReason) => {
    const closes = [];
    for (const [code, reason] of [[4001, 'bye ✓'], [1000, ''], [3000, longestReason], [undefined, undefined]]) {
      const peer = await wsCheck.Peer.open('/');
      closes.push(await peer.shut(code, reason));
    }
    return closes;
  }, longestReason);
  assert.deepEqual(closes, [
    { code: 4001, reason: 'bye ✓', wasClean: true, errored: false },
    { code: 1000, reason: '', wasClean: true, errored: false },
    { code: 3000, reason: longestReason, wasClean: true, errored: false },
    { code: 1005, reason: '', wasClean: true, errored: false },
  ]);
  return "4001 'bye ✓', 1000, 3000 with a 123-byte reason, and no code (1005) echoed";
}

// The server runs with --max-length 1000 and deflate: the limit holds for
// messages that arrive compressed (the 'x' run) and those that don't.
async function serverClosesTooBig({ page }) {
  const outcomes = await page.evaluate(async () => {
    const outcomes = [];
    const tooBig = [['x'.repeat(1001), 'compressible text'], [wsCheck.randomBytes(1001, 9), 'random binary']];
    for (const [data, label] of tooBig) {
      const peer = await wsCheck.Peer.open('/');
      const atLimit = data.slice(0, 1000);
      const difference = await wsCheck.difference(atLimit, await peer.echo(atLimit));
      peer.send(data);
      const next = await peer.next();
      outcomes.push({ label, atLimit: difference, afterTooBig: next.close ?? 'a message came back' });
    }
    return outcomes;
  });
  for (const { label, atLimit, afterTooBig } of outcomes) {
    assert.equal(atLimit, '', `${label}: 1000 bytes echoed`);
    assert.equal(afterTooBig.code, 1009, label);
    assert.match(afterTooBig.reason, /maximum length of 1000 bytes/, label);
    assert.equal(afterTooBig.wasClean, true, label);
  }
  return outcomes.map(({ label, afterTooBig }) => `${label}: 1009 '${afterTooBig.reason}'`).join('; ');
}

export default [
  { name: 'close-by-browser', server: 'deflate', run: browserCloses },
  { name: 'close-by-server-1009', server: 'small', run: serverClosesTooBig },
];
