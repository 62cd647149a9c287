#!/usr/bin/python3
"""Legacy-protocol conformance for `faye-ws serve`: draft-75 and draft-76 (hixie).

Standard library only. Starts the echo server itself (with `--protocol chat`),
runs each case over its own loopback connection, prints one row per case and a
closing line `N passed, M failed`, and exits 0 iff every case passed.

    legacy_client.py --server /path/to/faye-ws [--cases 76.*] [-v]

The expectations come from the drafts (draft-hixie-thewebsocketprotocol-75
and -76), sections named in each case:

  x.1  opening handshake: the exact response head; for draft-76 the 16-octet
       MD5 answer, with key3 in the request's packet, in a later packet or
       split, and with frames right behind it; subprotocols
  x.2  echo of text frames (0x00 ... 0xFF): ASCII, multi-byte UTF-8, empty,
       large, several in one packet, written octet by octet
  x.3  frames the drafts tell a server to discard: length-prefixed frames
       (0x80-0xFF with a 7-bit-group length) and sentinel frames of a type
       other than 0x00; the connection stays usable
  x.4  closing: draft-76's 0xFF 0x00 closing handshake; draft-75 has none
       (TCP close), so 0xFF 0x00 is an empty length-prefixed frame there
  x.5  malformed handshakes: bad draft-76 keys (no spaces, not divisible,
       above 32 bits, one missing), no Host, oversized head, wrong method,
       no Upgrade: the HTTP status and the connection closed
"""

import argparse
import fnmatch
import hashlib
import os
import random
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import processes  # noqa: E402  (faye-ws serve, stopped by PID)
import wire  # noqa: E402  (HTTP heads)

IO_TIMEOUT = 5.0             # seconds for any expected bytes to arrive
QUIET_TIME = 0.3             # how long "nothing more arrives" is watched for
ORIGIN = "http://example.com"

# draft-hixie-thewebsocketprotocol-76, section 1.3: the worked example.
SPEC_KEY1 = "4 @1  46546xW%0l 1 5"
SPEC_KEY2 = "12998 5 Y3 1  .P00"
SPEC_KEY3 = b"^n:ds[4U"
SPEC_ANSWER = b"8jKS'y:G*Co,Wxa-"


class Mismatch(Exception):
    """The server did something other than what the case expects."""


# ---- draft-76 keys -------------------------------------------------------------

def key_number(key):
    """Section 5.2 steps 4-6: the digits over the spaces (None when invalid)."""
    digits = "".join(c for c in key if c.isdigit())
    number = int(digits) if digits else 0
    spaces = key.count(" ")
    if number > 0xFFFFFFFF or spaces == 0 or number % spaces:
        return None
    return number // spaces


def answer(key1, key2, key3):
    """Section 5.2 step 7 onwards: MD5 of both numbers (big-endian) and key3."""
    return hashlib.md5(struct.pack(">II", key_number(key1), key_number(key2)) + key3).digest()


def random_key(rng):
    """Section 4.1 steps 17-22, as a browser makes a key."""
    spaces = rng.randint(1, 12)
    number = rng.randint(0, 0xFFFFFFFF // spaces) * spaces
    chars = list(str(number))
    for _ in range(rng.randint(1, 12)):
        chars.insert(rng.randint(0, len(chars)), rng.choice("!\"#$%&'()*+,-./:;<=>?@ABCXYZabcxyz~"))
    for _ in range(spaces):
        chars.insert(rng.randint(1, len(chars) - 1), " ")
    return "".join(chars)


# ---- one connection ------------------------------------------------------------

class Legacy:
    """A raw connection speaking draft-75 or draft-76 to the server."""

    def __init__(self, port):
        self.port = port
        self.host = "127.0.0.1:%d" % port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False

    def request(self, draft, path="/chat", key1=SPEC_KEY1, key2=SPEC_KEY2, protocol=None,
                origin=ORIGIN, extra=()):
        """The request head (without key3) of section 4.1 of the draft."""
        lines = ["GET %s HTTP/1.1" % path, "Upgrade: WebSocket", "Connection: Upgrade",
                 "Host: %s" % self.host]
        if origin:
            lines.append("Origin: %s" % origin)
        if draft == 76:
            lines += ["Sec-WebSocket-Key1: %s" % key1, "Sec-WebSocket-Key2: %s" % key2]
        if protocol:
            lines.append("%sWebSocket-Protocol: %s" % ("Sec-" if draft == 76 else "", protocol))
        lines += list(extra)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def expected_head(self, draft, path="/chat", protocol=None, origin=ORIGIN):
        """Section 5.2 (server side) of either draft: the head, field by field."""
        prefix = "Sec-" if draft == 76 else ""
        lines = ["HTTP/1.1 101 %s" % ("WebSocket Protocol Handshake" if draft == 76
                                      else "Web Socket Protocol Handshake"),
                 "Upgrade: WebSocket", "Connection: Upgrade"]
        if origin:
            lines.append("%sWebSocket-Origin: %s" % (prefix, origin))
        lines.append("%sWebSocket-Location: ws://%s%s" % (prefix, self.host, path))
        if protocol:
            lines.append("%sWebSocket-Protocol: %s" % (prefix, protocol))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, data, octet_by_octet=False):
        if octet_by_octet:
            for i in range(len(data)):
                self.sock.sendall(data[i:i + 1])
                time.sleep(0.001)
        else:
            self.sock.sendall(data)

    def _fill(self, timeout=IO_TIMEOUT):
        if self.eof:
            return False
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_head(self):
        """The response head, up to and including its blank line."""
        deadline = time.monotonic() + IO_TIMEOUT
        while b"\r\n\r\n" not in self.buf:
            if time.monotonic() > deadline or not self._fill(max(0.01, deadline - time.monotonic())):
                raise Mismatch("no complete response head (got %r%s)"
                               % (bytes(self.buf[:120]), ", then EOF" if self.eof else ""))
            if len(self.buf) > wire.HEAD_LIMIT:
                raise Mismatch("response head too long")
        end = self.buf.index(b"\r\n\r\n") + 4
        head = bytes(self.buf[:end])
        del self.buf[:end]
        return head

    def read_exact(self, n, what):
        deadline = time.monotonic() + IO_TIMEOUT
        while len(self.buf) < n:
            if time.monotonic() > deadline or not self._fill(max(0.01, deadline - time.monotonic())):
                raise Mismatch("%s: expected %d octets, got %r%s" % (
                    what, n, bytes(self.buf[:40]), " then EOF" if self.eof else ""))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_frame(self):
        """Section 4.2 (client side): one frame from the server, as
        ("text", payload) or ("close",) for draft-76's 0xFF 0x00."""
        first = self.read_exact(1, "frame type")[0]
        if first == 0x00:
            deadline = time.monotonic() + IO_TIMEOUT
            while 0xFF not in self.buf:
                if time.monotonic() > deadline or not self._fill(max(0.01, deadline - time.monotonic())):
                    raise Mismatch("text frame without its 0xFF end (got %d octets%s)"
                                   % (len(self.buf), " then EOF" if self.eof else ""))
            end = self.buf.index(0xFF)
            payload = bytes(self.buf[:end])
            del self.buf[:end + 1]
            return ("text", payload)
        if first == 0xFF:
            if self.read_exact(1, "closing frame")[0] == 0x00:
                return ("close",)
        raise Mismatch("the server sent frame type 0x%02x; it sends only text frames"
                       " (and draft-76's closing frame)" % first)

    def expect_text(self, payload):
        frame = self.read_frame()
        if frame != ("text", payload):
            raise Mismatch("expected the echo %s, got %s" % (show(payload), show_frame(frame)))

    def expect_quiet(self):
        """Nothing more arrives and the connection stays open for a moment."""
        self._fill(QUIET_TIME)
        if self.buf:
            raise Mismatch("unexpected octets from the server: %r" % bytes(self.buf[:40]))
        if self.eof:
            raise Mismatch("the server closed the connection")

    def expect_eof(self, what="the server closes TCP"):
        deadline = time.monotonic() + IO_TIMEOUT
        while not self.eof:
            if time.monotonic() > deadline:
                raise Mismatch("%s: still open after %.0f s" % (what, IO_TIMEOUT))
            self._fill(max(0.01, deadline - time.monotonic()))
        if self.buf:
            raise Mismatch("%s: unexpected octets before EOF: %r" % (what, bytes(self.buf[:40])))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def show(payload):
    text = payload[:24].hex() + ("..." if len(payload) > 24 else "")
    return "text(%d:%s)" % (len(payload), text)


def show_frame(frame):
    return show(frame[1]) if frame[0] == "text" else "the closing frame"


def text_frame(payload):
    return b"\x00" + payload + b"\xff"


def length_frame(frame_type, payload):
    """Section 4.2: a length-prefixed frame, length in 7-bit groups, high bit = more."""
    n, groups = len(payload), []
    while True:
        groups.insert(0, n & 0x7F)
        n >>= 7
        if not n:
            break
    length = bytes([g | 0x80 for g in groups[:-1]] + [groups[-1]])
    return bytes([frame_type]) + length + payload


# ---- opening handshakes ----------------------------------------------------------

def open_75(c, path="/chat", protocol=None, origin=ORIGIN, early=b""):
    c.send(c.request(75, path, protocol=protocol, origin=origin) + early)
    check_head(c, 75, path, protocol, origin)


def open_76(c, path="/chat", key1=SPEC_KEY1, key2=SPEC_KEY2, key3=SPEC_KEY3, protocol=None,
            origin=ORIGIN, early=b""):
    c.send(c.request(76, path, key1, key2, protocol, origin) + key3 + early)
    check_head(c, 76, path, protocol, origin)
    check_answer(c, key1, key2, key3)


def check_head(c, draft, path="/chat", protocol=None, origin=ORIGIN):
    head = c.read_head()
    want = c.expected_head(draft, path, protocol, origin)
    if head != want:
        raise Mismatch("response head %r, expected %r" % (head, want))


def check_answer(c, key1, key2, key3):
    got = c.read_exact(16, "the 16-octet answer")
    want = answer(key1, key2, key3)
    if got != want:
        raise Mismatch("answer %s, expected %s" % (got.hex(), want.hex()))


def expect_refusal(c, status, closes=True):
    """A handshake the server must refuse: this HTTP status, then TCP closed
    (unless the request was plain HTTP, whose connection may persist)."""
    head = c.read_head()
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    if line.split(" ")[1:2] != [str(status)]:
        raise Mismatch("status line %r, expected %d" % (line, status))
    headers = wire.parse_headers(head.decode("latin-1").split("\r\n")[1:])
    body = int(headers.get("content-length", "0"))
    c.read_exact(body, "the response body")
    if closes:
        c.expect_eof("after the %d response" % status)
    return line


# ---- cases -------------------------------------------------------------------------

CASES = []


def case(cid, desc):
    def register(fn):
        CASES.append((cid, desc, fn))
        return fn
    return register


def opener(draft):
    return open_76 if draft == 76 else open_75


def close_cleanly(c, draft):
    """Draft-76 5.3: the closing handshake; draft-75: the client closes TCP."""
    if draft == 76:
        c.send(b"\xff\x00")
        frame = c.read_frame()
        if frame != ("close",):
            raise Mismatch("expected the closing frame, got %s" % show_frame(frame))
        c.expect_eof("after the closing handshake")
    else:
        c.sock.shutdown(socket.SHUT_WR)
        c.expect_eof("after the client closed TCP")


def build_cases():
    rng = random.Random(7576)

    @case("75.1.1", "draft-75 handshake: exact response head, then an echo")
    def _(c):
        open_75(c)
        c.send(text_frame(b"Hello"))
        c.expect_text(b"Hello")

    @case("75.1.2", "draft-75 handshake: path with a query string in WebSocket-Location")
    def _(c):
        open_75(c, path="/chat/room?id=7&x=%20")

    @case("75.1.3", "draft-75 handshake: WebSocket-Protocol offered and agreed")
    def _(c):
        open_75(c, protocol="chat")

    @case("75.1.4", "draft-75 handshake without Origin: no WebSocket-Origin in the answer")
    def _(c):
        open_75(c, origin=None)

    @case("75.1.5", "draft-75 handshake with a text frame in the same packet")
    def _(c):
        open_75(c, early=text_frame(b"early"))
        c.expect_text(b"early")

    @case("76.1.1", "draft-76 handshake, the draft's worked example; key3 in the request's packet")
    def _(c):
        open_76(c)
        if answer(SPEC_KEY1, SPEC_KEY2, SPEC_KEY3) != SPEC_ANSWER:
            raise Mismatch("this script's MD5 answer disagrees with the draft's example")
        c.send(text_frame(b"Hello"))
        c.expect_text(b"Hello")

    @case("76.1.2", "draft-76 handshake: key3 in a later packet, no answer before it")
    def _(c):
        c.send(c.request(76))
        check_head(c, 76)
        c.expect_quiet()
        c.send(SPEC_KEY3)
        check_answer(c, SPEC_KEY1, SPEC_KEY2, SPEC_KEY3)
        c.send(text_frame(b"after key3"))
        c.expect_text(b"after key3")

    @case("76.1.3", "draft-76 handshake: key3 split over two packets (3 + 5 octets)")
    def _(c):
        c.send(c.request(76) + SPEC_KEY3[:3])
        check_head(c, 76)
        c.expect_quiet()
        c.send(SPEC_KEY3[3:])
        check_answer(c, SPEC_KEY1, SPEC_KEY2, SPEC_KEY3)

    @case("76.1.4", "draft-76 handshake: request head and key3 written octet by octet")
    def _(c):
        c.send(c.request(76) + SPEC_KEY3, octet_by_octet=True)
        check_head(c, 76)
        check_answer(c, SPEC_KEY1, SPEC_KEY2, SPEC_KEY3)

    keys = [(random_key(rng), random_key(rng), rng.randbytes(8)) for _ in range(3)]
    for i, (k1, k2, k3) in enumerate(keys, 5):
        @case("76.1.%d" % i, "draft-76 handshake with browser-style random keys %r / %r" % (k1, k2))
        def _(c, k1=k1, k2=k2, k3=k3):
            open_76(c, key1=k1, key2=k2, key3=k3)

    @case("76.1.8", "draft-76 handshake: key3 and two text frames in the same packet")
    def _(c):
        open_76(c, early=text_frame(b"one") + text_frame(b"two"))
        c.expect_text(b"one")
        c.expect_text(b"two")

    @case("76.1.9", "draft-76 handshake: Sec-WebSocket-Protocol offered and agreed")
    def _(c):
        open_76(c, protocol="chat")

    @case("76.1.10", "draft-76 handshake: a key without digits counts as 0 (as websocket-driver)")
    def _(c):
        open_76(c, key1="abc de")

    for draft in (75, 76):
        o = opener(draft)

        def echo_case(sub, desc, payloads, octet_by_octet=False, draft=draft, o=o):
            @case("%d.2.%d" % (draft, sub), "draft-%d echo: %s" % (draft, desc))
            def _(c):
                o(c)
                c.send(b"".join(text_frame(p) for p in payloads), octet_by_octet)
                for p in payloads:
                    c.expect_text(p)
                close_cleanly(c, draft)

        echo_case(1, "ASCII text", [b"Hello, world!"])
        echo_case(2, "multi-byte UTF-8 (2, 3 and 4 octets per character)",
                  ["\u00b5\u00df\u00f6 \u20ac\u4e2d\u6587 \U0001f600\U00010348".encode("utf-8")])
        echo_case(3, "empty text frame", [b""])
        echo_case(4, "1 MiB of text in one frame", [b"BAsd7&jh23" * 104857 + b"x" * 6])
        echo_case(5, "three frames in one packet", [b"one", "tw\u00f6".encode(), b"three"])
        echo_case(6, "UTF-8 frames written octet by octet",
                  ["\u03ba\u1f79\u03c3\u03bc\u03b5".encode(), b"end"], octet_by_octet=True)

        @case("%d.2.7" % draft, "draft-%d: invalid UTF-8 in a text frame fails the connection"
              " (%s)" % (draft, "closing frame, then TCP close" if draft == 76 else "TCP close"))
        def _(c, draft=draft, o=o):
            o(c)
            c.send(text_frame(b"ok\xc0\xafbad"))
            if draft == 76:
                frame = c.read_frame()
                if frame != ("close",):
                    raise Mismatch("expected the closing frame, got %s" % show_frame(frame))
            c.expect_eof("after invalid UTF-8")

        # Section 4.2 (server side) of both drafts: a frame type with the high
        # bit set is followed by a length; the server reads and discards that
        # many octets. Other types without it run to 0xFF and are discarded.
        discards = [
            (1, "length-prefixed frame 0x80 of 5 octets", length_frame(0x80, b"hello")),
            (2, "length-prefixed frame 0x80 of 300 octets (two length groups)",
             length_frame(0x80, bytes(range(256)) + b"x" * 44)),
            (3, "length-prefixed frame 0x80 of length 0", b"\x80\x00"),
            (4, "length-prefixed frame 0xFE holding 0x00 and 0xFF octets",
             length_frame(0xFE, b"\x00\xff\x00\xff")),
            (5, "sentinel frame of type 0x01", b"\x01ignored\xff"),
            (6, "sentinel frame of type 0x7F", b"\x7fignored too\xff"),
        ]
        if draft == 75:
            discards.append((7, "0xFF 0x00: no closing frame in draft-75, an empty frame",
                             b"\xff\x00"))
        else:
            discards.append((7, "0xFF with a non-zero length: not the closing frame",
                             length_frame(0xFF, b"abc")))
        for sub, desc, data in discards:
            @case("%d.3.%d" % (draft, sub), "draft-%d: %s is discarded, the next text echoed"
                  % (draft, desc))
            def _(c, data=data, o=o):
                o(c)
                c.send(text_frame(b"before") + data + text_frame(b"after"))
                c.expect_text(b"before")
                c.expect_text(b"after")

    @case("76.4.1", "draft-76 closing handshake: 0xFF 0x00 answered with 0xFF 0x00, TCP closed")
    def _(c):
        open_76(c)
        close_cleanly(c, 76)

    @case("76.4.2", "draft-76: text then 0xFF 0x00 in one packet: echo, closing frame, TCP closed")
    def _(c):
        open_76(c)
        c.send(text_frame(b"last") + b"\xff\x00")
        c.expect_text(b"last")
        frame = c.read_frame()
        if frame != ("close",):
            raise Mismatch("expected the closing frame, got %s" % show_frame(frame))
        c.expect_eof()

    @case("76.4.3", "draft-76: nothing is echoed after the closing frame")
    def _(c):
        open_76(c)
        c.send(b"\xff\x00" + text_frame(b"too late"))
        frame = c.read_frame()
        if frame != ("close",):
            raise Mismatch("expected the closing frame, got %s" % show_frame(frame))
        c.expect_eof()

    @case("75.4.1", "draft-75 close: the client closes TCP, so does the server")
    def _(c):
        open_75(c)
        c.send(text_frame(b"bye"))
        c.expect_text(b"bye")
        close_cleanly(c, 75)

    # Section 5.2 (server side) of draft-76, steps 4-6: a key whose number is
    # above 32 bits, has no spaces, or is not a multiple of its spaces aborts.
    for sub, desc, k1, k2 in (
            (1, "Key1 without spaces", "12345678", SPEC_KEY2),
            (2, "Key2 without spaces", SPEC_KEY1, "1299853100"),
            (3, "Key1 not divisible by its spaces", "7  ", SPEC_KEY2),
            (4, "Key2 number above 32 bits", SPEC_KEY1, "4294967296 "),
            (5, "Key1 non-numeric: an overflowing digit run", "99999999999999999999 1 ", SPEC_KEY2)):
        @case("76.5.%d" % sub, "draft-76 %s: 400 and TCP closed" % desc)
        def _(c, k1=k1, k2=k2):
            c.send(c.request(76, key1=k1, key2=k2) + SPEC_KEY3)
            expect_refusal(c, 400)

    @case("76.5.6", "draft-76 with Sec-WebSocket-Key2 missing: 400 and TCP closed")
    def _(c):
        head = c.request(76).replace(b"Sec-WebSocket-Key2: %s\r\n" % SPEC_KEY2.encode(), b"")
        c.send(head + SPEC_KEY3)
        expect_refusal(c, 400)

    for draft in (75, 76):
        def malformed(sub, desc, status, make, draft=draft, closes=True):
            @case("%d.5.%d" % (draft, sub), "draft-%d %s: %d%s" % (
                draft, desc, status, " and TCP closed" if closes else ""))
            def _(c):
                c.send(make(c))
                expect_refusal(c, status, closes)

        base = 7 if draft == 76 else 1
        malformed(base, "without Host", 400,
                  lambda c, d=draft: c.request(d).replace(b"Host: %s\r\n" % c.host.encode(), b""))
        malformed(base + 1, "with a 20 KiB header (head over the 16 KiB limit)", 431,
                  lambda c, d=draft: c.request(d, extra=["X-Padding: " + "a" * 20480]))
        malformed(base + 2, "as POST /: not an upgrade, the page's method check", 405,
                  lambda c, d=draft: c.request(d, path="/").replace(b"GET ", b"POST ", 1)
                  .replace(b"\r\n\r\n", b"\r\nContent-Length: 0\r\n\r\n"))
        malformed(base + 3, "as PUT /chat: not an upgrade, no such page", 404,
                  lambda c, d=draft: c.request(d).replace(b"GET ", b"PUT ", 1)
                  .replace(b"\r\n\r\n", b"\r\nContent-Length: 0\r\n\r\n"))
        malformed(base + 4, "without Upgrade: plain HTTP (kept alive), no such page", 404,
                  lambda c, d=draft: c.request(d).replace(b"Upgrade: WebSocket\r\n", b""),
                  closes=False)


# ---- running -------------------------------------------------------------------------

def sort_key(cid):
    return tuple(int(x) for x in cid.split("."))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True, help="path to the faye-ws binary")
    ap.add_argument("--cases", default="*", help="comma-separated case ids or globs, e.g. 76.1.*")
    ap.add_argument("--exclude", default="", help="comma-separated case ids or globs to skip")
    ap.add_argument("--overall-timeout", type=float, default=120.0,
                    help="bound for the whole run in seconds (default 120)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case's details")
    args = ap.parse_args()

    build_cases()
    pats = [p.strip() for p in args.cases.split(",") if p.strip()]
    excl = [p.strip() for p in args.exclude.split(",") if p.strip()]
    cases = sorted((c for c in CASES if any(fnmatch.fnmatchcase(c[0], p) for p in pats)
                    and not any(fnmatch.fnmatchcase(c[0], p) for p in excl)),
                   key=lambda c: sort_key(c[0]))
    if not cases:
        print("no case matches %r" % args.cases)
        return 2

    processes.raise_on_sigterm()
    server = processes.Serve(args.server, ["--protocol", "chat"])
    passed = failed = 0
    t0 = time.monotonic()
    try:
        try:
            server.start()
        except (RuntimeError, OSError) as ex:
            print("cannot start the server: %s" % ex)
            print("0 passed, %d failed" % len(cases))
            return 1
        print("faye-ws serve on 127.0.0.1:%d (pid %d); %d cases"
              % (server.port, server.proc.pid, len(cases)))
        print("%-9s %-8s %8s  %s" % ("case", "verdict", "time", "description"))
        for cid, desc, fn in cases:
            start = time.monotonic()
            detail = ""
            if start - t0 > args.overall_timeout:
                ok, detail = False, "not run: overall time bound of %.0f s exceeded" % args.overall_timeout
            else:
                if not server.alive():
                    print("!! server exited with status %s: %s; restarting"
                          % (server.proc.returncode, server.stderr_tail()))
                    server.start()
                c = None
                try:
                    c = Legacy(server.port)
                    fn(c)
                    ok = True
                except Mismatch as ex:
                    ok, detail = False, str(ex)
                except OSError as ex:
                    ok, detail = False, "%s: %s" % (type(ex).__name__, ex)
                finally:
                    if c is not None:
                        c.close()
                if not server.alive():
                    ok = False
                    detail += "; server died (status %s): %s" % (server.proc.returncode,
                                                                 server.stderr_tail())
            passed, failed = passed + ok, failed + (not ok)
            print("%-9s %-8s %7.3fs  %s" % (cid, "OK" if ok else "FAILED",
                                            time.monotonic() - start, desc), flush=True)
            if detail and (not ok or args.verbose):
                print("          -> %s" % detail, flush=True)
    finally:
        server.stop()
    print()
    print("total time %.1f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
