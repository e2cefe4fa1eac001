"""The Engine.IO v4 server: handshakes, routing of requests and WebSocket messages to sessions.

Each HTTP request goes through a short pipeline of checks, in the order the Node server makes
them (transport, then sid or handshake method, ``allow_request``, protocol version), and every
refusal is a :class:`~sio_core.errors.RequestRefused` turned into the Engine.IO JSON error body
at one place, :meth:`EngineServer.receive_request`.

A WebSocket upgrade request must also be a valid opening handshake (RFC 6455 section 4.2.1):
``GET``, ``Connection`` listing ``upgrade``, a ``Sec-WebSocket-Key`` that is 16 bytes in base64,
and ``Sec-WebSocket-Version: 13``. One that is not is answered 400 before anything else happens:
no session is opened, no WebSocket accepted. In Node the ``ws`` package makes these checks, once
Engine.IO's own passed, and answers 400 with the messages used here.
"""

from __future__ import annotations

import json

from sio_core._deadlines import Deadlines
from sio_core.config import EngineConfig
from sio_core.engineio import _answers as answers
from sio_core.engineio._events import (
    Event,
    HttpResponseReady,
    SessionOpened,
    WebSocketAccepted,
    WebSocketCloseRequested,
)
from sio_core.engineio._opening import check_websocket_handshake
from sio_core.engineio._packets import (
    SEPARATOR,
    Packet,
    PacketType,
    encode_packet,
    encode_payload,
    packet_size,
)
from sio_core.engineio._session import Session
from sio_core.engineio._session_context import SessionContext, SessionState, Timer, Transport
from sio_core.engineio._traffic import TrafficCounter
from sio_core.errors import (
    DisconnectReason,
    EngineErrorCode,
    LocalProtocolError,
    RemoteProtocolError,
    RequestRefused,
)
from sio_core.http import HttpRequest, HttpResponse
from sio_core.ids import IdGenerator
from sio_core.stats import ServerStats, Traffic

_MESSAGE = PacketType.MESSAGE  # read for every message sent: an enum's member is slow to read

BACKLOG_PER_SESSION = 16
"""Packets per session that make the queued output worth a write to each (see
:attr:`EngineServer.backlogged`): a broadcast to 1,000 sockets in a loop leaves every 16th time."""


class EngineServer:
    """A sans-IO Engine.IO server, driven as :class:`sio_core.surface.TransportCore` says."""

    def __init__(self, config: EngineConfig | None = None, *, id_generator: IdGenerator) -> None:
        self.config = config or EngineConfig()
        self._new_id = id_generator
        self._events: list[Event] = []
        self._last_message: Packet | None = None
        self._last_size = 0  # its packet_size
        self._sessions: dict[str, Session] = {}
        self._dirty: dict[str, Session] = {}
        self._unflushed = 0  # packets queued since the last flush, about: see ``backlogged``
        self._deadlines: Deadlines[tuple[str, Timer]] = Deadlines()
        self._ctx = SessionContext(
            config=self.config,
            emit=self._events.append,
            deadlines=self._deadlines,
            mark_dirty=self._mark_dirty,
            forget=self._forget,
        )

    # -- the TransportCore surface -------------------------------------------------------

    @property
    def max_http_buffer_size(self) -> int:
        """The most bytes one POST body or one WebSocket message may hold."""
        return self.config.max_http_buffer_size

    def owns(self, request: HttpRequest) -> bool:
        """Whether the request is under this server's path (a prefix match, as in Node)."""
        return request.path.startswith(self.config.path)

    def receive_request(self, request_id: int, request: HttpRequest, now: float) -> None:
        """Route one complete HTTP request; its answer comes out of :meth:`events`."""
        self._tick(now)
        cors = answers.cors_headers(self.config.cors, request)
        try:
            self._route(request_id, request, cors)
        except RequestRefused as refusal:
            response = answers.error_response(refusal.code, refusal.message, cors)
            self._events.append(HttpResponseReady(request_id=request_id, response=response))

    def request_aborted(self, request_id: int, now: float) -> None:
        """The client went away before its request was answered."""
        self._tick(now)
        session = self._ctx.held_gets.get(request_id)
        if session is not None:
            session.abort_held_get()

    def receive_ws_message(self, ws_id: int, message: str | bytes, now: float) -> None:
        """One WebSocket message, for a session's transport or for its upgrade probe."""
        self._tick(now)
        session = self._ctx.websockets.get(ws_id)
        if session is not None:
            session.receive_ws_message(ws_id, message)

    def direct_message_sid(self, ws_id: int, message: str | bytes, now: float) -> str | None:
        """The session whose data ``message[1:]`` is, when the layer above may take it as it
        stands instead of calling :meth:`receive_ws_message`; None when it may not.

        It may when ``message`` is a text MESSAGE on the session's own WebSocket (not an upgrade
        probe) that would do nothing but make a :class:`MessageReceived`: no one watches or
        counts the session's packets, and no output or event waits here to come out first. The
        Socket.IO server reads most events so, one object and one :meth:`events` round fewer.
        """
        self._tick(now)
        if not (isinstance(message, str) and message.startswith("4")):
            return None
        if self._events or self._dirty or self._ctx.traffic is not None:
            return None
        session = self._ctx.websockets.get(ws_id)
        if session is None or session.ws_id != ws_id or session.watched:
            return None
        return session.sid

    def ws_message_too_large(self, ws_id: int, now: float) -> None:
        """A WebSocket message went past the limit: that WebSocket is closed with 1009."""
        self._tick(now)
        session = self._ctx.websockets.get(ws_id)
        if session is not None:
            session.ws_too_large(ws_id)

    def ws_closed(self, ws_id: int, now: float, *, error: bool = False) -> None:
        """A WebSocket went away: ``transport close``, or ``transport error`` when it broke."""
        self._tick(now)
        session = self._ctx.websockets.get(ws_id)
        if session is not None:
            session.ws_closed(ws_id, error=error)

    def ws_unwritten(self, ws_id: int, size: int, now: float) -> None:
        """``size`` (see ``WebSocketDataReady.size``) of what WebSocket ``ws_id`` was handed is
        not written yet; 0 once it all is. A session may pause for its output, or resume."""
        self._tick(now)
        session = self._ctx.websockets.get(ws_id)
        if session is not None:
            session.ws_unwritten(ws_id, size)

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timeout` must next be called."""
        return self._deadlines.next()

    def handle_timeout(self, now: float) -> None:
        """Fire every deadline due at ``now``: pings, ping timeouts, upgrade and close timeouts."""
        self._tick(now)
        for sid, timer in list(self._deadlines.pop_due(now)):
            session = self._sessions.get(sid)
            if session is not None:
                session.timer_fired(timer)

    @property
    def backlogged(self) -> bool:
        """Whether the output queued since :meth:`events` was last called is worth handing over
        now: :data:`BACKLOG_PER_SESSION` packets or more, on average, for each session with some.

        Output is handed over by :meth:`events`. A backend making many commands in a row (a
        handler that emits in a loop) asks this after each, and calls :meth:`events` when it
        says so: the output then leaves while the work goes on, in writes of several packets
        each, instead of all at its end, while the client waits.
        """
        return self._unflushed >= BACKLOG_PER_SESSION * len(self._dirty) > 0

    def events(self) -> list[Event]:
        """What happened since the last call; pending output is flushed into it first."""
        if self._dirty:
            self._flush_dirty()
        if not self._events:
            return []  # asked after every input, usually with nothing new: the cheap answer
        events, self._events[:] = self._events[:], []
        return events

    # -- commands from the application ---------------------------------------------------

    def send(self, sid: str, data: str | bytes) -> bool:
        """Queue a message for session ``sid``; False when the session is gone or closing.

        Text may not hold the record separator ``\\x1e``: long-polling could not frame it.
        """
        packet = self._message(data)
        session = self._sessions.get(sid)
        return session is not None and session.queue(packet, self._last_size)

    def _message(self, data: str | bytes) -> Packet:
        """The MESSAGE packet of ``data``, checked (and its size counted) once for all the
        sessions a broadcast sends it to: they are sent the same object one after the other."""
        last = self._last_message
        if last is not None and last.data is data:
            return last
        if isinstance(data, str) and SEPARATOR in data:
            raise LocalProtocolError("a text message cannot contain the record separator \\x1e")
        packet = self._last_message = Packet(_MESSAGE, data)
        self._last_size = packet_size(packet)
        return packet

    def close(self, sid: str) -> None:
        """Close session ``sid`` from the server side (``forced close``); its output is sent first.

        The close is timed at the latest ``now`` the server was given.
        """
        session = self._sessions.get(sid)
        if session is not None:
            session.close(DisconnectReason.FORCED_CLOSE, "closed by the server")

    def close_all(self) -> None:
        """Shut down: close every session (``forced close``, as Node's ``engine.close()``); each
        sends its output first."""
        for session in list(self._sessions.values()):
            session.close(DisconnectReason.FORCED_CLOSE, "server shutting down")

    def writable(self, sid: str) -> bool:
        """Whether the transport can take a message now (a volatile message is dropped if not).

        A WebSocket always can; long-polling only while a GET is held.
        """
        session = self._sessions.get(sid)
        return session is not None and session.writable

    def watch_packets(self, sid: str, on: bool = True) -> bool:
        """Report session ``sid``'s packet events (Node's ``packet``, ``packetCreate``, ``drain``).

        Off by default, so that nobody pays for them unasked. False when the session is gone.
        """
        session = self._sessions.get(sid)
        if session is None:
            return False
        session.watched = on
        return True

    def count_traffic(self) -> None:
        """Count packets, bytes and sessions from now on (see :meth:`traffic`); idempotent.

        Off by default, so that a server nobody watches pays nothing but a test per packet.
        """
        if self._ctx.traffic is None:
            self._ctx.traffic = TrafficCounter()

    def traffic(self) -> Traffic | None:
        """What the server carried since :meth:`count_traffic`; None if it does not count."""
        return self._ctx.traffic.snapshot() if self._ctx.traffic is not None else None

    def buffered_bytes(self, sid: str) -> int | None:
        """Bytes queued for session ``sid`` and not yet written, or None when it is gone."""
        session = self._sessions.get(sid)
        return session.buffered if session is not None else None

    def transport_of(self, sid: str) -> str | None:
        """The name of the transport session ``sid`` runs on, or None when it is gone."""
        session = self._sessions.get(sid)
        return session.transport.value if session is not None else None

    @property
    def sids(self) -> list[str]:
        """The sids of the open sessions."""
        return [sid for sid, s in self._sessions.items() if s.state is not SessionState.CLOSING]

    def stats(self) -> ServerStats:
        """The sizes of the server's tables: sessions, WebSockets, held GETs, timers."""
        return ServerStats(
            sessions=len(self._sessions),
            websockets=len(self._ctx.websockets),
            held_requests=len(self._ctx.held_gets),
            engine_timers=len(self._deadlines),
        )

    # -- routing --------------------------------------------------------------------------

    def _route(self, request_id: int, request: HttpRequest, cors: answers.Headers) -> None:
        if answers.is_preflight(self.config.cors, request):
            self._answer(request_id, answers.status_response(204, cors))
            return
        query = request.query()
        transport = query.get("transport", "")
        if transport not in self.config.transports:
            raise RequestRefused(EngineErrorCode.UNKNOWN_TRANSPORT)
        sid = query.get("sid")
        if sid is None:
            self._handshake(request_id, request, Transport(transport), query.get("EIO"), cors)
        elif request.wants_websocket:
            session = self._session(sid)
            self._websocket_for_session(request_id, request, session, Transport(transport))
        else:
            self._polling(request_id, request, self._session(sid), Transport(transport), cors)

    def _session(self, sid: str) -> Session:
        session = self._sessions.get(sid)
        if session is None:
            raise RequestRefused(EngineErrorCode.UNKNOWN_SID)
        return session

    def _handshake(
        self,
        request_id: int,
        request: HttpRequest,
        transport: Transport,
        protocol: str | None,
        cors: answers.Headers,
    ) -> None:
        if request.method != "GET":
            raise RequestRefused(EngineErrorCode.BAD_HANDSHAKE_METHOD)
        self._check_allowed(request)
        if protocol != "4":
            raise RequestRefused(EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION)
        if request.wants_websocket != (transport is Transport.WEBSOCKET):
            raise RequestRefused(EngineErrorCode.BAD_REQUEST)
        if transport is Transport.WEBSOCKET:
            check_websocket_handshake(request)
        session = Session(self._new_id(), transport, request, self._ctx)
        self._sessions[session.sid] = session
        cookie = answers.cookie_header(self.config.cookie, session.sid)
        opening = _open_packet(session.sid, transport, self.config)
        if transport is Transport.WEBSOCKET:
            session.attach_websocket(request_id)
            self._events.append(WebSocketAccepted(request_id=request_id, headers=cookie))
            session.write_websocket(request_id, (encode_packet(opening),))
        else:
            response = answers.payload_response(encode_payload([opening]), cors + cookie)
            self._answer(request_id, response)
        if self._ctx.traffic is not None:
            self._ctx.traffic.opened()
        self._events.append(
            SessionOpened(sid=session.sid, transport=transport.value, request=request)
        )

    def _check_allowed(self, request: HttpRequest) -> None:
        allow = self.config.allow_request
        if allow is None:
            return
        verdict = allow(request)
        if verdict is not True:
            message = verdict if isinstance(verdict, str) else None
            raise RequestRefused(EngineErrorCode.FORBIDDEN, message)

    def _websocket_for_session(
        self, request_id: int, request: HttpRequest, session: Session, asked: Transport
    ) -> None:
        """A WebSocket with a known sid: an upgrade probe, or one to accept and close at once.

        Node accepts a WebSocket for a session that already runs on (or is moving to) WebSocket,
        and closes it straight away; so do we.
        """
        check_websocket_handshake(request)
        self._events.append(WebSocketAccepted(request_id=request_id))
        upgradable = (
            asked is Transport.WEBSOCKET
            and session.transport is Transport.POLLING
            and session.state is SessionState.OPEN
            and self.config.allow_upgrades
        )
        if upgradable:
            session.start_upgrade(request_id)
        else:
            self._events.append(WebSocketCloseRequested(ws_id=request_id))

    def _polling(
        self,
        request_id: int,
        request: HttpRequest,
        session: Session,
        asked: Transport,
        cors: answers.Headers,
    ) -> None:
        if asked is not Transport.POLLING or session.transport is not Transport.POLLING:
            raise RequestRefused(EngineErrorCode.BAD_REQUEST)
        if request.method == "GET":
            encoding = answers.choose_encoding(request, self.config.http_compression)
            session.receive_poll(answers.HeldGet(request_id, cors, encoding))
        elif request.method == "POST":
            self._answer(request_id, self._post(request, session, cors))
        else:
            raise RequestRefused(EngineErrorCode.BAD_REQUEST)

    def _post(self, request: HttpRequest, session: Session, cors: answers.Headers) -> HttpResponse:
        if request.body_too_large:
            session.close(DisconnectReason.TRANSPORT_ERROR, "payload too large")
            return answers.status_response(413, cors)
        if request.header("content-type") == "application/octet-stream":
            session.close(DisconnectReason.TRANSPORT_ERROR, "binary payload with EIO=4")
            return answers.bad_request(cors)
        try:
            session.receive_post(request.body)
        except RemoteProtocolError as error:
            session.close(DisconnectReason.PARSE_ERROR, error.message)
            return answers.bad_request(cors)
        return answers.ok_response(cors)

    # -- bookkeeping ----------------------------------------------------------------------

    def _answer(self, request_id: int, response: HttpResponse) -> None:
        self._events.append(HttpResponseReady(request_id=request_id, response=response))

    def _tick(self, now: float) -> None:
        self._ctx.now = max(self._ctx.now, now)

    def _mark_dirty(self, session: Session) -> None:
        self._dirty[session.sid] = session
        self._unflushed += 1

    def _forget(self, session: Session) -> None:
        self._sessions.pop(session.sid, None)
        self._dirty.pop(session.sid, None)

    def _flush_dirty(self) -> None:
        self._unflushed = 0
        while self._dirty:
            dirty, self._dirty = self._dirty, {}
            for session in dirty.values():
                session.flush()


def _open_packet(sid: str, transport: Transport, config: EngineConfig) -> Packet:
    """The ``open`` packet announcing the sid, the upgrades and the heartbeat settings."""
    can_upgrade = transport is Transport.POLLING and config.allow_upgrades
    handshake = {
        "sid": sid,
        "upgrades": ["websocket"] if can_upgrade and "websocket" in config.transports else [],
        "pingInterval": round(config.ping_interval * 1000),
        "pingTimeout": round(config.ping_timeout * 1000),
        "maxPayload": config.max_http_buffer_size,
    }
    return Packet(PacketType.OPEN, json.dumps(handshake, separators=(",", ":")))
