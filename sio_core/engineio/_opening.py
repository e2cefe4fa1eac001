"""The WebSocket opening handshake an upgrade request must be (RFC 6455 section 4.2.1), checked
as Node's ``ws`` package checks it once Engine.IO's own checks passed, with its messages."""

from __future__ import annotations

import base64
import binascii

from sio_core.errors import EngineErrorCode, RequestRefused
from sio_core.http import HttpRequest


def check_websocket_handshake(request: HttpRequest) -> None:
    """Refuse an upgrade request that is not a valid WebSocket opening handshake (RFC 6455)."""
    problem = _websocket_handshake_problem(request)
    if problem is not None:
        raise RequestRefused(EngineErrorCode.BAD_REQUEST, problem)


def _websocket_handshake_problem(request: HttpRequest) -> str | None:
    if request.method != "GET":
        return "Invalid HTTP method"
    tokens = (request.header("connection") or "").lower().split(",")
    if "upgrade" not in {token.strip() for token in tokens}:
        return "Missing or invalid Connection header"
    if not _is_websocket_key(request.header("sec-websocket-key")):
        return "Missing or invalid Sec-WebSocket-Key header"
    if request.header("sec-websocket-version") != "13":
        return "Missing or invalid Sec-WebSocket-Version header"
    return None


def _is_websocket_key(key: str | None) -> bool:
    """A nonce of 16 bytes in base64, as the RFC asks (so, 24 characters)."""
    if key is None:
        return False
    try:
        return len(base64.b64decode(key.strip(), validate=True)) == 16
    except (binascii.Error, ValueError):
        return False
