"""Errors that say who broke which rule, and the reasons a session, a socket or an ack ends.

Two families, as in h11: a :class:`RemoteProtocolError` is the peer's fault and is turned by the
core into a reply (an HTTP error body, or a closed session with a documented reason); a
:class:`LocalProtocolError` is a misuse by the application and is raised to the caller. Neither
ever takes a server down.
"""

from __future__ import annotations

import enum


class EngineErrorCode(enum.IntEnum):
    """The error codes of the Engine.IO HTTP error body, as the Node server numbers them."""

    UNKNOWN_TRANSPORT = 0
    UNKNOWN_SID = 1
    BAD_HANDSHAKE_METHOD = 2
    BAD_REQUEST = 3
    FORBIDDEN = 4
    UNSUPPORTED_PROTOCOL_VERSION = 5

    @property
    def message(self) -> str:
        """The default human-readable message the Node server sends with this code."""
        return _ENGINE_ERROR_MESSAGES[self]

    @property
    def http_status(self) -> int:
        """403 for a refusal, 400 for everything else, as in Node."""
        return 403 if self is EngineErrorCode.FORBIDDEN else 400


_ENGINE_ERROR_MESSAGES = {
    EngineErrorCode.UNKNOWN_TRANSPORT: "Transport unknown",
    EngineErrorCode.UNKNOWN_SID: "Session ID unknown",
    EngineErrorCode.BAD_HANDSHAKE_METHOD: "Bad handshake method",
    EngineErrorCode.BAD_REQUEST: "Bad request",
    EngineErrorCode.FORBIDDEN: "Forbidden",
    EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}


class DisconnectReason(str, enum.Enum):
    """Why a session or a socket ended; the values are the Node server's strings, verbatim."""

    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"
    PING_TIMEOUT = "ping timeout"
    PARSE_ERROR = "parse error"
    FORCED_CLOSE = "forced close"
    FORCED_SERVER_CLOSE = "forced server close"
    SERVER_SHUTTING_DOWN = "server shutting down"
    SERVER_NAMESPACE_DISCONNECT = "server namespace disconnect"
    CLIENT_NAMESPACE_DISCONNECT = "client namespace disconnect"

    def __str__(self) -> str:
        return self.value


class AckAbandonReason(str, enum.Enum):
    """Why an awaited acknowledgement ends without an answer (``AckAbandoned.reason``).

    A ``str`` enum, so that ``reason == "timeout"`` holds as well as ``reason is TIMEOUT``.
    """

    TIMEOUT = "timeout"
    DISCONNECTED = "disconnected"

    def __str__(self) -> str:
        return self.value


class ProtocolError(Exception):
    """Base of every protocol error; never raised itself: a subclass names the culprit."""

    def __init__(self, message: str) -> None:
        if type(self) is ProtocolError:
            raise TypeError("raise LocalProtocolError or RemoteProtocolError, not ProtocolError")
        super().__init__(message)
        self.message = message


class LocalProtocolError(ProtocolError):
    """The application asked for something the protocol forbids (it is raised to the caller)."""


class EncodeError(LocalProtocolError, TypeError):
    """A value the application sends cannot be encoded (a ``TypeError`` too, as ``json``'s).

    The message names the argument and the type, such as ``cannot encode argument 2 of event
    'chat': a value of type Decimal``, so the caller learns it at the call that sent it.
    """


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol forbids.

    :param reason: how the session ends because of it, when it ends the session.
    """

    def __init__(
        self, message: str, *, reason: DisconnectReason = DisconnectReason.PARSE_ERROR
    ) -> None:
        super().__init__(message)
        self.reason = reason


class RequestRefused(RemoteProtocolError):
    """A request answered with an Engine.IO error body; the session, if any, lives on."""

    def __init__(self, code: EngineErrorCode, message: str | None = None) -> None:
        super().__init__(message or code.message, reason=DisconnectReason.TRANSPORT_ERROR)
        self.code = code
