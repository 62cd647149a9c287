#!/usr/bin/python3
"""Autobahn|Testsuite-style fuzzing client for `faye-ws serve` (RFC 6455).

Standard library only. Starts the echo server itself, runs the Autobahn case
categories against it over loopback, prints one row per case and a closing
line `N passed, M failed`, and exits 0 iff no case is FAILED.

    fuzzing_client.py --server /path/to/faye-ws [--cases 1.*,2.*] [--full]

Covered categories, with Autobahn's case numbers and expectations
(crossbario/autobahn-testsuite, autobahntestsuite/case/*.py):

  1  framing (text / binary, all payload-length encodings)
  2  pings and pongs
  3  reserved bits
  4  reserved opcodes
  5  fragmentation
  6  UTF-8 handling (6.1 - 6.23, including fail-fast 6.4.x)
  7  close handling (7.1.x, 7.3.x, 7.5.1, 7.7.x, 7.9.x, 7.13.x)
  9  limits and performance (9.1 - 9.8); by default messages are capped at
     1 MiB so the run stays short, `--full` uses Autobahn's sizes (16 MiB)
  10 automatic fragmentation (10.1.1)
  12 permessage-deflate echo (12.1.1 - 12.5.18): 5 data sets x 18 payload
     sizes (16 B - 128 KiB, whole or auto-fragmented), default offer
  13 permessage-deflate parameters (13.1.1 - 13.7.18): Autobahn's 7 client
     offers (server_no_context_takeover, server_max_window_bits 8/15, and a
     list of three offers) x the same 18 payload sizes
     By default 12.x and 13.x send 10 messages per case; `--full` sends
     Autobahn's 1000.

The client side of permessage-deflate (RFC 7692, deflate.py) uses zlib: raw
deflate, Z_SYNC_FLUSH, 00 00 FF FF stripped before sending and appended before
inflating, RSV1 on the first frame. Cases outside 12.x / 13.x offer no
extension; a server that negotiates an extension that was not offered, or
answers an offer with parameters that are invalid for it, fails the case.

Verdicts are Autobahn's: OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED.
The close behaviour (Autobahn's "behaviorClose") is shown in its own column;
see README.md for how it is folded into the verdict.

fuzzing_server.py plays the same cases in the server role against
`faye-ws autobahn`; both build on wire.py (frames, handshake, HTTP heads).
"""

import argparse
import base64
import fnmatch
import hashlib
import os
import random
import socket
import sys
import threading
import time
import zlib

sys.dont_write_bytecode = True     # importing the shared modules must not leave __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deflate  # noqa: E402  (permessage-deflate negotiation and codec)
import processes  # noqa: E402  (faye-ws serve, stopped by PID)
import wire  # noqa: E402  (frames, handshake, HTTP heads)

OK = "OK"
NON_STRICT = "NON-STRICT"
INFORMATIONAL = "INFORMATIONAL"
UNIMPLEMENTED = "UNIMPLEMENTED"
FAILED = "FAILED"

C_OK = "OK"
C_FAILED = "FAILED"
C_UNCLEAN = "UNCLEAN"
C_WRONG_CODE = "WRONG CODE"
C_FAILED_BY_CLIENT = "FAILED BY CLIENT"
C_INFORMATIONAL = "INFORMATIONAL"

NORMAL = 1000
PROTOCOL_ERROR = 1002
INVALID_PAYLOAD = 1007

CASE_TIMEOUT = 10.0          # seconds, per case (large 9.x cases get more)
CLOSE_TIMEOUT = 2.0          # waiting for the server's close frame / TCP FIN


def repeat_to(pattern, length):
    if length == 0:
        return b""
    return (pattern * (length // len(pattern) + 1))[:length]


class Connection:
    """One client WebSocket connection; a reader thread parses server frames.
    fuzzing_server.py derives the server end from it."""

    peer_masks = False            # RFC 6455 5.1: server frames are never masked

    def frame(self, opcode, payload=b"", fin=True, rsv=0):
        """A frame from this endpoint: a client masks with a fresh random key."""
        return wire.encode_frame(opcode, payload, fin, rsv, mask_key=os.urandom(4))

    def __init__(self, host, port, offer=None):
        self.host, self.port = host, port
        # permessage-deflate: `offer` is a list of offers, each a list of
        # (parameter, value or None); None offers no extension at all.
        self.offer = offer
        self.deflate = None           # a deflate.Deflate once the server accepted
        self.extensions_header = None
        self.compressed_in = 0        # server messages that had RSV1
        self.lock = threading.RLock()
        self.send_lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.received = []
        self.state = "CONNECTING"
        self.was_open = False
        self.closed_by_me = False
        self.sent_close = False
        self.got_close = False
        self.remote_close_code = None
        self.remote_close_reason = b""
        self.tcp_closed = False
        self.dropped_by_me = False
        self.reset = False
        self.notes = []
        self.violations = []
        self.on_event = None
        self.sock = None
        self.reader = None
        self.bytes_in = 0

    # ---- opening handshake -------------------------------------------------
    def open(self, timeout=5.0):
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16))
        req = (b"GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               b"Sec-WebSocket-Version: 13\r\nOrigin: http://%s:%d\r\n%s\r\n"
               % (self.host.encode(), self.port, key, self.host.encode(), self.port,
                  b"" if self.offer is None else
                  b"Sec-WebSocket-Extensions: %s\r\n" % deflate.offer_header(self.offer).encode()))
        self.sock.sendall(req)
        status_line, headers, rest = wire.read_head(self.sock, timeout)
        status = status_line.split(" ")
        if len(status) < 2 or status[1] != "101":
            raise RuntimeError("handshake refused: %r" % status_line)
        expect = wire.accept_key(key).decode()
        if headers.get("sec-websocket-accept") != expect:
            raise RuntimeError("bad Sec-WebSocket-Accept %r" % headers.get("sec-websocket-accept"))
        if headers.get("upgrade", "").lower() != "websocket":
            raise RuntimeError("bad Upgrade header %r" % headers.get("upgrade"))
        if "sec-websocket-extensions" in headers and self.offer is not None:
            self.extensions_header = headers["sec-websocket-extensions"]
            params, error = deflate.parse_response(self.extensions_header, self.offer)
            if error:
                raise RuntimeError("invalid permessage-deflate response %r: %s"
                                   % (self.extensions_header, error))
            self.deflate = deflate.client_codec(params)
        elif "sec-websocket-extensions" in headers:
            raise RuntimeError("server accepted an extension that was not offered: %r"
                               % headers["sec-websocket-extensions"])
        self.start_reading(rest)

    def start_reading(self, leftover):
        """The handshake is done: frames from here on (`leftover` came with the head)."""
        self.sock.settimeout(None)
        with self.lock:
            self.state = "OPEN"
            self.was_open = True
        self.reader = threading.Thread(target=self._read_loop, args=(bytearray(leftover),),
                                       daemon=True)
        self.reader.start()

    # ---- reading -----------------------------------------------------------
    def _read_loop(self, buf):
        msg_opcode = None
        msg_parts = []
        msg_compressed = False
        try:
            while True:
                frame = None
                while frame is None:
                    frame = self._parse(buf)
                    if frame is None:
                        chunk = self.sock.recv(1 << 20)
                        if not chunk:
                            self._eof()
                            return
                        self.bytes_in += len(chunk)
                        buf += chunk
                fin, rsv, opcode, payload = frame
                with self.lock:
                    if self.got_close:
                        self.violations.append("server sent a frame after its close frame")
                        continue
                if rsv == 4 and self.deflate is not None and opcode in (1, 2):
                    msg_compressed = True          # RSV1: this message is compressed
                elif rsv == 4 and self.deflate is not None:
                    self.violations.append("server set RSV1 on a %s frame" % (
                        "continuation" if opcode == 0 else "control"))
                elif rsv:
                    self.violations.append("server frame with RSV bits 0x%x" % rsv)
                if opcode >= 8:
                    if not fin or len(payload) > 125:
                        self.violations.append("server sent an invalid control frame")
                    if opcode == 8:
                        self._on_close_frame(payload)
                    elif opcode == 9:
                        self._event(("ping", payload))
                        self.send_raw(self.frame(10, payload))
                    elif opcode == 10:
                        self._event(("pong", payload))
                    else:
                        self.violations.append("server sent reserved opcode %d" % opcode)
                    continue
                if opcode == 0:
                    if msg_opcode is None:
                        self.violations.append("server sent a continuation without a message")
                        continue
                    msg_parts.append(payload)
                elif opcode in (1, 2):
                    if msg_opcode is not None:
                        self.violations.append("server started a message inside another one")
                    msg_opcode, msg_parts = opcode, [payload]
                    msg_compressed = rsv == 4 and self.deflate is not None
                else:
                    self.violations.append("server sent reserved opcode %d" % opcode)
                    continue
                if fin:
                    data = b"".join(msg_parts)
                    binary = msg_opcode == 2
                    msg_opcode, msg_parts = None, []
                    if msg_compressed:
                        msg_compressed = False
                        self.compressed_in += 1
                        try:
                            data = self.deflate.decompress(data)
                        except zlib.error as e:
                            self.violations.append("server sent a message that does not inflate"
                                                   " (%s): %s" % (self.deflate.describe(), e))
                    if not binary:
                        try:
                            data.decode("utf-8")
                        except UnicodeDecodeError:
                            self.violations.append("server sent a text message that is not UTF-8")
                    self._event(("message", data, binary))
        except OSError as e:
            with self.lock:
                if not self.dropped_by_me:
                    self.reset = True
                    self.notes.append("TCP error: %s" % (e.strerror or e))
            self._eof()

    def _parse(self, buf):
        frame = wire.parse_frame(buf)
        if frame is None:
            return None
        fin, rsv, opcode, masked, payload = frame
        if masked != self.peer_masks:        # RFC 6455 5.1
            self.violations.append("server sent a%s frame" % (" masked" if masked else "n unmasked"))
        return fin, rsv, opcode, payload

    def _event(self, ev):
        with self.lock:
            self.received.append(ev)
            self.cond.notify_all()
        if self.on_event:
            self.on_event(self)

    def _on_close_frame(self, payload):
        code = None
        if len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
        elif len(payload) == 1:
            self.violations.append("server close frame with a 1-byte payload")
        reply = False
        with self.lock:
            self.got_close = True
            self.remote_close_code = code
            self.remote_close_reason = payload[2:]
            if self.state == "OPEN":
                self.closed_by_me = False
                reply = True
            self.state = "CLOSING"
            self.cond.notify_all()
        if reply:
            self.send_close(NORMAL if code is None or code in (1005, 1006, 1015) else code,
                            internal=True)

    def _eof(self):
        with self.lock:
            self.tcp_closed = True
            self.state = "CLOSED"
            self.cond.notify_all()

    # ---- writing -----------------------------------------------------------
    def send_raw(self, data, chopsize=None, sync=False):
        try:
            with self.send_lock:
                if chopsize:
                    for i in range(0, len(data), chopsize):
                        self.sock.sendall(data[i:i + chopsize])
                        if sync or chopsize < 16:
                            time.sleep(0.0005)
                else:
                    self.sock.sendall(data)
                    if sync:
                        time.sleep(0.002)
        except OSError as e:
            with self.lock:
                if "write failed" not in " ".join(self.notes):
                    self.notes.append("write failed: %s" % (e.strerror or e))

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, chopsize=None, sync=False):
        self.send_raw(self.frame(opcode, payload, fin, rsv), chopsize, sync)

    def send_message(self, payload, binary=False, fragment_size=None, sync=False):
        op = 2 if binary else 1
        if not fragment_size or len(payload) <= fragment_size:
            self.send_frame(op, payload, sync=sync)
            return
        frames = []
        n = len(payload)
        for i in range(0, n, fragment_size):
            frames.append(self.frame(op if i == 0 else 0, payload[i:i + fragment_size],
                                      fin=i + fragment_size >= n))
        self.send_raw(b"".join(frames), sync=sync)

    def send_compressed(self, payload, binary=False, fragment_size=0):
        """One message compressed with permessage-deflate: RSV1 on its first
        frame; the compressed bytes split into frames of `fragment_size`."""
        data = self.deflate.compress(payload)
        op = 2 if binary else 1
        if not fragment_size or len(data) <= fragment_size:
            self.send_raw(self.frame(op, data, rsv=4))
            return
        frames = []
        n = len(data)
        for i in range(0, n, fragment_size):
            frames.append(self.frame(op if i == 0 else 0, data[i:i + fragment_size],
                                      fin=i + fragment_size >= n, rsv=4 if i == 0 else 0))
        self.send_raw(b"".join(frames))

    def send_close(self, code=None, reason=b"", internal=False):
        """Proper close (Autobahn's sendClose): changes state to CLOSING."""
        with self.lock:
            if self.sent_close or self.state == "CLOSED":
                return
            if self.state == "OPEN":
                self.closed_by_me = True
                self.state = "CLOSING"
            self.sent_close = True
        payload = b"" if code is None else code.to_bytes(2, "big") + reason
        self.send_frame(8, payload)

    def send_close_frame(self, code=None, reason=b""):
        """Raw close frame, possibly invalid (Autobahn's sendCloseFrame)."""
        payload = b"" if code is None else code.to_bytes(2, "big") + reason
        with self.lock:
            if self.state == "OPEN":
                self.closed_by_me = True
                self.state = "CLOSING"
            self.sent_close = True
        self.send_frame(8, payload)

    # ---- timing helpers ----------------------------------------------------
    def wait(self, pred, timeout):
        with self.cond:
            return self.cond.wait_for(pred, timeout)

    def wait_state_change(self, t):
        """continueLater: wait t seconds, returning early if no longer OPEN."""
        self.wait(lambda: self.state != "OPEN", t)

    def drop(self):
        with self.lock:
            if self.tcp_closed:
                return
            self.dropped_by_me = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.wait(lambda: self.tcp_closed, 2.0)

    def finish(self):
        """After our close frame, wait for the server's close and its TCP FIN."""
        if not self.wait(lambda: self.tcp_closed, CLOSE_TIMEOUT):
            self.drop()

    def close_after(self, t):
        self.wait(lambda: self.state != "OPEN", t)
        with self.lock:
            is_open = self.state == "OPEN"
        if is_open:
            self.send_close(NORMAL)
        self.finish()

    def kill_after(self, t):
        if not self.wait(lambda: self.tcp_closed, t):
            with self.lock:
                closing = self.sent_close and self.got_close
            if closing:          # handshake done: give the server its TCP close
                self.finish()
            else:
                self.drop()

    def was_clean(self):
        return (self.sent_close and self.got_close and self.tcp_closed
                and not self.dropped_by_me)

    def cleanup(self):
        try:
            self.sock.close()
        except (OSError, AttributeError):
            pass


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

class Case:
    def __init__(self, cid, desc, run, expected=None, expected_close=None,
                 suppress_close=False, informational=False, timeout=CASE_TIMEOUT,
                 check=None, offer=None, accept=None):
        self.id = cid
        self.desc = desc
        self.run_fn = run
        self.expected = expected if expected is not None else {}
        self.expected_close = expected_close or {}
        self.suppress_close = suppress_close
        self.informational = informational
        self.timeout = timeout
        self.check = check        # custom behaviour evaluation (9.x, 10.1.1, 12.x, 13.x)
        self.offer = offer        # permessage-deflate offers (12.x, 13.x), see Connection
        self.accept = accept      # the same in the server role: see deflate.accept
        self.state = {}


def ec(closed_by_me, codes, clean, fatal=False):
    return {"closedByMe": closed_by_me, "closeCode": codes, "requireClean": clean,
            "closedByWrongEndpointIsFatal": fatal}


def sort_key(cid):
    return tuple(int(x) for x in cid.split("."))


CASES = []


def add(*a, **kw):
    CASES.append(Case(*a, **kw))


def echo_ok(payload, binary=False):
    return {OK: [("message", payload, binary)]}


# ---- 1 framing -------------------------------------------------------------
def build_cat1():
    sizes = [0, 125, 126, 127, 128, 65535, 65536]
    for sub, (op, pat, kind) in enumerate([(1, b"*", "text"), (2, b"\xfe", "binary")], 1):
        for j, n in enumerate(sizes + [65536], 1):
            payload = pat * n
            chop = 997 if j == 8 else None
            desc = "Send %s message with payload length %d%s" % (
                kind, n, " (chopped into 997-octet writes)" if chop else "")

            def run(c, op=op, payload=payload, chop=chop):
                c.send_frame(op, payload, chopsize=chop)
                c.kill_after(10 if len(payload) > 1000 else 1)
            add("1.%d.%d" % (sub, j), desc, run, echo_ok(payload, op == 2),
                ec(True, [NORMAL], True))


# ---- 2 pings / pongs -------------------------------------------------------
def build_cat2():
    def ping_case(cid, desc, payload, chop=None, after=1):
        def run(c):
            c.send_frame(9, payload, chopsize=chop)
            c.close_after(after)
        add(cid, desc, run, {OK: [("pong", payload)]}, ec(True, [NORMAL], True))

    ping_case("2.1", "Send ping without payload", b"")
    ping_case("2.2", "Send ping with small text payload", b"Hello, world!")
    ping_case("2.3", "Send ping with small binary payload", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")
    ping_case("2.4", "Send ping with 125-octet binary payload", b"\xfe" * 125)

    def run25(c):
        c.send_frame(9, b"\xfe" * 126)
        c.kill_after(1)
    add("2.5", "Send ping with 126-octet payload (too long for a control frame)", run25,
        {OK: []}, ec(False, [PROTOCOL_ERROR], False))
    ping_case("2.6", "Send ping with 125-octet payload, chopped into 1-octet writes",
              b"\xfe" * 125, chop=1, after=2)

    def run27(c):
        c.send_frame(10)
        c.send_close(NORMAL)
        c.close_after(1)
    add("2.7", "Send unsolicited pong without payload, then close", run27,
        {OK: []}, ec(True, [NORMAL], True))

    def run28(c):
        c.send_frame(10, b"unsolicited pong payload")
        c.send_close(NORMAL)
        c.close_after(1)
    add("2.8", "Send unsolicited pong with payload, then close", run28,
        {OK: []}, ec(True, [NORMAL], True))

    def run29(c):
        c.send_frame(10, b"unsolicited pong payload")
        c.send_frame(9, b"ping payload")
        c.close_after(1)
    add("2.9", "Send unsolicited pong, then ping", run29,
        {OK: [("pong", b"ping payload")]}, ec(True, [NORMAL], True))

    for cid, chop in (("2.10", None), ("2.11", 1)):
        def run(c, chop=chop):
            for i in range(10):
                c.send_frame(9, b"payload-%d" % i, chopsize=chop)
            c.close_after(3)
        add(cid, "Send 10 pings%s" % (" in 1-octet chops" if chop else ""), run,
            {OK: [("pong", b"payload-%d" % i) for i in range(10)]}, ec(True, [NORMAL], True))


# ---- 3 reserved bits -------------------------------------------------------
def build_cat3():
    hello = b"Hello, world!"
    fail = ec(False, [PROTOCOL_ERROR], False)

    def run31(c):
        c.send_frame(1, hello, rsv=1)
        c.kill_after(1)
    add("3.1", "Send small text message with RSV = 1", run31, {OK: []}, fail)

    for cid, rsv, mode in (("3.2", 2, None), ("3.3", 3, "sync"), ("3.4", 4, "chop")):
        def run(c, rsv=rsv, mode=mode):
            kw = {"sync": mode == "sync", "chopsize": 1 if mode == "chop" else None}
            c.send_frame(1, hello, **kw)
            c.send_frame(1, hello, rsv=rsv, **kw)
            c.send_frame(9, **kw)
            c.kill_after(1)
        add(cid, "Send small text message, then another with RSV = %d, then ping%s"
            % (rsv, {None: "", "sync": " (frame by frame)", "chop": " (1-octet chops)"}[mode]),
            run, {OK: [("message", hello, False)], NON_STRICT: []}, fail)

    def run35(c):
        c.send_frame(2, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5)
        c.kill_after(1)
    add("3.5", "Send small binary message with RSV = 5", run35, {OK: []}, fail)

    def run36(c):
        c.send_frame(9, hello, rsv=6)
        c.kill_after(1)
    add("3.6", "Send ping with RSV = 6", run36, {OK: []}, fail)

    def run37(c):
        c.send_frame(8, rsv=7)
        c.kill_after(1)
    add("3.7", "Send close with RSV = 7", run37, {OK: []}, fail)


# ---- 4 opcodes -------------------------------------------------------------
def build_cat4():
    hello = b"Hello, world!"
    fail = ec(False, [PROTOCOL_ERROR], False)
    for sub, ops, kind in ((1, (3, 4, 5, 6, 7), "non-control"), (2, (11, 12, 13, 14, 15), "control")):
        for j, op in enumerate(ops, 1):
            if j in (1, 2):
                pl = b"" if j == 1 else b"reserved opcode payload"

                def run(c, op=op, pl=pl):
                    c.send_frame(op, pl)
                    c.kill_after(1)
                add("4.%d.%d" % (sub, j), "Send frame with reserved %s opcode %d%s"
                    % (kind, op, " and payload" if pl else ""), run, {OK: []}, fail)
            else:
                chop = 1 if j == 5 else None
                pl = hello if j in (4, 5) else b""

                def run(c, op=op, pl=pl, chop=chop):
                    c.send_frame(1, hello, chopsize=chop)
                    c.send_frame(op, pl, chopsize=chop)
                    c.send_frame(9, chopsize=chop)
                    c.kill_after(1)
                add("4.%d.%d" % (sub, j), "Send small text message, then frame with reserved "
                    "%s opcode %d, then ping%s" % (kind, op, " (1-octet chops)" if chop else ""),
                    run, {OK: [("message", hello, False)], NON_STRICT: []}, fail)


# ---- 5 fragmentation -------------------------------------------------------
def build_cat5():
    fail = ec(False, [PROTOCOL_ERROR], False)
    good = ec(True, [NORMAL], True)

    def run51(c, op):
        c.send_frame(op, b"fragment1", fin=False)
        c.send_frame(0, b"fragment2", fin=True)
        c.kill_after(1)
    add("5.1", "Send ping fragmented into 2 fragments", lambda c: run51(c, 9), {OK: []}, fail)
    add("5.2", "Send pong fragmented into 2 fragments", lambda c: run51(c, 10), {OK: []}, fail)

    modes = {None: "", "sync": " (frame by frame)", "chop": " (1-octet chops)"}

    def kw(mode):
        return {"sync": mode == "sync", "chopsize": 1 if mode == "chop" else None}

    for cid, mode in (("5.3", None), ("5.4", "sync"), ("5.5", "chop")):
        def run(c, mode=mode):
            c.send_frame(1, b"fragment1", fin=False, **kw(mode))
            c.send_frame(0, b"fragment2", fin=True, **kw(mode))
            c.close_after(1)
        add(cid, "Send text message in 2 fragments" + modes[mode], run,
            echo_ok(b"fragment1fragment2"), good)

    for cid, mode in (("5.6", None), ("5.7", "sync"), ("5.8", "chop")):
        def run(c, mode=mode):
            c.send_frame(1, b"fragment1", fin=False, **kw(mode))
            c.send_frame(9, b"ping payload", **kw(mode))
            c.send_frame(0, b"fragment2", fin=True, **kw(mode))
            c.close_after(1)
        add(cid, "Send text message in 2 fragments with a ping in between" + modes[mode], run,
            {OK: [("pong", b"ping payload"), ("message", b"fragment1fragment2", False)]}, good)

    for base, fin in ((9, True), (12, False)):
        for k, mode in enumerate((None, "sync", "chop")):
            def run(c, mode=mode, fin=fin):
                c.send_frame(0, b"non-continuation payload", fin=fin, **kw(mode))
                c.send_frame(1, b"Hello, world!", **kw(mode))
                c.kill_after(1)
            add("5.%d" % (base + k), "Send unstarted continuation (FIN = %s), then text message%s"
                % (fin, modes[mode]), run, {OK: []}, fail)

    def run515(c):
        c.send_frame(1, b"fragment1", fin=False)
        c.send_frame(0, b"fragment2", fin=True)
        c.send_frame(0, b"fragment3", fin=False)
        c.send_frame(1, b"fragment4", fin=True)
        c.kill_after(1)
    add("5.15", "Send text in 2 fragments, then an unstarted continuation and a text frame",
        run515, {OK: [("message", b"fragment1fragment2", False)], NON_STRICT: []}, fail)

    for cid, fin1 in (("5.16", False), ("5.17", True)):
        def run(c, fin1=fin1):
            for _ in range(2):
                c.send_frame(0, b"fragment1", fin=fin1)
                c.send_frame(1, b"fragment2", fin=False)
                c.send_frame(0, b"fragment3", fin=True)
            c.kill_after(1)
        add(cid, "Repeated 2x: continuation (FIN = %s), text (FIN = false), continuation (FIN = true)"
            % fin1, run, {OK: []}, fail)

    def run518(c):
        c.send_frame(1, b"fragment1", fin=False)
        c.send_frame(1, b"fragment2", fin=True)
        c.kill_after(1)
    add("5.18", "Send text in 2 fragments, both with text opcode", run518, {OK: []}, fail)

    frags = [b"fragment%d" % i for i in range(1, 6)]
    pings = [b"pongme 1!", b"pongme 2!"]
    for cid, sync in (("5.19", False), ("5.20", True)):
        def run(c, sync=sync):
            c.send_frame(1, frags[0], fin=False, sync=sync)
            c.send_frame(0, frags[1], fin=False, sync=sync)
            c.send_frame(9, pings[0], sync=sync)
            time.sleep(1)
            c.send_frame(0, frags[2], fin=False, sync=sync)
            c.send_frame(0, frags[3], fin=False, sync=sync)
            c.send_frame(9, pings[1], sync=sync)
            c.send_frame(0, frags[4], fin=True, sync=sync)
            c.close_after(1)
        add(cid, "Text in 5 fragments with 2 pings in between and a 1 s pause%s"
            % (" (frame by frame)" if sync else ""), run,
            {OK: [("pong", pings[0]), ("pong", pings[1]), ("message", b"".join(frags), False)]},
            good)


# ---- 6 UTF-8 ---------------------------------------------------------------
def utf8_sequences():
    """Autobahn's createUtf8TestSequences (6.5 ... 6.23), from Markus Kuhn's file."""
    def valid(b):
        try:
            b.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False

    S = []
    vss = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
    S.append(("Some valid UTF-8 sequences", [(True, b"hello\x24world"), (True, b"hello\xc2\xa2world"),
              (True, b"hello\xe2\x82\xacworld"), (True, b"hello\xf0\xa4\xad\xa2world"), (True, vss)]))
    S.append(("All prefixes of a valid UTF-8 string that contains multi-byte code points",
              [(valid(vss[:i]), vss[:i]) for i in range(1, len(vss) + 1)]))
    S.append(("First possible sequence of a certain length",
              [(True, b"\x00"), (True, b"\xc2\x80"), (True, b"\xe0\xa0\x80"), (True, b"\xf0\x90\x80\x80")]))
    S.append(("First possible sequence length 5/6 (invalid codepoints)",
              [(False, b"\xf8\x88\x80\x80\x80"), (False, b"\xfc\x84\x80\x80\x80\x80")]))
    S.append(("Last possible sequence of a certain length",
              [(True, b"\x7f"), (True, b"\xdf\xbf"), (True, b"\xef\xbf\xbf"), (True, b"\xf4\x8f\xbf\xbf")]))
    S.append(("Last possible sequence length 4/5/6 (invalid codepoints)",
              [(False, b"\xf7\xbf\xbf\xbf"), (False, b"\xfb\xbf\xbf\xbf\xbf"),
               (False, b"\xfd\xbf\xbf\xbf\xbf\xbf")]))
    S.append(("Other boundary conditions",
              [(True, b"\xed\x9f\xbf"), (True, b"\xee\x80\x80"), (True, b"\xef\xbf\xbd"),
               (True, b"\xf4\x8f\xbf\xbf"), (False, b"\xf4\x90\x80\x80")]))
    S.append(("Unexpected continuation bytes",
              [(False, b"\x80"), (False, b"\xbf"), (False, b"\x80\xbf"), (False, b"\x80\xbf\x80"),
               (False, b"\x80\xbf\x80\xbf"), (False, b"\x80\xbf\x80\xbf\x80"),
               (False, b"\x80\xbf\x80\xbf\x80\xbf"), (False, bytes(range(0x80, 0xbf)))]))
    S.append(("Lonely start characters",
              [(False, b"".join(bytes([i, 0x20]) for i in range(lo, hi)))
               for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd))]))
    k = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
         b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    S.append(("Sequences with last continuation byte missing", [(False, x) for x in k]))
    S.append(("Concatenation of incomplete sequences", [(False, b"".join(k))]))
    S.append(("Impossible bytes", [(False, b"\xfe"), (False, b"\xff"), (False, b"\xfe\xfe\xff\xff")]))
    S.append(("Examples of an overlong ASCII character",
              [(False, b"\xc0\xaf"), (False, b"\xe0\x80\xaf"), (False, b"\xf0\x80\x80\xaf"),
               (False, b"\xf8\x80\x80\x80\xaf"), (False, b"\xfc\x80\x80\x80\x80\xaf")]))
    S.append(("Maximum overlong sequences",
              [(False, b"\xc1\xbf"), (False, b"\xe0\x9f\xbf"), (False, b"\xf0\x8f\xbf\xbf"),
               (False, b"\xf8\x87\xbf\xbf\xbf"), (False, b"\xfc\x83\xbf\xbf\xbf\xbf")]))
    S.append(("Overlong representation of the NUL character",
              [(False, b"\xc0\x80"), (False, b"\xe0\x80\x80"), (False, b"\xf0\x80\x80\x80"),
               (False, b"\xf8\x80\x80\x80\x80"), (False, b"\xfc\x80\x80\x80\x80\x80")]))
    S.append(("Single UTF-16 surrogates",
              [(False, x) for x in (b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
                                    b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf")]))
    S.append(("Paired UTF-16 surrogates",
              [(False, hi + lo) for hi in (b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf")
               for lo in (b"\xed\xb0\x80", b"\xed\xbf\xbf")]))
    nc = [(True, b"\xef\xbf\xbe"), (True, b"\xef\xbf\xbf")]
    for z1 in b"\xf0\xf1\xf2\xf3\xf4":
        for z2 in b"\x8f\x9f\xaf\xbf":
            if not (z1 == 0xf4 and z2 != 0x8f):
                for z3 in b"\xbe\xbf":
                    zz = bytes([z1, z2, 0xbf, z3])
                    if zz not in (b"\xf0\x8f\xbf\xbe", b"\xf0\x8f\xbf\xbf"):
                        nc.append((True, zz))
    S.append(("Non-character code points (valid UTF-8)", nc))
    S.append(("Unicode specials (i.e. replacement char)",
              [(True, bytes([0xef, 0xbf, b])) for b in range(0xb9, 0xc0)]))
    return S


def build_cat6():
    good = ec(True, [NORMAL], True)
    bad = ec(False, [INVALID_PAYLOAD], False, fatal=True)

    def simple(cid, desc, frames, expect):
        def run(c):
            for op, pl, fin in frames:
                c.send_frame(op, pl, fin=fin)
            c.close_after(1)
        add(cid, desc, run, echo_ok(expect), good)

    simple("6.1.1", "Send text message of length 0", [(1, b"", True)], b"")
    simple("6.1.2", "Send fragmented text message, 3 fragments each of length 0",
           [(1, b"", False), (0, b"", False), (0, b"", True)], b"")
    simple("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0",
           [(1, b"", False), (0, b"middle frame payload", False), (0, b"", True)],
           b"middle frame payload")
    hello = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!".encode("utf-8")
    simple("6.2.1", "Send a valid UTF-8 text message in one fragment", [(1, hello, True)], hello)
    p1 = "Hello-\u00b5@\u00df\u00f6\u00e4".encode("utf-8")
    p2 = "\u00fc\u00e0\u00e1-UTF-8!!".encode("utf-8")
    simple("6.2.2", "Send a valid UTF-8 text message in two fragments, split on a code point",
           [(1, p1, False), (0, p2, True)], p1 + p2)
    kappa = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
    for cid, pl in (("6.2.3", hello), ("6.2.4", kappa)):
        def run(c, pl=pl):
            c.send_message(pl, fragment_size=1)
            c.close_after(1)
        add(cid, "Send a valid UTF-8 text message in 1-octet fragments (frames end inside code points)",
            run, echo_ok(pl), good)

    bad631 = kappa + b"\xed\xa0\x80" + b"edited"
    for cid, frag in (("6.3.1", None), ("6.3.2", 1)):
        def run(c, frag=frag):
            c.send_message(bad631, fragment_size=frag)
            c.kill_after(1)
        add(cid, "Send invalid UTF-8 text message %s" % ("unfragmented" if not frag else "in 1-octet fragments"),
            run, {OK: []}, bad)

    full = kappa + b"\xf4\x90\x80\x80" + b"edited"
    for cid, split, chops in (("6.4.1", (11, 15), False), ("6.4.2", (12, 13), False),
                              ("6.4.3", (11, 15), True), ("6.4.4", (12, 13), True)):
        parts = [full[:split[0]], full[split[0]:split[1]], full[split[1]:]]

        def run(c, parts=parts, chops=chops):
            if chops:
                whole = c.frame(1, full)
                hdr = len(whole) - len(full)
                cuts = [0, hdr + len(parts[0]), hdr + len(parts[0]) + len(parts[1]), len(whole)]
                pieces = [whole[cuts[i]:cuts[i + 1]] for i in range(3)]
                send = [lambda: c.send_raw(pieces[0]), lambda: c.send_raw(pieces[1]),
                        lambda: c.send_raw(pieces[2])]
            else:
                send = [lambda: c.send_frame(1, parts[0], fin=False),
                        lambda: c.send_frame(0, parts[1], fin=False),
                        lambda: c.send_frame(0, parts[2], fin=True)]
            send[0]()
            c.wait_state_change(1)
            if c.state == "OPEN":
                c._event(("timeout", "A"))
                send[1]()
                c.wait_state_change(1)
                if c.state == "OPEN":
                    c._event(("timeout", "B"))
                    send[2]()
            c.kill_after(1)
        add(cid, "Invalid UTF-8 text in 3 %s (%s | %s | %s), 1 s pauses: fail fast on part 2"
            % ("chops of one frame" if chops else "fragments", parts[0].hex(), parts[1].hex(),
               parts[2].hex()), run,
            {OK: [("timeout", "A")], NON_STRICT: [("timeout", "A"), ("timeout", "B")]}, bad)

    for i, (title, seqs) in enumerate(utf8_sequences(), 5):
        for j, (is_valid, pl) in enumerate(seqs, 1):
            if is_valid:
                def run(c, pl=pl):
                    c.send_frame(1, pl)
                    c.close_after(0.5)
                add("6.%d.%d" % (i, j), "%s: valid, 0x%s" % (title, pl.hex()), run, echo_ok(pl), good)
            else:
                def run(c, pl=pl):
                    c.send_frame(1, pl)
                    c.kill_after(0.5)
                add("6.%d.%d" % (i, j), "%s: invalid, 0x%s" % (title, pl.hex()), run, {OK: []}, bad)


# ---- 7 close handling ------------------------------------------------------
def build_cat7():
    good = ec(True, [NORMAL], True)
    hello = b"Hello World!"

    def run711(c):
        c.send_frame(1, hello)
        c.kill_after(1)
    add("7.1.1", "Send a message followed by a close frame", run711, echo_ok(hello), good)

    def run712(c):
        c.send_close(NORMAL)
        c.send_frame(8)
        c.kill_after(1)
    add("7.1.2", "Send two close frames", run712, {OK: []}, good, suppress_close=True)

    def run713(c):
        c.send_close(NORMAL)
        c.send_frame(9)
        c.kill_after(1)
    add("7.1.3", "Send a ping after close frame (no pong expected)", run713, {OK: []}, good,
        suppress_close=True)

    def run714(c):
        c.send_close(NORMAL)
        c.send_frame(1, hello)
        c.kill_after(1)
    add("7.1.4", "Send text message after close frame (no echo expected)", run714, {OK: []}, good,
        suppress_close=True)

    def run715(c):
        c.send_frame(1, b"fragment1", fin=False)
        c.send_close(NORMAL)
        c.send_frame(0, b"fragment2", fin=True)
        c.kill_after(1)
    add("7.1.5", "Send message fragment 1, close, then fragment 2", run715, {OK: []}, good,
        suppress_close=True)

    def run716(c):
        c.send_frame(1, repeat_to(b"BAsd7&jh23", 256 * 1024))
        c.send_frame(1, hello)
        c.send_close(NORMAL)
        c.send_frame(9)
        c.kill_after(1)
    add("7.1.6", "Send 256K message, a small message, close, then ping", run716,
        {OK: [("message", repeat_to(b"BAsd7&jh23", 256 * 1024), False), ("message", hello, False)],
         NON_STRICT: []}, good, suppress_close=True, informational=True)

    def close_case(cid, desc, payload, codes, clean):
        def run(c):
            with c.lock:
                c.closed_by_me = True
                c.state = "CLOSING"
                c.sent_close = True
            c.send_frame(8, payload)
            c.kill_after(1)
        add(cid, desc, run, {OK: []}, ec(True, codes, clean), suppress_close=True)

    close_case("7.3.1", "Send close with payload length 0", b"", [NORMAL], True)
    close_case("7.3.2", "Send close with payload length 1", b"a", [PROTOCOL_ERROR], False)
    close_case("7.3.3", "Send close with payload length 2 (regular close with a code)",
               (1000).to_bytes(2, "big"), [NORMAL], True)
    close_case("7.3.4", "Send close with close code and close reason",
               (1000).to_bytes(2, "big") + hello, [NORMAL], True)
    close_case("7.3.5", "Send close with close code and 123-octet reason",
               (1000).to_bytes(2, "big") + b"*" * 123, [NORMAL], True)
    close_case("7.3.6", "Send close with close code and 124-octet reason (control frame too long)",
               (1000).to_bytes(2, "big") + b"*" * 124, [PROTOCOL_ERROR], False)
    close_case("7.5.1", "Send close with invalid UTF-8 reason",
               (1000).to_bytes(2, "big") + b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
               [PROTOCOL_ERROR, INVALID_PAYLOAD], False)
    for j, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                              3000, 3999, 4000, 4999], 1):
        close_case("7.7.%d" % j, "Send close with valid close code %d" % code,
                   code.to_bytes(2, "big"), [NORMAL, code], True)
    for j, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999], 1):
        close_case("7.9.%d" % j, "Send close with invalid close code %d" % code,
                   code.to_bytes(2, "big"), [PROTOCOL_ERROR], False)
    for j, code in ((1, 5000), (2, 65535)):
        def run(c, code=code):
            c.send_close_frame(code)
            c.kill_after(1)
        add("7.13.%d" % j, "Send close with close code %d (events undefined by the spec)" % code,
            run, {OK: []}, ec(True, [NORMAL, code, PROTOCOL_ERROR], False),
            suppress_close=True, informational=True)


# ---- 9 limits / performance ------------------------------------------------
def build_cat9(full):
    cap = None if full else 1 << 20
    K, M = 1 << 10, 1 << 20

    def size(n):
        return n if cap is None else min(n, cap)

    def perf(cid, desc, n, binary, send):
        waits = max(10.0, n / M * 6.0)

        def run(c):
            c.send_start = time.monotonic()
            send(c)
            c.wait(lambda: c.received or c.state != "OPEN", waits)
            c.close_after(0)

        def check(c):
            if not c.received:
                return FAILED, ("no echo (the server closed the connection first)" if not c.closed_by_me
                                else "did not receive the echo within %.0f s" % waits)
            ev = c.received[0]
            if ev[0] != "message" or ev[2] != binary or len(ev[1]) != n:
                return FAILED, "expected %s message of %d octets, got %s" % (
                    "binary" if binary else "text", n,
                    "%s of %d octets" % ("binary" if ev[2] else "text", len(ev[1]))
                    if ev[0] == "message" else ev[0])
            return OK, "received %d octets" % n
        add(cid, desc, run, {}, ec(True, [NORMAL], True), timeout=waits + 10, check=check)

    def note(n_real, n):
        return "" if n == n_real else " [quick: %s instead of %s]" % (human(n), human(n_real))

    for sub, binary, pat in ((1, False, b"BAsd7&jh23"), (2, True, b"\x00\xfe\x23\xfa\xf0")):
        for j, real in enumerate([64 * K, 256 * K, M, 4 * M, 8 * M, 16 * M], 1):
            n = size(real)
            perf("9.%d.%d" % (sub, j), "Send %s message of %s in one frame%s"
                 % ("binary" if binary else "text", human(n), note(real, n)), n, binary,
                 lambda c, n=n, binary=binary, pat=pat: c.send_frame(2 if binary else 1, repeat_to(pat, n)))
    for sub, binary, pat in ((3, False, b"*"), (4, True, b"\xfe")):
        real = 4 * M
        n = size(real)
        for j, fs in enumerate([64, 256, K, 4 * K, 16 * K, 64 * K, 256 * K, M, 4 * M], 1):
            perf("9.%d.%d" % (sub, j), "Send %s message of %s in fragments of %s%s"
                 % ("binary" if binary else "text", human(n), human(fs), note(real, n)), n, binary,
                 lambda c, n=n, fs=fs, binary=binary, pat=pat:
                 c.send_message(pat * n, binary, fragment_size=fs))
    for sub, binary, pat in ((5, False, b"BAsd7&jh23"), (6, True, b"\x00\xfe\x23\xfa\xf0")):
        n = M
        for j, chop in enumerate([64, 128, 256, 512, 1024, 2048], 1):
            perf("9.%d.%d" % (sub, j), "Send %s message of 1 MiB in one frame, written in %d-octet chops"
                 % ("binary" if binary else "text", chop), n, binary,
                 lambda c, n=n, chop=chop, binary=binary, pat=pat:
                 c.send_raw(c.frame(2 if binary else 1, repeat_to(pat, n)), chopsize=chop))
    for sub, binary in ((7, False), (8, True)):
        for j, (n, secs) in enumerate([(0, 60), (16, 60), (64, 60), (256, 120), (1024, 240), (4096, 480)], 1):
            def run(c, n=n, binary=binary, secs=secs):
                pl = (b"\xfe" if binary else b"*") * n
                op = 2 if binary else 1
                deadline = time.monotonic() + min(secs, 60)
                for i in range(1000):
                    c.send_frame(op, pl)
                    if not c.wait(lambda: len(c.received) > i or c.state != "OPEN",
                                  max(0.0, deadline - time.monotonic())):
                        break
                    if c.state != "OPEN":
                        break
                c.close_after(0)

            def check(c, n=n, binary=binary):
                bad = [e for e in c.received if e[0] != "message" or e[2] != binary or len(e[1]) != n]
                if bad:
                    return FAILED, "echo type or length differs from what was sent"
                if len(c.received) != 1000:
                    return FAILED, "received %d of 1000 echoes" % len(c.received)
                return OK, "received all 1000 echoes"
            add("9.%d.%d" % (sub, j), "Send 1000 %s messages of %d octets, one at a time"
                % ("binary" if binary else "text", n), run, {}, ec(True, [NORMAL], True),
                timeout=70, check=check)


def human(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return "%d MiB" % (n >> 20)
    if n >= 1024 and n % 1024 == 0:
        return "%d KiB" % (n >> 10)
    return "%d B" % n


# ---- 10 auto-fragmentation -------------------------------------------------
def build_cat10():
    payload = b"*" * 65536

    def run(c):
        c.send_message(payload, fragment_size=1300)     # 1 text frame + 50 continuations
        c.kill_after(10)
    add("10.1.1", "Send 64 KiB text message auto-fragmented into 1300-octet frames", run,
        echo_ok(payload), ec(True, [NORMAL], True))


# ---- 12, 13 permessage-deflate (RFC 7692) ----------------------------------
# The negotiation and the codec are in deflate.py.

# Autobahn's MSG_SIZES: (payload length, message count, case timeout, auto-fragment size)
DEFLATE_MSG_SIZES = [
    (16, 1000, 60, 0), (64, 1000, 60, 0), (256, 1000, 120, 0), (1024, 1000, 240, 0),
    (4096, 1000, 480, 0), (8192, 1000, 480, 0), (16384, 1000, 480, 0), (32768, 1000, 480, 0),
    (65536, 1000, 480, 0), (131072, 1000, 480, 0),
    (8192, 1000, 480, 256), (16384, 1000, 480, 256), (32768, 1000, 480, 256),
    (65536, 1000, 480, 256), (131072, 1000, 480, 256), (131072, 1000, 480, 1024),
    (131072, 1000, 480, 4096), (131072, 1000, 480, 32768),
]
DEFLATE_QUICK_COUNT = 10        # messages per case without --full


# Autobahn's test files are not available here: deterministic synthetic data
# of the same kind and size stands in for each (ASCII for the text ones, so
# that any slice is valid UTF-8).
def _gen_json(n):
    rng = random.Random(1201)
    out, i = [], 0
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda"]
    size = 1
    while size < n:
        rec = ('{"id": %d, "name": "%s %s", "email": "user%d@example.com", "score": %.4f, '
               '"active": %s, "tags": [%s], "geo": {"lat": %.5f, "lon": %.5f}}'
               % (i, rng.choice(words).title(), rng.choice(words), rng.randrange(100000),
                  rng.random() * 100, rng.choice(["true", "false"]),
                  ", ".join('"%s"' % rng.choice(words) for _ in range(rng.randrange(1, 5))),
                  rng.uniform(-90, 90), rng.uniform(-180, 180)))
        out.append(rec)
        size += len(rec) + 2
        i += 1
    return ("[" + ",\n".join(out) + "]").encode()[:n]


def _gen_bitmap(n):
    rng = random.Random(1202)
    header = b"BM" + n.to_bytes(4, "little") + bytes(4) + (1078).to_bytes(4, "little")
    header += bytes(40 - len(header) % 40) + bytes(range(256)) * 4
    pixels = bytearray()
    for y in range(512):
        pixels += bytes(((x * y >> 6) + (x >> 2) + rng.randrange(12)) & 0xFF for x in range(512))
    return (header + bytes(pixels))[:n].ljust(n, b"\x00")


def _gen_prose(n):
    rng = random.Random(1203)
    words = ("der die das und ist nicht ich du er sie es wir ihr mit von zu auf fuer "
             "Faust Mephistopheles Gretchen Teufel Himmel Erde Geist Seele Welt Zeit "
             "habe nun ach Philosophie Juristerei Medizin leider auch Theologie durchaus "
             "studiert mit heissem Bemuehn da steh ich armer Tor bin so klug als wie zuvor").split()
    out, size = [], 0
    while size < n:
        line = " ".join(rng.choice(words) for _ in range(rng.randrange(4, 12)))
        line = line[0].upper() + line[1:] + rng.choice([".", ",", "!", "?", ";"]) + "\r\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


def _gen_html(n):
    rng = random.Random(1204)
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod".split()
    out = ["<!DOCTYPE html>\n<html><head><title>data1</title></head><body>\n"]
    size = len(out[0])
    while size < n:
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(3, 20)))
        line = ('<div class="item c%d"><a href="/page/%d.html" id="l%d">%s</a><span>%s</span></div>\n'
                % (rng.randrange(10), rng.randrange(10000), size, text, rng.random()))
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


def _gen_pdf(n):
    rng = random.Random(1205)
    out, size = [b"%PDF-1.4\n"], 9
    obj = 1
    while size < n:
        stream = rng.randbytes(rng.randrange(2000, 20000))   # already-compressed streams
        text = (b"%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % (obj, len(stream)))
        chunk = text + stream + b"\nendstream\nendobj\n"
        out.append(chunk)
        size += len(chunk)
        obj += 1
    return b"".join(out)[:n]


# (sub-category, description, binary, size, generator): Autobahn's data sets, in its order.
DEFLATE_DATA = [
    (1, "JSON", False, 194237, _gen_json),
    (2, "bitmap", True, 263222, _gen_bitmap),
    (3, "prose", True, 222218, _gen_prose),
    (4, "HTML", False, 263507, _gen_html),
    (5, "PDF-like", True, 1042328, _gen_pdf),
]
_DEFLATE_CACHE = {}


def deflate_data(sub):
    if sub not in _DEFLATE_CACHE:
        _, _, _, size, gen = DEFLATE_DATA[sub - 1]
        _DEFLATE_CACHE[sub] = gen(size)
    return _DEFLATE_CACHE[sub]


# Autobahn's 13.x parameters: (request no context takeover, request max window
# bits or 0), in order of preference. In the client role they are the offers
# of its PerMessageDeflateOffer (server_no_context_takeover,
# server_max_window_bits), each also carrying client_no_context_takeover and
# client_max_window_bits, which the client accepts. In the server role they
# are its accept functions' requests of the client (client_no_context_takeover,
# client_max_window_bits) in the answer to the client's own offer.
DEFLATE_PARAMS = [
    [(False, 0)],
    [(True, 0)],
    [(False, 8)],
    [(False, 15)],
    [(True, 8)],
    [(True, 15)],
    [(True, 8), (True, 0), (False, 0)],
]


def autobahn_offer(request_nct, request_bits):
    offer = [("client_no_context_takeover", None), ("client_max_window_bits", None)]
    if request_nct:
        offer.append(("server_no_context_takeover", None))
    if request_bits:
        offer.append(("server_max_window_bits", request_bits))
    return offer


def describe_params(params, server_role):
    """`pmd+snct+smwb=8` for the client's offers; `pmd+cnct+cmwb=8` for what
    the server asks of the client."""
    side = "c" if server_role else "s"
    return ", ".join("+".join(["pmd"] + (["%snct" % side] if nct else [])
                              + (["%smwb=%d" % (side, bits)] if bits else []))
                     for nct, bits in params)


def deflate_case(cid, desc, params, data_sub, length, count, waitsecs, frag, full):
    _, _, binary, _, _ = DEFLATE_DATA[data_sub - 1]
    real_count = count
    if not full:
        count = min(count, DEFLATE_QUICK_COUNT)
        waitsecs = min(waitsecs, 20)

    def run(c):
        c.sent = []
        if c.deflate is None:          # declined: Autobahn's UNIMPLEMENTED
            c.send_close(NORMAL)
            c.finish()
            return
        data = deflate_data(data_sub)
        ptr = 0
        deadline = time.monotonic() + waitsecs
        for i in range(count):
            end = (ptr + length) % len(data)
            msg = data[ptr:end] if end > ptr else data[ptr:] + data[:end]
            ptr = end
            c.sent.append(msg)
            c.send_compressed(msg, binary, frag)
            if not c.wait(lambda: len(c.received) > i or c.state != "OPEN",
                          max(0.0, deadline - time.monotonic())):
                break
            with c.lock:
                ev = c.received[i] if len(c.received) > i else None
            if c.state != "OPEN" or ev != ("message", msg, binary):
                break
        c.close_after(0)

    def check(c):
        if c.deflate is None:
            return UNIMPLEMENTED, "permessage-deflate was not agreed"
        sent = getattr(c, "sent", [])
        for i, ev in enumerate(c.received):
            if ev[0] != "message":
                return FAILED, "unexpected %s from the server" % ev[0]
            if i >= len(sent):
                return FAILED, "more echoes than messages sent"
            if ev[2] != binary:
                return FAILED, "echo %d: type differs (got binary %s, expected %s)" % (i, ev[2], binary)
            if len(ev[1]) != len(sent[i]):
                return FAILED, "echo %d: length %d, expected %d" % (i, len(ev[1]), len(sent[i]))
            if ev[1] != sent[i]:
                return FAILED, "echo %d: contents differ (SHA-1 %s, expected %s)" % (
                    i, hashlib.sha1(ev[1]).hexdigest(), hashlib.sha1(sent[i]).hexdigest())
        if len(c.received) != count:
            return FAILED, "received %d of %d echoes in time" % (len(c.received), count)
        return OK, "received all %d echoes (%d compressed by the server); agreed: %s" % (
            count, c.compressed_in, c.extensions_header)
    quick = "" if full or count == real_count else " [quick: %d of %d]" % (count, real_count)
    add(cid, "%s: %d %s msgs of %d B%s%s" % (
        desc, count, "binary" if binary else "text", length,
        (", %d-octet frames" % frag) if frag else "", quick),
        run, {}, ec(True, [NORMAL], True), timeout=waitsecs + 5, check=check,
        offer=[autobahn_offer(nct, bits) for nct, bits in params], accept=params)


def build_cat12(full=False):
    for sub, name, binary, size, _ in DEFLATE_DATA:
        for j, (length, count, waitsecs, frag) in enumerate(DEFLATE_MSG_SIZES, 1):
            deflate_case("12.%d.%d" % (sub, j), name, DEFLATE_PARAMS[0],
                         sub, length, count, waitsecs, frag, full)


def build_cat13(full=False, server_role=False):
    for sub, params in enumerate(DEFLATE_PARAMS, 1):
        desc = "%s %s" % ("asks" if server_role else "offers", describe_params(params, server_role))
        for j, (length, count, waitsecs, frag) in enumerate(DEFLATE_MSG_SIZES, 1):
            deflate_case("13.%d.%d" % (sub, j), desc, params, 1, length, count, waitsecs, frag, full)


# ---------------------------------------------------------------------------
# Running and judging
# ---------------------------------------------------------------------------

def judge(case, c):
    """Autobahn's Case.onConnectionLost, plus the stricter rules in README.md."""
    notes = []
    if case.check:
        behavior, result = case.check(c)
    else:
        behavior, result = FAILED, "actual events differ from any expected"
        for verdict in (OK, NON_STRICT):
            if verdict in case.expected and c.received == case.expected[verdict]:
                behavior, result = verdict, "actual events match"
                break
    e = case.expected_close
    if not c.was_open:
        bclose, rclose = C_FAILED, "the opening handshake never completed"
    elif e["closedByMe"] != c.closed_by_me:
        bclose, rclose = C_FAILED, "the connection was failed by the wrong endpoint"
    elif e["requireClean"] and not c.was_clean():
        bclose, rclose = C_UNCLEAN, "the spec requires a clean close here"
    elif c.remote_close_code is not None and c.remote_close_code not in e["closeCode"]:
        bclose, rclose = C_WRONG_CODE, "close code %d, expected %s or none" % (
            c.remote_close_code, "/".join(map(str, e["closeCode"])))
    elif c.dropped_by_me:
        bclose, rclose = C_FAILED_BY_CLIENT, "the client had to drop the TCP connection"
    else:
        bclose, rclose = C_OK, "connection properly closed"
    if e.get("closedByWrongEndpointIsFatal") and e["closedByMe"] != c.closed_by_me:
        behavior = FAILED
    if case.informational:
        behavior, bclose = INFORMATIONAL, C_INFORMATIONAL
        result = "%s (%s)" % (result, "OK" if result == "actual events match" else "other events")
    # Stricter than Autobahn's report (see README.md).
    if behavior != INFORMATIONAL:
        if bclose in (C_FAILED, C_WRONG_CODE):
            behavior = FAILED
        elif bclose == C_FAILED_BY_CLIENT and not e["closedByMe"]:
            behavior, rclose = FAILED, "the server never failed the connection"
        elif bclose in (C_UNCLEAN, C_FAILED_BY_CLIENT) and behavior == OK:
            behavior = NON_STRICT
        if c.violations:
            behavior = FAILED
            notes.append("server protocol violations: " + "; ".join(sorted(set(c.violations))))
    return behavior, bclose, result, rclose, notes


def describe_events(evs, limit=6):
    out = []
    for ev in evs[:limit]:
        if ev[0] == "message":
            data = ev[1]
            shown = data[:24].hex() + ("..." if len(data) > 24 else "")
            out.append("%s(%d:%s)" % ("binary" if ev[2] else "text", len(data), shown))
        elif ev[0] in ("ping", "pong"):
            out.append("%s(%s)" % (ev[0], ev[1][:24].hex()))
        else:
            out.append("%s %s" % ev)
    if len(evs) > limit:
        out.append("... %d more" % (len(evs) - limit))
    return "[" + ", ".join(out) + "]"


def play(case, c):
    """Runs `case` on the connection `c` (opened here) within the case's time
    bound, then judges it: (verdict, close behaviour, result, close result,
    notes, seconds). Shared by both roles."""
    box = {}

    def on_event(conn):
        # Autobahn's finishWhenDone: close as soon as all expectations are met.
        if case.check or case.suppress_close or not case.expected_close.get("closedByMe"):
            return
        with conn.lock:
            got = list(conn.received)
        if all(got == exp for exp in case.expected.values()) and conn.state == "OPEN":
            conn.send_close(NORMAL)
    c.on_event = on_event

    def body():
        try:
            c.open()
            case.run_fn(c)
        except Exception as ex:   # reported as the case's result
            box["error"] = "%s: %s" % (type(ex).__name__, ex)

    start = time.monotonic()
    t = threading.Thread(target=body, daemon=True)
    t.start()
    t.join(case.timeout)
    timed_out = t.is_alive()
    if timed_out:
        c.drop()
        t.join(3)
    c.cleanup()
    duration = time.monotonic() - start
    if "error" in box and not c.was_open:
        return FAILED, "-", box["error"], "", [], duration
    behavior, bclose, result, rclose, notes = judge(case, c)
    if timed_out:
        behavior = FAILED
        notes.append("case exceeded its %.0f s time bound" % case.timeout)
    if "error" in box:
        behavior = FAILED
        notes.append(box["error"])
    if c.reset:
        notes.append("; ".join(c.notes))
    return behavior, bclose, result, rclose, notes, duration


def run_case(case, port):
    c = Connection("127.0.0.1", port, offer=case.offer)
    return play(case, c) + (c,)


def select(cases, patterns, excludes):
    """The cases whose ids match a comma-separated glob in `patterns` and none
    in `excludes`, in id order."""
    pats = [p.strip() for p in patterns.split(",") if p.strip()]
    excl = [p.strip() for p in excludes.split(",") if p.strip()]
    return sorted((c for c in cases if any(fnmatch.fnmatchcase(c.id, p) for p in pats)
                   and not any(fnmatch.fnmatchcase(c.id, p) for p in excl)),
                  key=lambda c: sort_key(c.id))


def summarize(cases, counts, per_cat, total):
    """The closing lines of a run; returns the exit status."""
    print("per category: " + ", ".join(
        "%s: %s" % (cat, "/".join("%d %s" % (n, v) for v, n in sorted(per_cat[cat].items())))
        for cat in sorted(per_cat, key=int)))
    print("verdicts: " + ", ".join("%s %d" % (k, v) for k, v in counts.items()))
    print("total time %.1f s" % total)
    passed = len(cases) - counts[FAILED]
    print("%d passed, %d failed" % (passed, counts[FAILED]))
    return 0 if counts[FAILED] == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True, help="path to the faye-ws binary")
    ap.add_argument("--cases", default="*", help="comma-separated case ids or globs, e.g. 1.*,2.*,6.4.1")
    ap.add_argument("--exclude", default="", help="comma-separated case ids or globs to skip")
    ap.add_argument("--full", action="store_true",
                    help="Autobahn's real 9.x message sizes (up to 16 MiB) and 12.x/13.x message counts (1000)")
    ap.add_argument("--overall-timeout", type=float, default=None,
                    help="bound for the whole run in seconds (default 300; with --full 900,"
                    " 3600 when 12.x or 13.x cases are selected)")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument passed to `faye-ws serve` (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show details for every case")
    args = ap.parse_args()

    build_cat1(); build_cat2(); build_cat3(); build_cat4(); build_cat5()
    build_cat6(); build_cat7(); build_cat9(args.full); build_cat10()
    build_cat12(args.full); build_cat13(args.full)
    cases = select(CASES, args.cases, args.exclude)
    if not cases:
        print("no case matches %r" % args.cases)
        return 2
    deflate_cases = any(c.offer is not None for c in cases)
    overall = args.overall_timeout or (
        (3600.0 if deflate_cases else 900.0) if args.full else 300.0)

    processes.raise_on_sigterm()
    server = processes.Serve(args.server, args.server_arg)
    counts = {k: 0 for k in (OK, NON_STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED)}
    per_cat = {}
    failures = []
    t0 = time.monotonic()
    try:
        try:
            server.start()
        except (RuntimeError, OSError) as ex:
            print("cannot start the server: %s" % ex)
            counts[FAILED] = len(cases)
            cases = []
            print("0 passed, %d failed" % counts[FAILED])
            return 1
        print("faye-ws serve on 127.0.0.1:%d (pid %d); %d cases%s"
              % (server.port, server.proc.pid, len(cases), " (--full)" if args.full else ""))
        print("%-9s %-14s %-16s %8s  %s" % ("case", "verdict", "close", "time", "description"))
        for case in cases:
            if time.monotonic() - t0 > overall:
                verdict, bclose, result, rclose, notes, dur, conn = (
                    FAILED, "-", "not run: overall time bound of %.0f s exceeded" % overall, "", [], 0.0, None)
            else:
                if not server.alive():
                    crash = "server exited with status %s before the case: %s" % (
                        server.proc.returncode, server.stderr_tail())
                    server.start()
                    failures.append(("(server)", crash))
                    print("!! %s; restarted on port %d" % (crash, server.port))
                verdict, bclose, result, rclose, notes, dur, conn = run_case(case, server.port)
                if not server.alive():
                    verdict = FAILED
                    notes.append("server died during the case (status %s): %s"
                                 % (server.proc.returncode, server.stderr_tail()))
            counts[verdict] += 1
            cat = case.id.split(".")[0]
            per_cat.setdefault(cat, {}).setdefault(verdict, 0)
            per_cat[cat][verdict] += 1
            desc = case.desc if len(case.desc) <= 90 else case.desc[:87] + "..."
            print("%-9s %-14s %-16s %7.3fs  %s" % (case.id, verdict, bclose, dur, desc), flush=True)
            if verdict == FAILED or args.verbose:
                detail = [result, rclose] + notes
                if conn is not None:
                    detail.append("got %s, close code %s%s" % (
                        describe_events(conn.received), conn.remote_close_code,
                        (" reason %r" % conn.remote_close_reason[:40]) if conn.remote_close_reason else ""))
                    if case.expected and not case.check:
                        detail.append("expected %s" % " or ".join(
                            "%s: %s" % (k, describe_events(v)) for k, v in case.expected.items()))
                line = "; ".join(d for d in detail if d)
                print("          -> %s" % line)
                if verdict == FAILED:
                    failures.append((case.id, line))
    finally:
        server.stop()
    total = time.monotonic() - t0
    print()
    return summarize(cases, counts, per_cat, total)


if __name__ == "__main__":
    sys.exit(main())
