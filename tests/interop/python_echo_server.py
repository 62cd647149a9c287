#!/usr/bin/python3
"""A WebSocket echo server on 127.0.0.1, built on Python's `websockets`
(Debian's python3-websockets), the peer that faye's client tests talk to.

    python_echo_server.py --port 0 [--subprotocol chat ...]

Prints `listening on PORT` (flushed) once it accepts connections. Every
message comes back as it came (text as text, binary as binary), except these
text commands:

    headers?            -> the request's header fields, one `Name: value` a line
    subprotocol?        -> the subprotocol agreed, or an empty message
    close CODE REASON   -> the server closes with that code and reason

When a connection ends it prints `closed CODE REASON` (what the client's
close frame said; 1006 when there was none) and flushes.
"""

import argparse
import asyncio
import sys

import websockets


def say(line):
    print(line, flush=True)


async def handler(websocket):
    try:
        async for message in websocket:
            if message == "headers?":
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
    options = parser.parse_args()
    async with websockets.serve(
        handler,
        "127.0.0.1",
        options.port,
        subprotocols=options.subprotocol or None,
        compression=None,
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
