#!/usr/bin/python3
"""A WebSocket client with permessage-deflate on, built on Python's
`websockets` (Debian's python3-websockets 10.4, default compression="deflate"):
the peer of faye's server in tests/integration/deflate_interop_test.cpp.

    python_deflate_client.py --url ws://127.0.0.1:PORT/ [--timeout 30]

Connects, sends text and binary messages of several sizes (empty, small,
64 KiB, 1 MiB; highly compressible and random), checks that each echo is
identical in type and bytes, then closes with 1000. It prints

    extensions: VALUE     the Sec-WebSocket-Extensions the server answered
    compressed: N of M    how many of the server's M data frames had RSV1
    ok                    every echo matched

and exits 0; on any failure it prints `FAIL: why` and exits 1. The whole run
is bounded by --timeout seconds.
"""

import argparse
import asyncio
import random
import sys

import websockets


def say(line):
    print(line, flush=True)


def messages():
    rng = random.Random(7692)
    out = []
    for size in (0, 1, 100, 64 * 1024, 1024 * 1024):
        out.append(("abcdefghij" * (size // 10 + 1))[:size])                # compressible text
        out.append(rng.randbytes(size))                                      # random binary
        out.append(bytes(i % 7 for i in range(size)))                        # compressible binary
    out.append("h\u00e9llo \u2713 \U0001F600 " * 1000)                        # multi-byte UTF-8
    return out


async def run(url):
    frames = {"data": 0, "rsv1": 0}
    async with websockets.connect(url, compression="deflate", max_size=16 * 1024 * 1024,
                                  ping_interval=None, open_timeout=10, close_timeout=5) as ws:
        agreed = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        say(f"extensions: {agreed}")
        for extension in ws.extensions:
            original = extension.decode

            def decode(frame, *, max_size=None, original=original):
                if frame.opcode in (websockets.frames.Opcode.TEXT, websockets.frames.Opcode.BINARY):
                    frames["data"] += 1
                    if frame.rsv1:
                        frames["rsv1"] += 1
                return original(frame, max_size=max_size)
            try:
                extension.decode = decode
            except AttributeError:
                pass
        sent = messages()
        for i, message in enumerate(sent):
            await ws.send(message)
            echo = await ws.recv()
            if type(echo) is not type(message):
                return f"message {i}: sent {type(message).__name__}, echo is {type(echo).__name__}"
            if echo != message:
                return f"message {i} of {len(message)} units came back altered ({len(echo)} units)"
        # Several in flight at once, so that the server compresses back to back.
        for message in sent:
            await ws.send(message)
        for i, message in enumerate(sent):
            if await ws.recv() != message:
                return f"pipelined message {i} came back altered"
        say(f"compressed: {frames['rsv1']} of {frames['data']}")
        await ws.close(1000, "done")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    options = parser.parse_args()
    try:
        error = asyncio.run(asyncio.wait_for(run(options.url), options.timeout))
    except asyncio.TimeoutError:
        error = f"no result within {options.timeout} s"
    except Exception as ex:  # reported, not raised: the test reads stdout
        error = f"{type(ex).__name__}: {ex}"
    if error:
        say(f"FAIL: {error}")
        return 1
    say("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
