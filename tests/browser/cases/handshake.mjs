// What Chromium makes of the server's handshake answers: the subprotocol it
// picked (or the failed connection when it picked none of those offered, as
// RFC 6455 4.1 tells the client to fail it) and the extensions it agreed to.
import assert from 'node:assert/strict';

const cleanClose = { code: 1000, reason: '', wasClean: true, errored: false };

async function subprotocolAgreed({ page }) {
  const outcomes = await page.evaluate(async () => {
    const outcomes = [];
    for (const protocols of [['chat', 'superchat'], ['superchat', 'chat'], []]) {
      const peer = await wsCheck.Peer.open('/', { protocols });
      outcomes.push({ offered: protocols, protocol: peer.protocol,
                      echo: await peer.echo('hi'), close: await peer.shut(1000) });
    }
    return outcomes;
  });
  assert.deepEqual(outcomes, [
    { offered: ['chat', 'superchat'], protocol: 'chat', echo: 'hi', close: cleanClose },
    { offered: ['superchat', 'chat'], protocol: 'chat', echo: 'hi', close: cleanClose },
    { offered: [], protocol: '', echo: 'hi', close: cleanClose },
  ]);
  return "['chat','superchat'] and ['superchat','chat'] -> 'chat'; none offered -> ''";
}

async function subprotocolRefused({ page }) {
  const outcome = await page.evaluate(() => wsCheck.Peer.attempt('/', ['nope']));
  assert.deepEqual(outcome, { opened: false, close: { code: 1006, reason: '', wasClean: false, errored: true } });
  return "['nope'] -> error, close 1006, never open";
}

function extensionsSeen(expected) {
  return async ({ page }) => {
    const { extensions, close } = await page.evaluate(async () => {
      const peer = await wsCheck.Peer.open('/');
      const extensions = peer.extensions;
      return { extensions, close: await peer.shut(1000) };
    });
    assert.match(extensions, expected);
    assert.deepEqual(close, cleanClose);
    return `ws.extensions = ${JSON.stringify(extensions)}`;
  };
}

export default [
  { name: 'subprotocol-agreed', server: 'chat', run: subprotocolAgreed },
  {
    name: 'subprotocol-refused',
    server: 'chat',
    run: subprotocolRefused,
    // Chromium's own report of the failed handshake.
    expectedConsole: [{ text: /^WebSocket connection to '.*' failed: .*Sec-WebSocket-Protocol/ }],
  },
  // RFC 7692 7: the parameters, if any, are the server's answer to the offer.
  { name: 'extensions-deflate', server: 'deflate',
    run: extensionsSeen(/^permessage-deflate(; ?(server|client)_(no_context_takeover|max_window_bits=\d+))*$/) },
  { name: 'extensions-none', server: 'plain', run: extensionsSeen(/^$/) },
];
