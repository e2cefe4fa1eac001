"""One Engine.IO session: its transport, its upgrade, its heartbeat and its outbox.

Theory of operation (engine.io-protocol v4, and the Node server where the spec is silent):

* **Outbox.** Packets the server sends wait in ``outbox``. They leave when the server drains its
  events: as one WebSocket message each, or as one polling payload answering the held GET. So a
  burst of sends becomes one HTTP answer, and nothing is encoded twice.
* **Polling.** At most one GET is held at a time; a second one is a client error that ends the
  session (``transport error``). A held GET is answered as soon as there is something to send.
* **Upgrade.** A WebSocket opened with the sid is a *probe*. On ``2probe`` the server answers
  ``3probe`` on it and releases the held GET with a ``noop`` so that the client can pause polling;
  on ``5`` (upgrade) the WebSocket becomes the transport and the outbox moves to it. Anything
  else on the probe, or no upgrade within ``upgrade_timeout``, closes the probe; the session
  carries on over polling.
* **Forced close during an upgrade.** Once the client has its ``3probe`` it stops polling and
  sends ``5``, so a close forced by the server in that window keeps the probe (as Node does):
  if the ``5`` comes, the outbox leaves over the WebSocket, then it closes; if a GET comes
  first, it collects the outbox as usual. Closing the probe instead would strand the outbox on
  a transport the client no longer polls.
* **Heartbeat.** The server sends ``2`` every ``ping_interval``; if no ``3`` follows within
  ``ping_timeout`` the session closes with ``ping timeout``.
* **Close.** Every ending goes through :meth:`Session.close`, which reports
  :class:`~sio_core.events.SessionClosed` exactly once. A close forced by the server delivers the
  outbox first, then a ``close`` packet; on polling the session lingers as ``CLOSING`` until
  GETs have collected the outbox and then, in an answer of its own, the close packet (or until
  ``CLOSE_TIMEOUT`` passes).
* **Output limit.** Bytes queued and not yet written count against ``max_buffered_bytes``
  (:mod:`~sio_core.engineio._budget`): past its high-water mark the backend stops reading the
  WebSocket and volatile packets are dropped; past the limit the session closes, its WebSocket
  cut rather than drained. A long-poll answer carries about ``max_http_buffer_size`` at most.
* **Packet events.** Under ``watched``, Node's ``socket.conn`` traffic is reported: each packet
  in (before it is acted on), each one queued, each hand-over of the outbox. Else: one test.
"""

from __future__ import annotations

from sio_core.engineio import _answers as answers
from sio_core.engineio._budget import OVERFLOW, OutputBudget
from sio_core.engineio._events import (
    HttpResponseReady,
    MessageReceived,
    PacketCreated,
    PacketReceived,
    SessionClosed,
    SessionDrained,
    SessionUpgraded,
    WebSocketCloseRequested,
    WebSocketDataReady,
    WebSocketReadPaused,
    WebSocketReadResumed,
)
from sio_core.engineio._packets import (
    Packet,
    PacketType,
    decode_packet,
    decode_payload,
    encode_packet,
    encode_payload,
    packet_size,
)
from sio_core.engineio._session_context import (
    CLOSE_TIMEOUT,
    OPEN,
    UPGRADING,
    WEBSOCKET,
    SessionContext,
    SessionState,
    Timer,
    Transport,
)
from sio_core.errors import DisconnectReason, RemoteProtocolError
from sio_core.http import HttpRequest

_FORCED = frozenset({DisconnectReason.FORCED_CLOSE, DisconnectReason.SERVER_SHUTTING_DOWN})

_NAMES = {kind: kind.name.lower() for kind in PacketType}
"""Node's names of the packet types (``"ping"``, ``"message"``...), as packet events carry them."""


class Session:
    """The server side of one Engine.IO session."""

    def __init__(
        self, sid: str, transport: Transport, request: HttpRequest, ctx: SessionContext
    ) -> None:
        self.sid = sid
        self.transport = transport
        self.request = request
        self.state = SessionState.OPEN
        self.ws_id: int | None = None
        self._ctx = ctx
        self._held_get: answers.HeldGet | None = None
        self._probe_ws: int | None = None
        self._probe_received = False
        self._budget = OutputBudget(ctx.config.max_buffered_bytes)
        self.outbox = self._budget.outbox
        self.watched = False
        """Whether packet events are reported (off by default: they cost an object a packet)."""
        self._arm(Timer.PING, ctx.config.ping_interval)

    # -- transports ----------------------------------------------------------------------

    def attach_websocket(self, ws_id: int) -> None:
        """Make WebSocket ``ws_id`` this session's transport (a WebSocket-only session)."""
        self.ws_id = ws_id
        self._ctx.websockets[ws_id] = self

    def write_websocket(self, ws_id: int, messages: tuple[str | bytes, ...]) -> None:
        """Hand messages to one of this session's WebSockets (written, unless the backend says
        otherwise with ``ws_unwritten``)."""
        self._ctx.emit(WebSocketDataReady(ws_id=ws_id, messages=messages))
        self._update_flow()

    @property
    def buffered(self) -> int:
        """Bytes queued for the client and not yet written."""
        return self._budget.buffered

    @property
    def writable(self) -> bool:
        """Whether output queued now leaves at once."""
        state = self.state
        if (state is not OPEN and state is not UPGRADING) or self._budget.paused:
            return False
        if self.transport is WEBSOCKET:
            return self.ws_id is not None
        return self._held_get is not None

    # -- sending --------------------------------------------------------------------------

    def queue(self, packet: Packet, size: int | None = None) -> bool:
        """Queue a packet (``size``: its ``packet_size``, if known); False once the session closes.

        A packet that would take the session past ``max_buffered_bytes`` closes it instead.
        """
        state = self.state
        if state is not OPEN and state is not UPGRADING:
            return False
        size = packet_size(packet) if size is None else size
        if not self._budget.fits(size):
            self.close(DisconnectReason.TRANSPORT_ERROR, OVERFLOW)
            return False
        if self.watched:
            self._ctx.emit(PacketCreated(sid=self.sid, type=_NAMES[packet.type], data=packet.data))
        if self._ctx.traffic is not None:
            self._ctx.traffic.sent(packet.data)
        self.outbox.append(packet, size)
        self._ctx.mark_dirty(self)
        self._update_flow()
        return True

    def flush(self) -> None:
        """Hand the outbox to the transport, if the transport can take it now."""
        if not self.outbox:
            return
        if self.transport is WEBSOCKET and self.ws_id is not None:
            messages = tuple(encode_packet(packet) for packet in self.outbox.take_all())
            self.write_websocket(self.ws_id, messages)
            self._report_drained()
        elif self._held_get is not None:
            self._answer_held_get()

    def ws_unwritten(self, ws_id: int, size: int) -> None:
        """``size`` of what WebSocket ``ws_id`` was handed is not written yet."""
        self._budget.unwritten_now(ws_id, size)
        self._update_flow()

    def _update_flow(self) -> None:
        """Tell the backend to pause or resume reading the WebSocket, when that changed."""
        if self._budget.flow_changed():
            self._announce_flow()

    def _announce_flow(self) -> None:
        if self.ws_id is not None and self.state is not SessionState.CLOSED:
            kind = WebSocketReadPaused if self._budget.paused else WebSocketReadResumed
            self._ctx.emit(kind(ws_id=self.ws_id))

    def _report_drained(self) -> None:
        """Node's ``drain``: only for the outbox, never for a transport's own noop or close."""
        if self.watched:
            self._ctx.emit(SessionDrained(sid=self.sid))

    # -- polling ------------------------------------------------------------------------

    def receive_poll(self, held: answers.HeldGet) -> None:
        """A long-polling GET: answer it now if there is output, else hold it."""
        if self._held_get is not None:
            refusal = answers.bad_request(held.headers)
            self._ctx.emit(HttpResponseReady(request_id=held.request_id, response=refusal))
            self.close(DisconnectReason.TRANSPORT_ERROR, "overlap from client")
            return
        self._held_get = held
        self._ctx.held_gets[held.request_id] = self
        if self.outbox or self.state is SessionState.CLOSING or self._probe_received:
            self._answer_held_get()

    def receive_post(self, body: bytes) -> None:
        """A POST payload: decode it whole first, then act on each packet in order."""
        if self.state is SessionState.CLOSING:
            return
        packets = decode_payload(body)
        for packet in packets:
            if self.state is SessionState.CLOSED:
                return
            self._receive_packet(packet)

    def abort_held_get(self) -> None:
        """The client went away with its GET unanswered (Node: closed prematurely)."""
        self._forget_held_get()
        self.close(DisconnectReason.TRANSPORT_ERROR, "poll connection closed prematurely")

    def _answer_held_get(self, packets: list[Packet] | None = None) -> None:
        assert self._held_get is not None
        drained = packets is None and bool(self.outbox)
        if packets is None:
            packets = self._take_polling_packets()
            drained = drained and not self.outbox  # not while a backlog waits for more GETs
        held = self._forget_held_get()
        response = held.respond(encode_payload(packets), self._ctx.config.compression_threshold)
        self._ctx.emit(HttpResponseReady(request_id=held.request_id, response=response))
        if drained:
            self._report_drained()
        if self.state is SessionState.CLOSING and packets[-1].type is PacketType.CLOSE:
            self._finish_closing()

    def _take_polling_packets(self) -> list[Packet]:
        """The outbox; once it is empty, the close packet of a closing session, or a noop.

        The close packet never shares an answer with other packets: socket.io-client handles
        the Engine.IO close at once but Socket.IO packets a tick later, so a DISCONNECT sent in
        the same payload would be lost (Node, too, closes only once the outbox has drained).
        """
        if self.outbox:
            packets = self.outbox.take_slice(self._ctx.config.max_http_buffer_size)
            self._update_flow()
            return packets
        if self.state is SessionState.CLOSING:
            return [Packet(PacketType.CLOSE)]
        return [Packet(PacketType.NOOP)]

    def _forget_held_get(self) -> answers.HeldGet:
        assert self._held_get is not None
        held, self._held_get = self._held_get, None
        self._ctx.held_gets.pop(held.request_id, None)
        return held

    # -- websocket ----------------------------------------------------------------------

    def start_upgrade(self, ws_id: int) -> None:
        """WebSocket ``ws_id`` opened with this sid: it is a probe until the client upgrades."""
        self.state = SessionState.UPGRADING
        self._probe_ws = ws_id
        self._ctx.websockets[ws_id] = self
        self._arm(Timer.UPGRADE, self._ctx.config.upgrade_timeout)

    def receive_ws_message(self, ws_id: int, message: str | bytes) -> None:
        """A message on this session's WebSocket or on its upgrade probe."""
        if ws_id == self._probe_ws:
            self._receive_probe_message(message)
            return
        try:
            packet = decode_packet(message)
        except RemoteProtocolError as error:
            self.close(DisconnectReason.PARSE_ERROR, error.message)
            return
        self._receive_packet(packet)

    def ws_too_large(self, ws_id: int) -> None:
        """A message past ``max_http_buffer_size``: close that WebSocket with 1009."""
        if ws_id == self._probe_ws:
            self._abort_upgrade(code=1009)
            return
        self._close_websocket(code=1009, reason="Max payload size exceeded")
        self.close(DisconnectReason.TRANSPORT_ERROR, "payload too large")

    def ws_closed(self, ws_id: int, *, error: bool) -> None:
        """The peer (or the network) closed one of this session's WebSockets."""
        self._ctx.websockets.pop(ws_id, None)
        self._budget.forget(ws_id)
        if ws_id == self._probe_ws:
            self._probe_ws = None
            self._abort_upgrade()
            return
        self.ws_id = None
        reason = DisconnectReason.TRANSPORT_ERROR if error else DisconnectReason.TRANSPORT_CLOSE
        self.close(reason, "websocket error" if error else "websocket closed")

    def _receive_probe_message(self, message: str | bytes) -> None:
        try:
            packet: Packet | None = decode_packet(message)
        except RemoteProtocolError:
            packet = None
        if packet == Packet(PacketType.PING, "probe"):
            self._send_probe_pong()
        elif packet is not None and packet.type is PacketType.UPGRADE:
            if self.state is SessionState.CLOSING:
                self._complete_closing_upgrade()
            else:
                self._complete_upgrade()
        else:
            self._abort_upgrade()

    def _send_probe_pong(self) -> None:
        assert self._probe_ws is not None
        pong = encode_packet(Packet(PacketType.PONG, "probe"))
        self.write_websocket(self._probe_ws, (pong,))
        self._probe_received = True
        if self._held_get is not None:
            self._answer_held_get()

    def _complete_upgrade(self) -> None:
        self._ctx.deadlines.cancel((self.sid, Timer.UPGRADE))
        if self._held_get is not None:
            self._answer_held_get([Packet(PacketType.NOOP)])
        self.transport = Transport.WEBSOCKET
        self.ws_id, self._probe_ws = self._probe_ws, None
        self.state = SessionState.OPEN
        self._probe_received = False
        if self._budget.paused:
            self._announce_flow()
        self._ctx.emit(SessionUpgraded(sid=self.sid, transport=self.transport.value))
        self._ctx.mark_dirty(self)

    def _complete_closing_upgrade(self) -> None:
        """The ``5`` of a session the server is closing: its outbox leaves over the WebSocket,
        which then closes (the session was reported closed already)."""
        self._ctx.deadlines.cancel((self.sid, Timer.UPGRADE))
        self._ctx.deadlines.cancel((self.sid, Timer.CLOSE))
        self.transport = Transport.WEBSOCKET
        self.ws_id, self._probe_ws = self._probe_ws, None
        self._probe_received = False
        self.flush()
        self._close_websocket()
        self._set_closed()

    def _abort_upgrade(self, code: int = 1000) -> None:
        self._ctx.deadlines.cancel((self.sid, Timer.UPGRADE))
        if self._probe_ws is not None:
            self._ctx.websockets.pop(self._probe_ws, None)
            self._budget.forget(self._probe_ws)
            self._ctx.emit(WebSocketCloseRequested(ws_id=self._probe_ws, code=code))
            self._probe_ws = None
        self._probe_received = False
        if self.state is SessionState.UPGRADING:
            self.state = SessionState.OPEN

    def _close_websocket(self, code: int = 1000, reason: str = "") -> None:
        if self.ws_id is not None:
            self._ctx.websockets.pop(self.ws_id, None)
            self._budget.forget(self.ws_id)
            close = WebSocketCloseRequested(
                ws_id=self.ws_id, code=code, reason=reason, abort=self._budget.paused
            )
            self._ctx.emit(close)
            self.ws_id = None

    # -- packets from the client --------------------------------------------------------

    def _receive_packet(self, packet: Packet) -> None:
        kind = packet.type
        if self.watched:
            self._ctx.emit(PacketReceived(sid=self.sid, type=_NAMES[kind], data=packet.data))
        if self._ctx.traffic is not None:
            self._ctx.traffic.received(packet.data)
        if kind is PacketType.MESSAGE:
            self._ctx.emit(MessageReceived(sid=self.sid, data=packet.data))
        elif kind is PacketType.PONG:
            self._receive_pong()
        elif kind is PacketType.CLOSE:
            self.close(DisconnectReason.TRANSPORT_CLOSE, "client sent a close packet")
        elif kind is PacketType.PING:
            self.close(DisconnectReason.TRANSPORT_ERROR, "invalid heartbeat direction")
        # open, upgrade and noop from the client on an established transport mean nothing:
        # Node ignores them, and so do we.

    def _receive_pong(self) -> None:
        deadlines = self._ctx.deadlines
        if deadlines.get((self.sid, Timer.PONG)) is None:
            return
        deadlines.cancel((self.sid, Timer.PONG))
        self._arm(Timer.PING, self._ctx.config.ping_interval)

    # -- time -----------------------------------------------------------------------------

    def timer_fired(self, timer: Timer) -> None:
        """One of this session's deadlines has come."""
        if timer is Timer.PING:
            if self.queue(Packet(PacketType.PING)):
                self._arm(Timer.PONG, self._ctx.config.ping_timeout)
        elif timer is Timer.PONG:
            self.close(DisconnectReason.PING_TIMEOUT, "no pong within ping_timeout")
        elif timer is Timer.UPGRADE:
            self._abort_upgrade()
        elif timer is Timer.CLOSE:
            self._finish_closing()

    def _arm(self, timer: Timer, delay: float) -> None:
        self._ctx.deadlines.set((self.sid, timer), self._ctx.now + delay)

    # -- closing --------------------------------------------------------------------------

    def close(self, reason: DisconnectReason, description: str = "") -> None:
        """End the session (idempotent) and report it, once, with ``reason``."""
        if self.state in (SessionState.CLOSING, SessionState.CLOSED):
            return
        forced = reason in _FORCED
        for timer in Timer:
            if not (forced and timer is Timer.UPGRADE):
                self._ctx.deadlines.cancel((self.sid, timer))
        if not (forced and self.transport is Transport.POLLING):
            self._abort_upgrade()  # a forced close on polling keeps the probe (see above)
        if self.transport is Transport.POLLING:
            self._close_polling(reason, forced=forced)
        else:
            if forced:
                self.flush()
            self._close_websocket()
            self._set_closed()
        if self._ctx.traffic is not None:
            self._ctx.traffic.closed(reason)
        self._ctx.emit(SessionClosed(sid=self.sid, reason=reason, description=description))

    def _close_polling(self, reason: DisconnectReason, *, forced: bool) -> None:
        if forced:
            self.state = SessionState.CLOSING
            # Armed even when a held GET takes the outbox now: the close packet still waits
            # for a GET of its own, and a client that never sends one must not keep the session.
            self._arm(Timer.CLOSE, CLOSE_TIMEOUT)
            if self._held_get is not None:
                self._answer_held_get()
            return
        self._set_closed()
        if self._held_get is not None:
            last = (
                PacketType.NOOP if reason is DisconnectReason.TRANSPORT_CLOSE else PacketType.CLOSE
            )
            self._answer_held_get([Packet(last)])

    def _finish_closing(self) -> None:
        self._ctx.deadlines.cancel((self.sid, Timer.CLOSE))
        self._abort_upgrade()
        if self._held_get is not None:
            self._forget_held_get()
        self._set_closed()

    def _set_closed(self) -> None:
        self.state = SessionState.CLOSED
        self._budget = OutputBudget(self._budget.limit)
        self.outbox = self._budget.outbox
        self._ctx.forget(self)
