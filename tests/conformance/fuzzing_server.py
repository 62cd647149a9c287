#!/usr/bin/python3
"""Autobahn|Testsuite-style fuzzing server for `faye-ws autobahn` (RFC 6455, client role).

Standard library only. Binds 127.0.0.1 on a free port, starts the client under
test itself as a child process

    faye-ws autobahn --url ws://127.0.0.1:PORT --agent faye [--no-deflate]

and speaks Autobahn's fuzzing-server URL protocol to it: /getCaseCount (the
count goes out as a text message, then the server closes), /runCase?case=N&agent=A
for every case, /updateReports?agent=A. On each /runCase connection the server
plays the case (its frames are unmasked), the client is expected to echo every
message with its type, and the verdict is Autobahn's. Prints one row per case
and a closing line `N passed, M failed`; exits 0 iff no case is FAILED.

    fuzzing_server.py --client /path/to/faye-ws [--cases 1.*,2.*] [--quick] [--full]

The cases (ids, payloads, expectations, verdicts) are those of
fuzzing_client.py, played by the server end of its Connection: categories
1-7, 9 (Autobahn's sizes, up to 16 MiB, unless --quick), 10, and 12-13
(permessage-deflate; 10 messages per case, Autobahn's 1000 with --full).
What changes in the server role:

  * frames sent by this server are unmasked; a client frame that is not masked
    is a protocol violation and makes the case FAILED;
  * after the closing handshake this server closes TCP itself, as Autobahn's
    fuzzing server does (RFC 6455 7.1.1: the server closes the connection first);
  * permessage-deflate is negotiated as Autobahn's server does: a malformed
    offer fails the handshake (the case is FAILED); 12.x and 13.x answer the
    client's offer with Autobahn's accept functions, which in 13.x ask the
    client for client_no_context_takeover and client_max_window_bits 8 / 15;
    every other case declines the offer. The server then holds the client to
    the agreement: it inflates with the agreed client window, and afresh for
    every message under client_no_context_takeover.
"""

import argparse
import base64
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True     # importing fuzzing_client must not leave __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deflate  # noqa: E402  (permessage-deflate: Autobahn's offer parsing and accept functions)
import fuzzing_client as fc  # noqa: E402  (case data, verdict logic)
import processes  # noqa: E402  (the child, stopped by PID)
import wire  # noqa: E402  (frames, handshake, HTTP heads)

OK, NON_STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED = (
    fc.OK, fc.NON_STRICT, fc.INFORMATIONAL, fc.UNIMPLEMENTED, fc.FAILED)
NORMAL = fc.NORMAL
AGENT = "faye"
CLOSE_TIMEOUT = 2.0
ACCEPT_TIMEOUT = 20.0


class ServerConnection(fc.Connection):
    """The server end of one accepted WebSocket. The case bodies and the
    reader thread are fuzzing_client.Connection's; this end sends unmasked
    frames, requires masked ones, and closes TCP after the closing handshake."""

    peer_masks = True             # RFC 6455 5.1: a client masks every frame

    def __init__(self, sock, leftover, codec=None, extensions_header=None):
        super().__init__("127.0.0.1", 0)
        self.sock = sock
        self.leftover = leftover
        self.deflate = codec
        self.extensions_header = extensions_header
        self.close_written = False

    def frame(self, opcode, payload=b"", fin=True, rsv=0):
        return wire.encode_frame(opcode, payload, fin, rsv)

    def open(self, timeout=None):
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.start_reading(self.leftover)

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, chopsize=None, sync=False):
        self.send_raw(self.frame(opcode, payload, fin, rsv), chopsize, sync)
        if opcode == 8:
            with self.lock:
                self.close_written = True
                self.cond.notify_all()

    # ---- the server closes TCP after the closing handshake -----------------
    def _handshake_done(self):
        return self.close_written and self.got_close

    def _close_tcp(self):
        """Autobahn's server drops TCP as soon as the closing handshake is done."""
        with self.lock:
            if self.tcp_closed:
                return
        with self.send_lock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.wait(lambda: self.tcp_closed, 2.0)

    def finish(self):
        self.wait(lambda: self.tcp_closed or self._handshake_done(), CLOSE_TIMEOUT)
        with self.lock:
            done = self._handshake_done()
        if done:
            self._close_tcp()
        else:
            self.drop()

    def kill_after(self, t):
        if self.wait(lambda: self.tcp_closed or self._handshake_done(), t):
            with self.lock:
                done = self._handshake_done()
            if done:
                self._close_tcp()
        else:
            self.drop()


# ---------------------------------------------------------------------------
# Client-role cases (not Autobahn's): masked frames from the server
# ---------------------------------------------------------------------------

def build_cat90():
    """RFC 6455 5.1: "A client MUST close a connection if it detects a masked
    frame", with 1002 (7.4.1). Autobahn's suite has no such case, so these are
    numbered 90.x, outside Autobahn's range; --exclude '90.*' leaves them out."""
    hello = b"Hello, world!"
    fail = fc.ec(False, [fc.PROTOCOL_ERROR], False)

    def masked(opcode, payload):
        return wire.encode_frame(opcode, payload, mask_key=os.urandom(4))

    def run1(c):
        c.send_raw(masked(1, hello))
        c.kill_after(1)
    fc.add("90.1.1", "Send masked text message (a client must fail the connection)", run1,
           {OK: []}, fail)

    def run2(c):
        c.send_frame(1, hello)
        c.send_raw(masked(1, hello))
        c.send_frame(9)
        c.kill_after(1)
    fc.add("90.1.2", "Send small text message, then a masked one, then ping", run2,
           {OK: [("message", hello, False)], NON_STRICT: []}, fail)

    def run3(c):
        c.send_raw(masked(9, b"masked ping"))
        c.kill_after(1)
    fc.add("90.1.3", "Send masked ping (no pong expected)", run3, {OK: []}, fail)

    def run4(c):
        c.send_raw(masked(2, b""))
        c.kill_after(1)
    fc.add("90.1.4", "Send masked binary message of length 0", run4, {OK: []}, fail)


# ---------------------------------------------------------------------------
# HTTP side: accepting the client's opening handshakes
# ---------------------------------------------------------------------------

class Request:
    """A client's opening handshake: what is wrong with it (`problems`), and
    its permessage-deflate offers, or why they are malformed (`offer_error`)."""

    def __init__(self, sock, path, query, headers, leftover, problems, offers, offer_error):
        self.sock, self.path, self.query = sock, path, query
        self.headers, self.leftover, self.problems = headers, leftover, problems
        self.offers, self.offer_error = offers, offer_error


def read_request(sock, no_deflate, timeout=5.0):
    request_line, headers, rest = wire.read_head(sock, timeout)
    parts = request_line.split(" ")
    problems = []
    if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
        problems.append("bad request line %r" % request_line)
    target = urllib.parse.urlsplit(parts[1] if len(parts) > 1 else "/")
    query = urllib.parse.parse_qs(target.query)
    if headers.get("upgrade", "").lower() != "websocket":
        problems.append("Upgrade header %r" % headers.get("upgrade"))
    if "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
        problems.append("Connection header %r" % headers.get("connection"))
    if headers.get("sec-websocket-version") != "13":
        problems.append("Sec-WebSocket-Version %r" % headers.get("sec-websocket-version"))
    if "host" not in headers:
        problems.append("no Host header")
    key = headers.get("sec-websocket-key", "")
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            problems.append("Sec-WebSocket-Key %r is not 16 octets" % key)
    except ValueError:
        problems.append("Sec-WebSocket-Key %r is not base64" % key)
    offers, offer_error = [], None
    if no_deflate and "sec-websocket-extensions" in headers:
        problems.append("extension offered despite --no-deflate: %r"
                        % headers["sec-websocket-extensions"])
    try:
        offers = deflate.parse_offers(headers.get("sec-websocket-extensions"))
    except ValueError as e:
        # Autobahn's server fails such a handshake (PerMessageDeflateOffer.parse raises).
        offer_error = "%s (Sec-WebSocket-Extensions: %r)" % (e, headers["sec-websocket-extensions"])
    return Request(sock, target.path, query, headers, rest, problems, offers, offer_error)


def accept_handshake(req, accept=None):
    """101 Switching Protocols; with `accept` (Autobahn's accept function of
    a 12.x / 13.x case) agrees to permessage-deflate when the offers allow.
    Returns (response extensions header or None, codec or None)."""
    response, codec = deflate.accept(req.offers, accept) if accept else (None, None)
    key = req.headers.get("sec-websocket-key", "").encode()
    req.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n"
                     % (wire.accept_key(key), b"" if response is None else
                        b"Sec-WebSocket-Extensions: %s\r\n" % response.encode()))
    return response, codec


def refuse(req, status=b"404 Not Found"):
    try:
        req.sock.sendall(b"HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % status)
        req.sock.close()
    except OSError:
        pass


class Child:
    """The client under test, run as a child and stopped by its PID."""

    def __init__(self, path, port, extra):
        self.cmd = [path, "autobahn", "--url", "ws://127.0.0.1:%d" % port, "--agent", AGENT] + extra
        self.out = tempfile.TemporaryFile()
        self.lines = {}
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for raw in self.proc.stdout:
            self.out.write(raw)
            line = raw.decode("utf-8", "replace").rstrip()
            if line.startswith("case ") and ":" in line:
                num = line[5:].split(":", 1)[0]
                if num.isdigit():
                    self.lines[int(num)] = line

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=600):
        try:
            self.out.seek(0)
            return self.out.read()[-n:].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def stop(self):
        processes.stop(self.proc)


def accept_request(lsock, child, deadline, no_deflate):
    """Next opening handshake from the child, or None (child exited / time up)."""
    while time.monotonic() < deadline:
        try:
            lsock.settimeout(0.25)
            sock, _ = lsock.accept()
        except socket.timeout:
            if not child.alive():
                return None
            continue
        try:
            return read_request(sock, no_deflate)
        except (OSError, wire.HeadError) as ex:
            print("!! bad connection attempt: %s" % ex)
            sock.close()
    return None


def short_close(sock, leftover, messages=()):
    """getCaseCount / updateReports: send the messages, then a normal close."""
    c = ServerConnection(sock, leftover)
    c.open()
    for m in messages:
        c.send_message(m.encode())
    c.send_close(NORMAL)
    c.finish()
    c.cleanup()
    return c


# ---------------------------------------------------------------------------
# Running and judging a case
# ---------------------------------------------------------------------------

def peer(text):
    """fuzzing_client's messages speak of 'the server'; here the peer is the client."""
    return text.replace("server", "client").replace("SERVER", "CLIENT")


def run_case(case, req):
    response, codec = accept_handshake(req, case.accept)
    c = ServerConnection(req.sock, req.leftover, codec, response)
    behavior, bclose, result, rclose, notes, duration = fc.play(case, c)
    if req.problems:
        behavior = FAILED
        notes.append("opening handshake: " + "; ".join(req.problems))
    return behavior, bclose, peer(result), peer(rclose), [peer(n) for n in notes], duration, c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--client", required=True, help="path to the faye-ws binary")
    ap.add_argument("--cases", default="*", help="comma-separated case ids or globs, e.g. 1.*,2.*,6.4.1")
    ap.add_argument("--exclude", default="", help="comma-separated case ids or globs to skip")
    ap.add_argument("--quick", action="store_true",
                    help="cap the 9.1-9.4 messages at 1 MiB instead of Autobahn's sizes (16 MiB)")
    ap.add_argument("--full", action="store_true",
                    help="Autobahn's 1000 messages per 12.x/13.x case instead of %d"
                    % fc.DEFLATE_QUICK_COUNT)
    ap.add_argument("--no-deflate", action="store_true",
                    help="run the client with --no-deflate: it must offer no extension, and"
                    " 12.x/13.x are UNIMPLEMENTED")
    ap.add_argument("--overall-timeout", type=float, default=None,
                    help="bound for the whole run in seconds (default 300; with --full 3600)")
    ap.add_argument("--client-arg", action="append", default=[],
                    help="extra argument for `faye-ws autobahn` (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show details for every case")
    args = ap.parse_args()

    fc.build_cat1(); fc.build_cat2(); fc.build_cat3(); fc.build_cat4(); fc.build_cat5()
    fc.build_cat6(); fc.build_cat7(); fc.build_cat9(not args.quick); fc.build_cat10()
    fc.build_cat12(args.full); fc.build_cat13(args.full, server_role=True)
    build_cat90()
    cases = fc.select(fc.CASES, args.cases, args.exclude)
    if not cases:
        print("no case matches %r" % args.cases)
        return 2

    overall = args.overall_timeout or (3600.0 if args.full else 300.0)
    processes.raise_on_sigterm()

    counts = {k: 0 for k in (OK, NON_STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED)}
    per_cat = {}
    t0 = time.monotonic()
    deadline = t0 + overall
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    child = None
    reports = None
    done = 0

    def record(case, verdict, bclose, dur, detail):
        counts[verdict] += 1
        cat = case.id.split(".")[0]
        per_cat.setdefault(cat, {}).setdefault(verdict, 0)
        per_cat[cat][verdict] += 1
        desc = case.desc if len(case.desc) <= 90 else case.desc[:87] + "..."
        print("%-9s %-14s %-16s %7.3fs  %s" % (case.id, verdict, bclose, dur, desc), flush=True)
        if detail:
            print("          -> %s" % detail, flush=True)

    try:
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(16)
        port = lsock.getsockname()[1]
        child = Child(args.client, port, ["--timeout", "%d" % max(30, int(overall))]
                      + (["--no-deflate"] if args.no_deflate else []) + args.client_arg)
        print("fuzzing server on 127.0.0.1:%d; client `%s` (pid %d); %d cases%s"
              % (port, " ".join(child.cmd[1:]), child.proc.pid, len(cases),
                 "".join(" (--%s)" % o for o in ("quick", "full") if getattr(args, o))))

        req = accept_request(lsock, child, min(deadline, time.monotonic() + ACCEPT_TIMEOUT),
                             args.no_deflate)
        if req is None or req.path != "/getCaseCount":
            raise RuntimeError("the client did not ask for /getCaseCount (%s); its output: %s"
                               % ("got %s" % req.path if req else "no request", child.tail()))
        if req.problems or req.offer_error:
            print("!! /getCaseCount handshake: %s"
                  % "; ".join(req.problems + [req.offer_error or ""]))
        accept_handshake(req)
        short_close(req.sock, req.leftover, [str(len(cases))])

        print("%-9s %-14s %-16s %8s  %s" % ("case", "verdict", "close", "time", "description"))
        for number, case in enumerate(cases, 1):
            req = None
            if time.monotonic() < deadline:
                req = accept_request(lsock, child, min(deadline, time.monotonic() + ACCEPT_TIMEOUT),
                                     args.no_deflate)
            if req is None:
                break
            if req.path != "/runCase" or req.query.get("case") != [str(number)] \
                    or req.query.get("agent") != [AGENT]:
                refuse(req, b"400 Bad Request")
                record(case, FAILED, "-", 0.0, "expected /runCase?case=%d&agent=%s, got %s %s"
                       % (number, AGENT, req.path, req.query))
                done += 1
                continue
            if req.offer_error:
                # Autobahn fails the handshake (HTTP 400): the case cannot run.
                refuse(req, b"400 Bad Request")
                record(case, FAILED, "-", 0.0, "opening handshake: " + req.offer_error)
                done += 1
                continue
            verdict, bclose, result, rclose, notes, dur, conn = run_case(case, req)
            done += 1
            detail = ""
            if verdict == FAILED or args.verbose:
                parts = [result, rclose] + notes
                parts.append("got %s, close code %s%s" % (
                    fc.describe_events(conn.received), conn.remote_close_code,
                    (" reason %r" % conn.remote_close_reason[:60]) if conn.remote_close_reason else ""))
                if case.expected and not case.check:
                    parts.append("expected %s" % " or ".join(
                        "%s: %s" % (k, fc.describe_events(v)) for k, v in case.expected.items()))
                time.sleep(0.05)      # the child's own line for this case
                if number in child.lines:
                    parts.append("client said %r" % child.lines[number])
                detail = "; ".join(p for p in parts if p)
            record(case, verdict, bclose, dur, detail)
        for i, case in enumerate(cases[done:]):
            if time.monotonic() >= deadline:
                why = "overall time bound of %.0f s exceeded" % overall
            else:
                why = "the client never connected for it (exit status %s)" % child.proc.poll()
                if i == 0:
                    why += "; its output ends with: %s" % child.tail(300)
            record(case, FAILED, "-", 0.0, "not run: " + why)

        if done == len(cases):
            req = accept_request(lsock, child, min(deadline, time.monotonic() + ACCEPT_TIMEOUT),
                                 args.no_deflate)
            if req is not None and req.path == "/updateReports":
                accept_handshake(req)
                short_close(req.sock, req.leftover)
                reports = "served"
            else:
                reports = "not requested"
                if req is not None:
                    refuse(req)
            try:
                child.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    except RuntimeError as ex:
        print("!! %s" % ex)
        for case in cases[done:]:
            counts[FAILED] += 1
    finally:
        if child is not None:
            child.stop()
        lsock.close()

    total = time.monotonic() - t0
    print()
    if child is not None:
        last = child.tail(300).splitlines()
        print("client exit status %s, /updateReports %s; its last line: %s"
              % (child.proc.returncode, reports, last[-1] if last else "(none)"))
    return fc.summarize(cases, counts, per_cat, total)


if __name__ == "__main__":
    sys.exit(main())
