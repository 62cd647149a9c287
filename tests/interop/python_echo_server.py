#!/usr/bin/python3
"""A WebSocket echo server on 127.0.0.1, built on Python's `websockets`
(Debian's python3-websockets), the peer that faye's client tests talk to.

    python_echo_server.py --port 0 [--subprotocol chat ...] [--deflate]

Prints `listening on PORT` (flushed) once it accepts connections. Every
message comes back as it came (text as text, binary as binary), except these
text commands:

    headers?            -> the request's header fields, one `Name: value` a line
    subprotocol?        -> the subprotocol agreed, or an empty message
    close CODE REASON   -> the server closes with that code and reason
    extensions?         -> the Sec-WebSocket-Extensions the server answered, or ""
    compressed?         -> how many frames from the client had RSV1 set

With --deflate it agrees to permessage-deflate (websockets' default settings)
and prints `extensions: VALUE` once each connection is open. When a
connection ends it prints `closed CODE REASON` (what the client's close frame
said; 1006 when there was none) and flushes.
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


async def handler(websocket, announce_extensions):
    agreed = websocket.response_headers.get("Sec-WebSocket-Extensions", "")
    if announce_extensions:
        say(f"extensions: {agreed}")
    compressed = [0]
    count_compressed(websocket, compressed)
    try:
        async for message in websocket:
            if message == "extensions?":
                await websocket.send(agreed)
            elif message == "compressed?":
                await websocket.send(str(compressed[0]))
            elif message == "headers?":
                fields = websocket.request_headers.raw_items()
                await websocket.send("".join(f"{name}: {value}\n" for name, value in fields))
            elif message == "subprotocol?":
                await websocket.send(websocket.subprotocol or "")
            elif isinstance(message, str) and message.startswith("close "):
                _, code, *reason = message.split(" ", 2)
                await websocket.close(int(code), reason[0] if reason else "")
            else:
                await websocket.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass
    say(f"closed {websocket.close_code} {websocket.close_reason or ''}".rstrip(" "))


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--subprotocol", action="append", default=[])
    parser.add_argument("--deflate", action="store_true")
    options = parser.parse_args()
    async with websockets.serve(
        lambda websocket: handler(websocket, options.deflate),
        "127.0.0.1",
        options.port,
        subprotocols=options.subprotocol or None,
        compression="deflate" if options.deflate else None,
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
