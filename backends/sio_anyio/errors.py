"""Exceptions of the user-facing API: raised by the application, or to it."""

from __future__ import annotations

from typing import Any


class ConnectionRejected(Exception):
    """Raise it in a namespace middleware to refuse a connection.

    The client receives ``connect_error`` with ``message`` and, when given, ``data``; any other
    exception from a middleware refuses the connection too, with its text as the message.
    """

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class AckError(Exception):
    """An acknowledgement that will never come."""


class AckTimeoutError(AckError):
    """The timeout passed before every answer came; ``responses`` holds those that did."""

    def __init__(self, responses: list[Any] | None = None) -> None:
        super().__init__("operation has timed out")
        self.responses = responses or []


class ClusterTimeoutError(Exception):
    """Some servers of the cluster did not answer a ``fetch_sockets`` before its deadline.

    As Node's "timeout reached" error: the answers that came are not returned, since a partial
    list of sockets looks like a complete one.
    """

    def __init__(
        self, message: str = "timeout reached while waiting for fetchSockets response"
    ) -> None:
        super().__init__(message)


class SocketGoneError(AckError):
    """The socket disconnected before it answered."""

    def __init__(self) -> None:
        super().__init__("the socket disconnected before answering")
