"""The `faye-ws` processes the conformance scripts start, each stopped by its
PID (SIGTERM, then SIGKILL), never by name. Standard library only."""

import os
import queue
import signal
import subprocess
import tempfile
import threading
import time


def stop(proc):
    """Stops a child started by this process, by its PID."""
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


def raise_on_sigterm():
    """SIGTERM (ctest's timeout) unwinds through `finally`, so children stop."""
    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)


class Serve:
    """`faye-ws serve` on a free loopback port, read from its first line."""

    MARKER = "listening on http://127.0.0.1:"

    def __init__(self, path, extra=()):
        self.cmd = [path, "serve", "--host", "127.0.0.1", "--port", "0", "--quiet"] + list(extra)
        self.proc = None
        self.port = None
        self.errlog = tempfile.TemporaryFile()

    def start(self, timeout=15.0):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self.errlog,
                                     stdin=subprocess.DEVNULL)
        lines = queue.Queue()

        def pump():
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
            if self.MARKER in line:
                self.port = int(line.split(self.MARKER, 1)[1].split("/", 1)[0])
                return
        raise RuntimeError("server did not report its port (exit status %s): %s"
                           % (self.proc.poll(), self.stderr_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_tail(self, n=800):
        try:
            self.errlog.seek(0)
            return self.errlog.read()[-n:].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def stop(self):
        stop(self.proc)
