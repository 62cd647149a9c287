"""Bytes on the wire, shared by the conformance scripts (standard library only).

RFC 6455 frames (header, masking, parsing), the opening handshake's accept
key, and HTTP heads read from a raw socket. Nothing here knows about cases or
verdicts: fuzzing_client.py, fuzzing_server.py and legacy_client.py build on it.
"""

import base64
import hashlib
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"   # RFC 6455 1.3
HEAD_LIMIT = 65536                              # a peer's HTTP head longer than this is refused


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (both ASCII bytes)."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def mask_bytes(data, key):
    """RFC 6455 5.3: XOR with the 4-octet key, a machine word at a time."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def frame_header(opcode, length, fin=True, rsv=0, masked=True):
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    mbit = 0x80 if masked else 0
    if length < 126:
        return bytes([b0, mbit | length])
    if length < 65536:
        return bytes([b0, mbit | 126]) + length.to_bytes(2, "big")
    return bytes([b0, mbit | 127]) + length.to_bytes(8, "big")


def encode_frame(opcode, payload=b"", fin=True, rsv=0, mask_key=None):
    """One frame; masked with `mask_key` (4 octets) when given (RFC 6455 5.1:
    client frames are masked, server frames never)."""
    if mask_key is None:
        return frame_header(opcode, len(payload), fin, rsv, masked=False) + payload
    return frame_header(opcode, len(payload), fin, rsv) + mask_key + mask_bytes(payload, mask_key)


def parse_frame(buf):
    """Takes one complete frame off the front of `buf` (a bytearray) and
    returns (fin, rsv, opcode, masked, payload unmasked), or None while the
    frame is incomplete."""
    if len(buf) < 2:
        return None
    b0, b1 = buf[0], buf[1]
    length = b1 & 0x7F
    pos = 2
    if length == 126:
        if len(buf) < 4:
            return None
        length = int.from_bytes(buf[2:4], "big")
        pos = 4
    elif length == 127:
        if len(buf) < 10:
            return None
        length = int.from_bytes(buf[2:10], "big")
        pos = 10
    masked = bool(b1 & 0x80)
    if masked:
        pos += 4
    if len(buf) < pos + length:
        return None
    payload = bytes(buf[pos:pos + length])
    if masked:
        payload = mask_bytes(payload, bytes(buf[pos - 4:pos]))
    del buf[:pos + length]
    return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, masked, payload


class HeadError(RuntimeError):
    pass


def read_head(sock, timeout=5.0, limit=HEAD_LIMIT):
    """Reads an HTTP head up to its blank line: (first line, headers, rest),
    where headers maps lower-case names to values (repeated headers joined
    with ", ") and rest holds the bytes that followed the head in the same
    reads. Raises HeadError when the peer closes, is too slow or too long."""
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HeadError("no complete HTTP head within %.0f s (got %r)" % (timeout, buf[:80]))
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            raise HeadError("connection closed before the end of the HTTP head (got %r)"
                            % buf[:80])
        buf += chunk
        if len(buf) > limit:
            raise HeadError("HTTP head longer than %d octets" % limit)
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    return lines[0], parse_headers(lines[1:]), rest


def parse_headers(lines):
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            name, value = name.strip().lower(), value.strip()
            headers[name] = (headers[name] + ", " + value) if name in headers else value
    return headers
