"""permessage-deflate (RFC 7692) for the conformance scripts: the
negotiation in both roles, as Autobahn|Testsuite does it, and the codec.

Client role (fuzzing_client.py): `offer_header` writes the offers, and
`parse_response` checks the server's answer against them. Server role
(fuzzing_server.py): `parse_offers` reads the client's offers and rejects
malformed ones, as Autobahn's PerMessageDeflateOffer.parse does, and `accept`
answers them like Autobahn's accept functions of cases 12.x / 13.x.

The codec uses zlib: raw deflate, Z_SYNC_FLUSH, the trailing 00 00 FF FF
removed before sending and appended again before inflating.
"""

import zlib

NAME = "permessage-deflate"
TAIL = b"\x00\x00\xff\xff"
WINDOW_BITS = range(8, 16)      # RFC 7692 7.1.2: 8 to 15


def split_extensions(header):
    """Sec-WebSocket-Extensions -> [(name, [(param, value or None)])]."""
    out = []
    for element in header.split(","):
        parts = [p.strip() for p in element.split(";")]
        if not parts[0]:
            continue
        params = []
        for part in parts[1:]:
            name, eq, value = part.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            params.append((name.strip().lower(), value if eq else None))
        out.append((parts[0].lower(), params))
    return out


def offer_header(offers):
    """Sec-WebSocket-Extensions value for a list of offers, each a list of
    (parameter, value or None)."""
    return ", ".join("; ".join([NAME] + [k if v is None else "%s=%s" % (k, v) for k, v in offer])
                     for offer in offers)


def _check_params(params, bits_value_optional):
    """{name: value} for well-formed parameters, else raises ValueError."""
    seen = {}
    for name, value in params:
        if name in seen:
            raise ValueError("parameter %s given twice" % name)
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                raise ValueError("%s takes no value" % name)
        elif name in ("server_max_window_bits", "client_max_window_bits"):
            if value is None and bits_value_optional and name == "client_max_window_bits":
                pass
            elif value is None or not value.isdigit() or int(value) not in WINDOW_BITS:
                raise ValueError("%s needs a value from 8 to 15, got %r" % (name, value))
            else:
                value = int(value)
        else:
            raise ValueError("unknown parameter %r" % name)
        seen[name] = value
    return seen


# ---- client role -------------------------------------------------------------

def parse_response(header, offers):
    """(params, None) when `header` is a valid answer to one of `offers`
    (RFC 7692 7.1), else (None, why)."""
    elements = split_extensions(header)
    if len(elements) != 1:
        return None, "%d extensions in the response" % len(elements)
    name, plist = elements[0]
    if name != NAME:
        return None, "extension %r was not offered" % name
    try:
        params = _check_params(plist, bits_value_optional=False)
    except ValueError as e:
        return None, str(e)
    why = "it matches no offer"
    for offer in offers:
        o = dict(offer)
        if "client_max_window_bits" in params and "client_max_window_bits" not in o:
            why = "client_max_window_bits in the response, but not offered"
            continue
        if "server_no_context_takeover" in o and "server_no_context_takeover" not in params:
            why = "server_no_context_takeover was requested but not acknowledged"
            continue
        if o.get("server_max_window_bits") is not None and (
                params.get("server_max_window_bits", 99) > int(o["server_max_window_bits"])):
            why = "server_max_window_bits=%s was requested, the response says %s" % (
                o["server_max_window_bits"], params.get("server_max_window_bits", "nothing"))
            continue
        return params, None
    return None, why


def client_codec(params):
    return Deflate(own_bits=params.get("client_max_window_bits") or 15,
                   own_nct="client_no_context_takeover" in params,
                   peer_bits=params.get("server_max_window_bits") or 15,
                   peer_nct="server_no_context_takeover" in params)


# ---- server role -------------------------------------------------------------

class Offer:
    """One client offer, in the terms of Autobahn's PerMessageDeflateOffer."""

    def __init__(self, params):
        p = _check_params(params, bits_value_optional=True)
        # RFC 7692 7.1.1.2: a server may ask for client_no_context_takeover
        # whether or not it was offered (Autobahn: accept_no_context_takeover).
        self.accept_nct = True
        # 7.1.2.2: client_max_window_bits may be answered only when offered.
        self.accept_bits = "client_max_window_bits" in p
        self.request_nct = "server_no_context_takeover" in p
        self.request_bits = p.get("server_max_window_bits") or 0


def parse_offers(header):
    """The permessage-deflate offers in a request's Sec-WebSocket-Extensions,
    in order; raises ValueError for a malformed one (the handshake fails)."""
    offers = []
    for name, params in split_extensions(header or ""):
        if name == NAME:
            try:
                offers.append(Offer(params))
            except ValueError as e:
                raise ValueError("invalid permessage-deflate offer: %s" % e)
    return offers


def accept(offers, accepts):
    """Autobahn's server accept functions: `accepts` lists (request client no
    context takeover, request client max window bits or 0) in order of
    preference; each takes the first offer that allows it. Returns (response
    header, codec) or (None, None) to decline."""
    for nct, bits in accepts:
        for offer in offers:
            if (nct and not offer.accept_nct) or (bits and not offer.accept_bits):
                continue
            response = [NAME]
            if offer.request_nct:
                response.append("server_no_context_takeover")
            if offer.request_bits:
                response.append("server_max_window_bits=%d" % offer.request_bits)
            if nct:
                response.append("client_no_context_takeover")
            if bits:
                response.append("client_max_window_bits=%d" % bits)
            return "; ".join(response), Deflate(own_bits=offer.request_bits or 15,
                                                own_nct=offer.request_nct,
                                                peer_bits=bits or 15, peer_nct=nct)
    return None, None


# ---- codec ----------------------------------------------------------------------

class Deflate:
    """One endpoint's state for the agreed parameters: `own_*` for what it
    sends, `peer_*` for what it receives."""

    def __init__(self, own_bits, own_nct, peer_bits, peer_nct):
        self.own_bits, self.own_nct = own_bits, own_nct
        self.peer_bits, self.peer_nct = peer_bits, peer_nct
        self.comp = None
        self.decomp = None

    def describe(self):
        return "window %d bits%s" % (self.peer_bits, ", no context takeover" if self.peer_nct else "")

    def compress(self, data):
        if self.comp is None or self.own_nct:
            # zlib has no raw 8-bit window; 9 keeps distances within 250 bytes.
            self.comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED,
                                         -max(9, self.own_bits))
        out = self.comp.compress(data) + self.comp.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(TAIL) else out

    def decompress(self, data):
        # A fresh inflater per message when the peer agreed to no context
        # takeover, and a window of the agreed size: a peer that breaks either
        # promise makes inflating fail ("invalid distance too far back").
        if self.decomp is None or self.peer_nct:
            self.decomp = zlib.decompressobj(-self.peer_bits)
        out = self.decomp.decompress(data + TAIL)
        if self.decomp.eof:          # a final block: the next message starts afresh
            self.decomp = None
        return out
