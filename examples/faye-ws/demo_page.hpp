// The page `faye-ws serve` shows at /: a WebSocket console that connects back
// to the server it came from (ws: or wss: after the page's own scheme), sends
// text and random binary, closes with a chosen code and reason, and logs every
// event. Self-contained (inline CSS and script, no external resources), so it
// works offline; it follows the system's light or dark scheme.
#pragma once

#include <string_view>

namespace faye_ws {

inline constexpr std::string_view demo_page = R"faye_demo(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faye-ws echo</title>
<style>
  :root {
    color-scheme: light dark;
    --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0;
    --panel: #f6f8fa; --accent: #0550ae; --accent-fg: #ffffff;
    --ok: #116329; --warn: #7d4e00; --bad: #a40e26;
  }
  @media (prefers-color-scheme: dark) {
    :root {
      --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d;
      --panel: #151b23; --accent: #4493f8; --accent-fg: #0d1117;
      --ok: #3fb950; --warn: #d29922; --bad: #ff7b72;
    }
  }
  * { box-sizing: border-box; }
  body {
    margin: 0; background: var(--bg); color: var(--fg);
    font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  }
  main { max-width: 64rem; margin: 0 auto; padding: 1.25rem; }
  header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
  h1 { font-size: 1.4rem; margin: 0; }
  h2 { font-size: 1rem; margin: 0 0 .75rem; }
  .state {
    margin: 0; padding: .2rem .75rem; border-radius: 999px; border: 1px solid currentColor;
    font: 600 .85rem/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: .05em;
  }
  .state[data-state="connecting"], .state[data-state="closing"] { color: var(--warn); }
  .state[data-state="open"] { color: var(--ok); }
  .state[data-state="closed"] { color: var(--muted); }
  .panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; margin: 1rem 0; }
  section.panel { background: var(--panel); border: 1px solid var(--border); border-radius: .5rem; padding: 1rem; }
  form { display: grid; grid-template-columns: 1fr auto; gap: .35rem .5rem; align-items: end; margin: 0 0 1rem; }
  form:last-child { margin-bottom: 0; }
  label { grid-column: 1 / -1; font-size: .85rem; color: var(--muted); }
  .fields { display: grid; grid-template-columns: 7rem 1fr; gap: .5rem; }
  .fields label { grid-column: auto; }
  input {
    width: 100%; padding: .4rem .55rem; border: 1px solid var(--border); border-radius: .35rem;
    background: var(--bg); color: var(--fg); font: inherit;
  }
  button {
    padding: .4rem .9rem; border: 1px solid var(--accent); border-radius: .35rem;
    background: var(--accent); color: var(--accent-fg); font: inherit; font-weight: 600; cursor: pointer;
  }
  button.secondary { background: transparent; color: var(--accent); }
  button:disabled { opacity: .45; cursor: not-allowed; }
  input:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem .75rem; margin: 0; font-size: .9rem; }
  dt { color: var(--muted); }
  dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
  .log-header { display: flex; align-items: center; justify-content: space-between; }
  .log-header h2 { margin: 0; }
  #log {
    margin: .75rem 0 0; padding: .5rem; height: min(50vh, 26rem); overflow-y: auto;
    background: var(--bg); border: 1px solid var(--border); border-radius: .35rem;
    font: .85rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  }
  #log p { margin: 0; padding: .15rem .25rem; display: grid; grid-template-columns: 6.5rem 6rem 1fr; gap: .5rem; }
  #log p + p { border-top: 1px solid var(--border); }
  #log time { color: var(--muted); }
  #log .kind { font-weight: 600; }
  #log .text { white-space: pre-wrap; overflow-wrap: anywhere; }
  #log .sent .kind { color: var(--accent); }
  #log .received .kind { color: var(--ok); }
  #log .error .kind, #log .close .kind { color: var(--bad); }
  #log .info .kind { color: var(--muted); }
  .hint { font-size: .8rem; color: var(--muted); margin: 0; }
</style>
</head>
<body>
<main>
  <header>
    <h1>faye-ws echo</h1>
    <p id="state" class="state" role="status" aria-live="polite" data-state="closed">CLOSED</p>
  </header>

  <div class="panels">
    <section class="panel" aria-labelledby="connection-heading">
      <h2 id="connection-heading">Connection</h2>
      <form id="connect-form">
        <label for="url">URL</label>
        <input id="url" type="url" required spellcheck="false" autocomplete="off">
        <button id="connect" type="submit">Connect</button>
        <label for="protocols">Subprotocols to offer (comma-separated, optional)</label>
        <input id="protocols" spellcheck="false" autocomplete="off" placeholder="echo, chat">
      </form>
      <form id="close-form">
        <div class="fields">
          <label for="code">Close code</label>
          <label for="reason">Reason</label>
          <input id="code" type="number" min="1000" max="4999" value="1000" aria-describedby="code-hint">
          <input id="reason" maxlength="123" autocomplete="off" placeholder="optional">
        </div>
        <button id="disconnect" type="submit" class="secondary">Disconnect</button>
        <p id="code-hint" class="hint">Browsers send 1000 or 3000–4999; the server echoes it back.</p>
      </form>
      <dl>
        <dt>Protocol</dt><dd id="protocol">—</dd>
        <dt>Extensions</dt><dd id="extensions">—</dd>
      </dl>
    </section>

    <section class="panel" aria-labelledby="send-heading">
      <h2 id="send-heading">Send</h2>
      <form id="text-form">
        <label for="message">Text message</label>
        <input id="message" autocomplete="off" value="Hello, world!">
        <button id="send-text" type="submit">Send text</button>
      </form>
      <form id="binary-form">
        <label for="size">Random bytes (binary message, shown as hex)</label>
        <input id="size" type="number" min="0" max="65536" value="16">
        <button id="send-binary" type="submit">Send binary</button>
      </form>
    </section>
  </div>

  <section class="panel" aria-labelledby="log-heading">
    <div class="log-header">
      <h2 id="log-heading">Log</h2>
      <button id="clear" type="button" class="secondary">Clear</button>
    </div>
    <div id="log" role="log" aria-labelledby="log-heading" tabindex="0"></div>
  </section>
</main>

<script>
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
  const LABELS = { sent: '→ sent', received: '← received', info: 'info', error: 'error', close: 'close' };
  const MAX_LOG_ENTRIES = 500;
  const MAX_HEX_BYTES = 64;
  const encoder = new TextEncoder();
  let socket = null;

  $('url').value = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';

  function hex(bytes) {
    const shown = Array.from(bytes.subarray(0, MAX_HEX_BYTES), (b) => b.toString(16).padStart(2, '0'));
    return shown.join(' ') + (bytes.length > MAX_HEX_BYTES ? ' …' : '');
  }

  function log(kind, text) {
    const list = $('log');
    const following = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    const entry = document.createElement('p');
    entry.className = kind;
    const now = new Date();
    const time = document.createElement('time');
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString();
    const label = document.createElement('span');
    label.className = 'kind';
    label.textContent = LABELS[kind];
    const body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    entry.append(time, label, body);
    list.append(entry);
    while (list.childElementCount > MAX_LOG_ENTRIES) list.firstElementChild.remove();
    if (following) list.scrollTop = list.scrollHeight;
  }

  function update() {
    const state = socket ? socket.readyState : WebSocket.CLOSED;
    const name = STATES[state];
    $('state').textContent = name;
    $('state').dataset.state = name.toLowerCase();
    const open = state === WebSocket.OPEN;
    const closed = state === WebSocket.CLOSED;
    $('connect').disabled = !closed;
    $('url').readOnly = !closed;
    $('protocols').readOnly = !closed;
    $('disconnect').disabled = !(open || state === WebSocket.CONNECTING);
    $('send-text').disabled = !open;
    $('send-binary').disabled = !open;
    $('protocol').textContent = (socket && socket.protocol) || '—';
    $('extensions').textContent = (socket && socket.extensions) || '—';
  }

  function connect() {
    const protocols = $('protocols').value.split(',').map((p) => p.trim()).filter((p) => p);
    let ws;
    try {
      ws = new WebSocket($('url').value, protocols);
    } catch (error) {
      log('error', error.name + ': ' + error.message);
      return;
    }
    ws.binaryType = 'arraybuffer';
    socket = ws;
    log('info', 'connecting to ' + ws.url + (protocols.length ? ', offering ' + protocols.join(', ') : ''));
    ws.onopen = () => {
      log('info', 'open' + (ws.protocol ? ', protocol ' + ws.protocol : '') +
                  (ws.extensions ? ', extensions ' + ws.extensions : ''));
      update();
    };
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') {
        log('received', 'text, ' + encoder.encode(event.data).length + ' bytes: ' + event.data);
      } else {
        const bytes = new Uint8Array(event.data);
        log('received', 'binary, ' + bytes.length + ' bytes: ' + hex(bytes));
      }
    };
    // Browsers say nothing more about an error; the close event that follows has the code.
    ws.onerror = () => log('error', 'the connection failed or broke');
    ws.onclose = (event) => {
      log('close', 'code ' + event.code + (event.reason ? ', reason "' + event.reason + '"' : '') +
                   (event.wasClean ? ', clean' : ', not clean'));
      update();
    };
    update();
  }

  $('connect-form').addEventListener('submit', (event) => {
    event.preventDefault();
    connect();
  });

  $('close-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!socket) return;
    const field = $('code').value.trim();
    const reason = $('reason').value;
    try {
      if (field === '') {
        socket.close();
        log('info', 'closing without a code');
      } else {
        socket.close(Number(field), reason);
        log('info', 'closing with code ' + field + (reason ? ', reason "' + reason + '"' : ''));
      }
    } catch (error) {
      log('error', error.name + ': ' + error.message);
    }
    update();
  });

  $('text-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('message').value;
    socket.send(text);
    log('sent', 'text, ' + encoder.encode(text).length + ' bytes: ' + text);
    $('message').select();
  });

  $('binary-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const size = Math.max(0, Math.min(65536, Math.floor(Number($('size').value) || 0)));
    const bytes = crypto.getRandomValues(new Uint8Array(size));
    socket.send(bytes);
    log('sent', 'binary, ' + size + ' bytes: ' + hex(bytes));
  });

  $('clear').addEventListener('click', () => $('log').replaceChildren());

  update();
  connect();
})();
</script>
</body>
</html>
)faye_demo";

}  // namespace faye_ws
