"""The handshake of a Socket.IO socket: what the client sent when it asked to join a namespace."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from sio_core.http import HttpRequest


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Handshake:
    """The fields of Node's ``socket.handshake``, in snake_case.

    :param time: the date of creation, as JavaScript's ``Date.toString()`` writes it.
    :param issued: the date of creation, in milliseconds since the Unix epoch.
    :param xdomain: whether the request carried an ``Origin`` header (a cross-site request).
    """

    headers: dict[str, str]
    query: dict[str, str]
    auth: dict[str, Any]
    time: str
    issued: int
    url: str
    address: str
    xdomain: bool
    secure: bool

    @classmethod
    def from_request(cls, request: HttpRequest, auth: dict[str, Any]) -> Handshake:
        """Build the handshake from the Engine.IO handshake request and the CONNECT payload."""
        return cls(
            headers=dict(request.headers),
            query=request.query(),
            auth=auth,
            time=_js_date_string(request.timestamp),
            issued=int(request.timestamp * 1000),
            url=request.url,
            address=request.client[0] if request.client else "",
            xdomain=request.header("origin") is not None,
            secure=request.secure,
        )


def _js_date_string(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
