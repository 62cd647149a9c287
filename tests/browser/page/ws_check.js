// Loaded into the demo page by the runner (page.addScriptTag), so that the
// scripted checks run where a real application's WebSocket code would: in a
// page served over http by the server under test (Chromium's Local Network
// Access rules keep about:blank and data: pages from opening ws://127.0.0.1).
// Exposes window.wsCheck; every function is plain browser JavaScript.
'use strict';
window.wsCheck = (() => {
  const socketUrl = (path) => 'ws://' + location.host + path;

  function closeDetails(event, errored) {
    return { code: event.code, reason: event.reason, wasClean: event.wasClean, errored };
  }

  // A WebSocket whose messages and close are queued, so that a check awaits
  // them in order and never misses one that fired before it started waiting.
  class Peer {
    constructor(ws) {
      this.ws = ws;
      this.queue = [];
      this.waiters = [];
      this.close = null;
      let errored = false;
      ws.onerror = () => { errored = true; };
      ws.onmessage = (event) => this.deliver({ data: event.data });
      this.closedPromise = new Promise((resolve) => {
        ws.onclose = (event) => {
          this.close = closeDetails(event, errored);
          for (const waiter of this.waiters.splice(0)) waiter({ close: this.close });
          resolve(this.close);
        };
      });
    }

    // Resolves once open; rejects with the close details if it never opens.
    static open(path = '/', { protocols = [], binaryType = 'arraybuffer' } = {}) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(socketUrl(path), protocols);
        ws.binaryType = binaryType;
        const peer = new Peer(ws);
        ws.onopen = () => resolve(peer);
        peer.closed().then((close) => reject(new Error('closed before open: ' + JSON.stringify(close))));
      });
    }

    // What a page sees of a connection attempt, whether it opens or fails.
    static async attempt(path, protocols) {
      const ws = new WebSocket(socketUrl(path), protocols);
      let opened = false;
      ws.onopen = () => { opened = true; };
      const peer = new Peer(ws);
      const close = await peer.closed();
      return { opened, close };
    }

    get protocol() { return this.ws.protocol; }
    get extensions() { return this.ws.extensions; }

    deliver(item) {
      const waiter = this.waiters.shift();
      if (waiter) waiter(item);
      else this.queue.push(item);
    }

    next() {
      if (this.queue.length) return Promise.resolve(this.queue.shift());
      if (this.close) return Promise.resolve({ close: this.close });
      return new Promise((resolve) => this.waiters.push(resolve));
    }

    async receive() {
      const item = await this.next();
      if (item.close) throw new Error('closed while a message was awaited: ' + JSON.stringify(item.close));
      return item.data;
    }

    send(data) { this.ws.send(data); }

    async echo(data) {
      this.send(data);
      return this.receive();
    }

    closed() { return this.closedPromise; }

    // Closes and waits for the server's answer: the close event's details.
    async shut(code, reason) {
      if (code === undefined) this.ws.close();
      else this.ws.close(code, reason);
      return this.closed();
    }
  }

  // xorshift32: the same seed gives the same bytes, so a failure reproduces.
  function randomBytes(length, seed = 1) {
    const words = new Uint32Array(Math.ceil(length / 4));
    let x = seed >>> 0 || 1;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      words[i] = x;
    }
    return new Uint8Array(words.buffer, 0, length);
  }

  // Exactly `byteLength` bytes of UTF-8 mixing 1- to 4-byte characters (no
  // surrogates), decoded to a string; the mix makes every frame size a test
  // of character boundaries split across frames.
  function randomText(byteLength, seed = 1) {
    const noise = randomBytes(byteLength * 2 + 8, seed);
    const bytes = new Uint8Array(byteLength);
    let out = 0;
    for (let n = 0; out < byteLength; n += 2) {
      const width = Math.min(1 + (noise[n] & 3), byteLength - out);
      const r = noise[n + 1] | (noise[n] << 8);
      if (width === 1) {
        bytes[out++] = 0x20 + (r % 0x5f);
      } else if (width === 2) {
        const c = 0x80 + (r % 0x780);
        bytes[out++] = 0xc0 | (c >> 6);
        bytes[out++] = 0x80 | (c & 0x3f);
      } else if (width === 3) {
        let c = 0x800 + (r % 0xf000);
        if (c >= 0xd800 && c <= 0xdfff) c += 0x800;
        bytes[out++] = 0xe0 | (c >> 12);
        bytes[out++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[out++] = 0x80 | (c & 0x3f);
      } else {
        const c = 0x10000 + ((r * 17) % 0x100000);
        bytes[out++] = 0xf0 | (c >> 18);
        bytes[out++] = 0x80 | ((c >> 12) & 0x3f);
        bytes[out++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[out++] = 0x80 | (c & 0x3f);
      }
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  }

  // Compressible on purpose: numbered lines of a repeated sentence, ASCII,
  // so its length in bytes is its length in characters.
  function compressibleText(byteLength) {
    const lines = [];
    let total = 0;
    for (let i = 0; total < byteLength; i++) {
      const line = 'line ' + i + ': the quick brown fox jumps over the lazy dog\n';
      lines.push(line);
      total += line.length;
    }
    return lines.join('').slice(0, byteLength);
  }

  function compressibleBytes(length) {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = (i >> 10) & 0x0f;
    return bytes;
  }

  async function bytesOf(data) {
    if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    throw new Error('not binary: ' + typeof data);
  }

  // '' when `received` is `expected`, else what differs (type, length, or
  // the first differing position).
  async function difference(expected, received) {
    if (typeof expected === 'string') {
      if (typeof received !== 'string') return 'expected text, received ' + Object.prototype.toString.call(received);
      if (received.length !== expected.length) return `length ${received.length}, expected ${expected.length}`;
      if (received === expected) return '';
      for (let i = 0; i < expected.length; i++) {
        if (received[i] !== expected[i]) return 'first difference at character ' + i;
      }
      return 'differs';
    }
    if (typeof received === 'string') return 'expected binary, received text';
    const want = expected instanceof Uint8Array ? expected : await bytesOf(expected);
    const got = await bytesOf(received);
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) return 'first difference at byte ' + i;
    }
    return '';
  }

  // Sends each message in turn and reports what came back, as
  // { label, size, difference } rows ('' difference = byte-exact echo).
  async function echoAll(peer, messages) {
    const rows = [];
    for (const { label, data } of messages) {
      const received = await peer.echo(data);
      const size = typeof data === 'string' ? new TextEncoder().encode(data).length
                                            : (data.size ?? data.byteLength);
      rows.push({ label, size, difference: await difference(data, received) });
    }
    return rows;
  }

  return { Peer, randomBytes, randomText, compressibleText, compressibleBytes, bytesOf, difference, echoAll };
})();
