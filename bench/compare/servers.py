"""The echo servers bench/compare measures, how each is started, and the
processes themselves: pinned with taskset, their port read from their first
line, stopped by PID (SIGTERM, then SIGKILL). Standard library only."""

import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# "faye-ws serve: listening on http://127.0.0.1:PORT/ (1 thread)" and the
# peers' "listening on PORT".
FAYE_PORT = re.compile(r"listening on https?://[^ ]*:(\d+)/")
PEER_PORT = re.compile(r"listening on (\d+)\s*$")


@dataclass
class Server:
    """One server program: `command(port, deflate, tls, threads)` gives its argv."""
    name: str
    command: object            # callable -> list of str
    port_pattern: re.Pattern = PEER_PORT
    deflate: bool = False      # can agree to permessage-deflate
    tls: bool = False          # can serve wss://
    threads: bool = False      # can run more than one loop thread
    fixed_port: bool = False   # the command takes a port we pick (no "listening on")
    missing: str = ""          # why it can't run here, when it can't


@dataclass
class Binaries:
    """Where the built programs are."""
    build_dir: str
    faye_ws: str = ""
    node: str = field(default_factory=lambda: shutil.which("node") or "")

    def __post_init__(self):
        self.faye_ws = self.faye_ws or os.path.join(self.build_dir, "examples", "faye-ws")

    def compare(self, name):
        return os.path.join(self.build_dir, "bench", "compare", name)


def known_servers(binaries, uws_command=None, tls_files=None):
    """Every server, in table order; `missing` says why one can't run."""
    def faye(port, deflate, tls, threads):
        argv = [binaries.faye_ws, "serve", "--host", "127.0.0.1", "--port", str(port),
                "--quiet", "--threads", str(threads)]
        if tls:
            argv += ["--tls-cert", tls_files.cert, "--tls-key", tls_files.key]
        return argv

    def built(name):
        path = binaries.compare(name)
        return lambda port, deflate, tls, threads: (
            [path, str(port)] + (["--deflate"] if deflate else []))

    def node_ws(port, deflate, tls, threads):
        return [binaries.node, os.path.join(HERE, "ws_echo.js"), str(port)] + (
            ["--deflate"] if deflate else [])

    servers = [
        Server("faye-ws", faye, FAYE_PORT, deflate=True, tls=True, threads=True),
        Server("reference", built("reference_echo")),
        Server("beast", built("beast_echo"), deflate=True),
        Server("websocketpp", built("websocketpp_echo")),
        Server("node-ws", node_ws, deflate=True),
    ]
    for server in servers[:4]:
        program = server.command(0, False, False, 1)[0]
        if not os.access(program, os.X_OK):
            server.missing = "%s is not built" % os.path.relpath(program, REPO)
    if not binaries.node:
        servers[4].missing = "node is not on the PATH"
    elif not os.path.isdir(os.path.join(REPO, "tests", "interop", "node_modules", "ws")):
        servers[4].missing = "tests/interop/node_modules/ws is missing (run scripts/deps)"
    if uws_command:
        servers.append(Server(
            "uws", lambda port, deflate, tls, threads: shlex.split(
                uws_command.replace("{port}", str(port))),
            fixed_port=True))
    return servers


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pinned(cpus, argv):
    """taskset execs the program, so the PID we get is the program's own."""
    return ["taskset", "-c", cpus] + list(argv)


class Process:
    """A server started pinned to `cpus`, with its port once it listens."""

    def __init__(self, server, cpus, deflate=False, tls=False, threads=1):
        self.server = server
        chosen = free_port() if server.fixed_port else 0
        self.argv = pinned(cpus, server.command(chosen, deflate, tls, threads))
        self.port = chosen or None
        self.errlog = tempfile.TemporaryFile()
        self.proc = None

    def start(self, timeout=15.0):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.errlog,
                                     start_new_session=True)
        if self.server.fixed_port:
            self._wait_connectable(timeout)
        else:
            self._read_port(timeout)

    def _read_port(self, timeout):
        lines = queue.Queue()

        def pump():  # keeps reading, so a chatty server never blocks on a full pipe
            for line in self.proc.stdout:
                lines.put(line)
        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2).decode("utf-8", "replace")
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            match = self.server.port_pattern.search(line)
            if match:
                self.port = int(match.group(1))
                return
        raise RuntimeError("%s did not report its port (exit status %s): %s"
                           % (self.server.name, self.proc.poll(), self.stderr_tail()))

    def _wait_connectable(self, timeout):
        threading.Thread(target=lambda: self.proc.stdout.read(), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("%s did not accept connections on port %d (exit status %s): %s"
                           % (self.server.name, self.port, self.proc.poll(), self.stderr_tail()))

    @property
    def pid(self):
        return self.proc.pid

    def stderr_tail(self, n=600):
        try:
            self.errlog.seek(0)
            return self.errlog.read()[-n:].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def stop(self):
        stop(self.proc)
        self.errlog.close()


def stop(proc):
    """Stops a child started by this script, by its PID."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
