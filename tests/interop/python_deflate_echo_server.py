#!/usr/bin/python3
"""A WebSocket echo server on 127.0.0.1 with permessage-deflate on, built on
Python's `websockets` (Debian's python3-websockets 10.4, whose default
compression="deflate" is kept): the peer of faye's client in
tests/integration/deflate_interop_test.cpp.

    python_deflate_echo_server.py --port 0

Prints `listening on PORT` (flushed) once it accepts connections. Every
message comes back as it came (text as text, binary as binary), except these
text commands:

    extensions?   -> the Sec-WebSocket-Extensions the server answered, or ""
    compressed?   -> how many frames from the client had RSV1 set (compressed)

For every connection it prints `extensions: VALUE` once open, and
`closed CODE REASON` when it ends.
"""

import argparse
import asyncio
import sys

import websockets


def say(line):
    print(line, flush=True)


def count_compressed(websocket, counter):
    """Wraps the connection's permessage-deflate decoder to count the client's
    frames that arrive with RSV1 (compressed)."""
    for extension in websocket.extensions:
        original = extension.decode

        def decode(frame, *, max_size=None, original=original):
            if frame.rsv1:
                counter[0] += 1
            return original(frame, max_size=max_size)
        try:
            extension.decode = decode
        except AttributeError:
            pass


async def handler(websocket):
    agreed = websocket.response_headers.get("Sec-WebSocket-Extensions", "")
    say(f"extensions: {agreed}")
    compressed = [0]
    count_compressed(websocket, compressed)
    try:
        async for message in websocket:
            if message == "extensions?":
                await websocket.send(agreed)
            elif message == "compressed?":
                await websocket.send(str(compressed[0]))
            else:
                await websocket.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass
    say(f"closed {websocket.close_code} {websocket.close_reason or ''}".rstrip(" "))


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    async with websockets.serve(
        handler,
        "127.0.0.1",
        options.port,
        compression="deflate",
        max_size=16 * 1024 * 1024,
        ping_interval=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        say(f"listening on {port}")
        await asyncio.Future()  # until killed


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
