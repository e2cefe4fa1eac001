"""The server's half of the WebSocket opening handshake, once the core accepted the upgrade.

RFC 6455 section 4.2.2: the 101 answer carries ``Sec-WebSocket-Accept`` (the client's key,
hashed) and, when the client offers it and the server allows it, permessage-deflate; h11 must
also agree that the request asks to switch protocols.
"""

from __future__ import annotations

import h11
from wsproto.extensions import Extension
from wsproto.handshake import server_extensions_handshake
from wsproto.utilities import generate_accept_token

from sio_anyio._driver import Accepted
from sio_anyio._ws_guards import BoundedDeflate
from sio_core.http import HttpRequest


def handshake_refusal(http: h11.Connection) -> str | None:
    """Why h11 cannot hand this request over to a WebSocket, if it cannot.

    The core has already checked the opening handshake (method, key, version, ``Connection``);
    what is left is h11's own precondition, which also needs an ``Upgrade`` header.
    """
    # h11 exports MIGHT_SWITCH_PROTOCOL from its package but leaves it out of __all__.
    if http.their_state is not h11.MIGHT_SWITCH_PROTOCOL:  # type: ignore[attr-defined]
        return "the request does not ask to switch protocols (Connection: Upgrade)"
    return None


def negotiate_extensions(
    request: HttpRequest, deflate: BoundedDeflate
) -> tuple[list[Extension], list[tuple[str, str]]]:
    """permessage-deflate when the client offers it; nothing when the offer is unreadable."""
    offers = [
        offer.strip()
        for name, value in request.headers
        if name == "sec-websocket-extensions"
        for offer in value.split(",")
    ]
    try:
        accepted = server_extensions_handshake(offers, [deflate])
    except ValueError:
        return [], []
    if accepted is None:
        return [], []
    return [deflate], [("Sec-WebSocket-Extensions", accepted.decode("ascii"))]


def switch_response(
    request: HttpRequest, accepted: Accepted, extension_headers: list[tuple[str, str]]
) -> h11.InformationalResponse:
    key = (request.header("sec-websocket-key") or "").encode("latin-1")
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", generate_accept_token(key).decode("ascii")),
        *extension_headers,
        *accepted.event.headers,
    ]
    return h11.InformationalResponse(
        status_code=101, headers=headers, reason=b"Switching Protocols"
    )
