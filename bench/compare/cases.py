"""The tests of bench/compare: for each, the generator's arguments, the rows
of its table (which server, started how, pinned where) and the figures it
reports. Standard library only."""

from dataclasses import dataclass, field


@dataclass
class Column:
    title: str
    key: str                   # a field of the generator's JSON (or one run adds)
    higher_is_better: bool = True


@dataclass
class Row:
    label: str
    server: str                # a Server's name
    deflate: bool = False
    tls: bool = False
    threads: int = 1
    server_cpus: str = "0"
    client_args: list = field(default_factory=list)


@dataclass
class Test:
    name: str
    title: str
    mode: str                  # echo, connect or idle
    args: list                 # the generator's arguments after the URL
    columns: list              # the first one is the one ratios are taken of
    rows: list = field(default_factory=list)
    baseline: str = "faye-ws"  # the row the "÷ faye-ws" column divides by
    note: str = ""


ECHO_SMALL = ["--connections", "100", "--size", "32", "--in-flight", "64"]
ECHO_LARGE = ["--connections", "10", "--size", "65536", "--binary", "--in-flight", "4"]
LATENCY = ["--connections", "100", "--size", "32", "--in-flight", "1"]

BUSY = Column("server CPU %", "server_cpu_percent")
MSGS = [Column("msgs / server CPU-s", "msgs_per_server_cpu_s"), Column("msgs / s", "msgs_per_s"),
        BUSY]
MBS = [Column("MB / server CPU-s", "mb_per_server_cpu_s"), Column("MB / s", "mb_per_s"), BUSY]
HANDSHAKES = [Column("handshakes / server CPU-s", "handshakes_per_server_cpu_s"),
              Column("handshakes / s", "handshakes_per_s"), BUSY]

ALL_TESTS = ["echo-small", "echo-large", "connect", "idle", "latency", "deflate-small",
             "deflate-large", "tls-echo", "tls-connect", "scaling", "engine"]


def build_tests(servers, cpus, quick):
    """The tests, in report order, with a row for each server that can take part.

    `servers` are the selected, runnable Server objects; `cpus` is
    (server_cpu, client_cpu); `quick` shortens the idle test."""
    server_cpu, client_cpu = cpus
    names = [server.name for server in servers]
    by_name = {server.name: server for server in servers}

    def every(deflate=False):
        return [Row(name, name, deflate=deflate, server_cpus=server_cpu)
                for name in names if not deflate or by_name[name].deflate]

    def faye_only():
        return ["faye-ws"] if "faye-ws" in names else []

    def faye_and_reference():
        return [name for name in ("faye-ws", "reference") if name in names]

    idle_connections = "1000" if quick else "10000"
    tests = [
        Test("echo-small", "Echo, 32-byte text messages (100 connections, 64 in flight each)",
             "echo", ECHO_SMALL, MSGS, every()),
        Test("echo-large", "Echo, 64 KiB binary messages (10 connections, 4 in flight each)",
             "echo", ECHO_LARGE, MBS, every()),
        Test("connect", "Opening handshakes (50 at a time, each connection closed after it)",
             "connect", ["--concurrency", "50"], HANDSHAKES, every()),
        Test("idle", "Memory per idle connection (%s connections held open)" % idle_connections,
             "idle", ["--connections", idle_connections],
             [Column("KiB / connection", "kib_per_connection", higher_is_better=False)],
             every()),
        Test("latency", "Latency, 32-byte text messages, one in flight (100 connections)",
             "echo", LATENCY,
             [Column("p99 µs", "p99_us", higher_is_better=False),
              Column("p50 µs", "p50_us", higher_is_better=False),
              Column("p99.9 µs", "p999_us", higher_is_better=False)],
             every()),
        Test("deflate-small", "permessage-deflate echo, 32-byte text messages",
             "echo", ECHO_SMALL + ["--deflate"], MSGS, every(deflate=True),
             note="Every server compresses every message (ws with threshold 0)."),
        Test("deflate-large", "permessage-deflate echo, 64 KiB binary messages",
             "echo", ECHO_LARGE + ["--deflate"], MBS, every(deflate=True)),
    ]

    plain = [Row(name, name, server_cpus=server_cpu) for name in faye_and_reference()]
    secure = [Row("faye-ws wss://", name, tls=True, server_cpus=server_cpu)
              for name in faye_only()]
    tests += [
        Test("tls-echo", "TLS: echo of 32-byte text messages over wss:// (self-signed EC P-256)",
             "echo", ECHO_SMALL, MSGS, plain + secure,
             note="Rows without wss:// are the same test in the clear, for scale."),
        Test("tls-connect", "TLS: opening handshakes over wss:// (TLS 1.3, EC P-256)",
             "connect", ["--concurrency", "50"], HANDSHAKES, plain + secure),
    ]

    both_cpus = "%s,%s" % (server_cpu, client_cpu)
    tests.append(Test(
        "scaling", "Scaling: faye-ws serve with two loop threads, echo of 32-byte messages",
        "echo", ECHO_SMALL, [MSGS[1], MSGS[0], BUSY],
        [Row("faye-ws", name, server_cpus=server_cpu) for name in faye_only()] +
        [Row("faye-ws --threads 2", name, threads=2, server_cpus=both_cpus)
         for name in faye_only()],
        note="With two threads the server runs on CPUs %s and the generator shares CPU %s "
             "with it, so msgs / s is the figure to read." % (both_cpus, client_cpu)))
    tests.append(Test(
        "engine", "Client engines of faye-ws bench against faye-ws serve (echo, 32-byte)",
        "echo", ECHO_SMALL,
        [Column("msgs / s", "msgs_per_s"), Column("client CPU %", "client_cpu_percent"),
         Column("msgs / server CPU-s", "msgs_per_server_cpu_s")],
        [Row("--engine raw", name, server_cpus=server_cpu, client_args=["--engine", "raw"])
         for name in faye_only()] +
        [Row("--engine library", name, server_cpus=server_cpu,
             client_args=["--engine", "library"]) for name in faye_only()],
        baseline="--engine raw",
        note="The library engine is faye::WebSocket::Client; the raw one a hand-written "
             "epoll client. Client CPU % is the generator's CPU time over its whole run "
             "(connecting and warm-up included) divided by its wall time."))
    return tests
