"""Owns the core: feeds it, drains its events after every call (the pump), routes what it says.

Theory of operation. The core is synchronous and answers asynchronously: a long-poll GET may
be answered by a later call (an application ``send``, a timer). So every call into the core,
whoever makes it, is followed by a pump that drains ``core.events()`` and routes each event:

* ``HttpResponseReady`` / ``WebSocketAccepted`` wake the connection task waiting on that
  request id (a :class:`Reply`);
* ``WebSocketDataReady`` / ``WebSocketCloseRequested`` go to that WebSocket's
  :class:`~sio_anyio._outbox.Outbox`: the native WebSocket writes during the pump itself, and
  reports only what the kernel would not take at once (:meth:`Driver.ws_unwritten`);
* ``WebSocketReadPaused`` / ``WebSocketReadResumed``, and a close that aborts, go to that
  WebSocket's :class:`~sio_anyio._flow.ReadFlow`, which its reader obeys (backpressure);
* everything else is a session event and goes to the application callback, in order.

The outbox of a WebSocket is created when its ``WebSocketAccepted`` is routed, because the
same pump may already carry data for it (the Engine.IO ``open`` packet). Nothing here looks
inside an event: the driver is generic over :class:`~sio_core.surface.TransportCore`.

The pump loops until the core has nothing more to say: what the writers report as unwritten during
the pump, and the callbacks queued with :meth:`Driver.after_pump` (a socket's handlers, which may
call the core again), run between its rounds. A command made by such a callback does not pump on
its own: the running pump drains what it produced, in order, as soon as the callback returns, or
before, once the core says its output is backlogged (a handler emitting in a loop).

Nothing else touches the core. The application's side reaches it through :meth:`Driver.command`
(a change, pumped at once), :meth:`Driver.timed_command` (the same, for a change that starts a
deadline) and :meth:`Driver.query` (a read, which has no output to pump).

The core's clock moves only when it is given ``now``: with an input, or a timer that fires. A
command that starts a deadline (an ack awaited, a request to other nodes) counts it from that
clock, which may be far behind after a quiet spell; :meth:`Driver.timed_command` first brings it
to the present (and fires whatever was due meanwhile).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio
import anyio.lowlevel

from sio_anyio._counter import InFlight
from sio_anyio._flow import ReadFlow
from sio_anyio._outbox import Outbox, WsCommand
from sio_anyio._timer import DeadlineTimer
from sio_core.events import (
    Event,
    HttpResponseReady,
    WebSocketAccepted,
    WebSocketCloseRequested,
    WebSocketDataReady,
    WebSocketReadPaused,
    WebSocketReadResumed,
)
from sio_core.http import HttpRequest
from sio_core.surface import TransportCore

logger = logging.getLogger("sio_anyio")

T = TypeVar("T")
_TRANSPORT_EVENTS = frozenset(
    {
        HttpResponseReady,
        WebSocketAccepted,
        WebSocketDataReady,
        WebSocketCloseRequested,
        WebSocketReadPaused,
        WebSocketReadResumed,
    }
)
"""What the driver routes itself; every other event is the application's."""
# Covariant: the connections take a Driver[TransportCore], the Socket.IO server's is a
# Driver[SocketServer]. Sound, as no method takes a core as an argument.
C = TypeVar("C", bound=TransportCore, covariant=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Accepted:
    """The core accepted a WebSocket upgrade; what to write on it arrives in ``outbox``, whether
    to read from it in ``flow``."""

    event: WebSocketAccepted
    outbox: Outbox
    flow: ReadFlow


Answer = HttpResponseReady | Accepted


class Reply:
    """The one answer a connection task waits for; None when the request was abandoned."""

    def __init__(self) -> None:
        self._ready = anyio.Event()
        self.answer: Answer | None = None

    @property
    def ready(self) -> bool:
        """Whether the answer (or the abandonment) has arrived."""
        return self._ready.is_set()

    def deliver(self, answer: Answer) -> None:
        self.answer = answer
        self._ready.set()

    def abandon(self) -> None:
        self._ready.set()

    async def wait(self) -> Answer | None:
        await self._ready.wait()
        return self.answer


class Driver(Generic[C]):
    """The only object that calls the core; connection tasks and commands go through it.

    :param on_app_event: called during each pump with every session event, in order; it must
        not wait, nor call the core.
    """

    def __init__(self, core: C, on_app_event: Callable[[Event], None]) -> None:
        self._core = core
        self.on_app_event = on_app_event
        self._request_ids = itertools.count(1)
        self._replies: dict[int, Reply] = {}
        self._outboxes: dict[int, Outbox] = {}
        self._flows: dict[int, ReadFlow] = {}
        self.timer = DeadlineTimer(core.next_deadline, self._on_deadline)
        self._in_flight = InFlight()  # answers delivered whose connection has not finished
        self._pumping = False
        self._in_callback = False  # the running pump is in one of the after_pump callbacks
        self._now: float | None = None  # the time of the running pump's input
        self._stale = False  # the core was called since the pump last asked for its events
        self._unwritten: dict[int, int] = {}  # per WebSocket, what to report to the core
        self._after: deque[Callable[[], None]] = deque()
        self._clock: Callable[[], float] = anyio.current_time  # see run_timer

    async def run_timer(self) -> None:
        """Serve the core's deadlines while the server runs.

        Meanwhile the running loop's clock is read straight from its anyio backend: every
        message reads it, and ``anyio.current_time`` looks the backend up on each call.
        """
        self._clock = anyio.lowlevel.current_token().backend_class.current_time
        try:
            await self.timer.run()
        finally:
            self._clock = anyio.current_time

    # -- questions ------------------------------------------------------------------------

    @property
    def max_message_size(self) -> int:
        """The cap for one POST body or one WebSocket message."""
        return self._core.max_http_buffer_size

    def owns(self, request: HttpRequest) -> bool:
        return self._core.owns(request)

    def new_request_id(self) -> int:
        return next(self._request_ids)

    # -- what the connections report ------------------------------------------------------

    def submit(self, request_id: int, request: HttpRequest) -> Reply:
        """Hand a complete request to the core; the reply may already be ready on return."""
        reply = self._replies[request_id] = Reply()
        self._feed(lambda now: self._core.receive_request(request_id, request, now))
        return reply

    def abort(self, request_id: int) -> None:
        """The client left before its answer; a later answer for it is dropped."""
        reply = self._replies.pop(request_id, None)
        if reply is not None:
            reply.abandon()
            self._feed(lambda now: self._core.request_aborted(request_id, now))

    def ws_message(self, ws_id: int, message: str | bytes) -> None:
        now = self._clock()  # spelled out, unlike the others: every message comes here
        try:
            self._core.receive_ws_message(ws_id, message, now)
        finally:
            self._pump(now)

    def ws_too_large(self, ws_id: int) -> None:
        self._feed(lambda now: self._core.ws_message_too_large(ws_id, now))

    def ws_unwritten(self, ws_id: int, size: int) -> None:
        """``size`` of what the writer was handed waits for the kernel to take it (0: none)."""
        if ws_id in self._outboxes:
            self._unwritten[ws_id] = size
            if not self._pumping:
                self._pump()

    def ws_closed(self, ws_id: int, *, error: bool) -> None:
        """The WebSocket ended on the wire; ids the core already closed are ignored."""
        self._flows.pop(ws_id, None)
        if self._outboxes.pop(ws_id, None) is not None:
            self._feed(lambda now: self._core.ws_closed(ws_id, now, error=error))

    def answer_done(self) -> None:
        """A connection finished with the answer it was given: written, or its WebSocket ended."""
        self._in_flight.done()

    async def drained(self) -> None:
        """Wait until no answer is being written and no WebSocket is open.

        Meant for shutdown, once every session was closed: their last output is then on the wire.
        """
        await self._in_flight.idle()

    # -- what the application and the clock do --------------------------------------------

    def command(self, action: Callable[[C], T]) -> T:
        """Run an application command on the core (send, close...), then pump."""
        try:
            return action(self._core)
        finally:
            self._pump()

    def timed_command(self, action: Callable[[C], T]) -> T:
        """Like :meth:`command`, for an action that starts a deadline: it counts from now."""
        self._core.handle_timeout(self._clock())
        return self.command(action)

    def after_pump(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the current pump has routed every event (it may use the core).

        Meant for the router, which must not call the core while it routes; outside a pump the
        callback runs at once.
        """
        self._after.append(callback)
        if not self._pumping:
            self._pump()

    def query(self, question: Callable[[C], T]) -> T:
        """Read the core's state; a read changes nothing, so there is nothing to pump."""
        return question(self._core)

    def _on_deadline(self, now: float) -> None:
        self._feed(self._core.handle_timeout, now)

    # -- the pump -------------------------------------------------------------------------

    def _feed(self, call: Callable[[float], None], now: float | None = None) -> None:
        now = self._clock() if now is None else now
        try:
            call(now)
        finally:
            self._pump(now)

    def _pump(self, now: float | None = None) -> None:
        """Drain the core; ``now`` is the time of the input that started it, when there was one
        (what is written meanwhile is reported at that time: reading the clock costs more than
        the microseconds it would add).

        Each round routes what the core said since it was last called, or else reports
        writes, or else runs one callback, until none of that is left. The core is asked for
        its events again only once something called it: routing seldom does (a reply nobody
        waits for any more closes its WebSocket), callbacks often do.
        """
        if self._pumping:
            self._stale = True  # a callback of the running pump called the core: it drains it
            if self._in_callback and self._core.backlogged:
                self._hand_over_backlog()
            return
        self._pumping, self._now, self._stale = True, now, True
        core, route, after = self._core, self._route, self._after
        try:
            while True:
                if self._stale:
                    self._stale = False
                    for event in core.events():
                        route(event)
                elif self._unwritten:
                    self._report_unwritten()
                elif after:
                    self._in_callback = True
                    try:
                        after.popleft()()
                    finally:
                        self._in_callback = False
                else:
                    break
        finally:
            self._pumping = False
        self.timer.rearm(core.next_deadline())

    def _hand_over_backlog(self) -> None:
        """Route what a callback made the core say so far, before the callback returns.

        A handler that emits in a loop would otherwise hold all its output until it is done,
        and its clients would wait meanwhile (see ``TransportCore.backlogged``). The order is
        kept: nothing was routed since the callback began, and what it makes the core say
        from now on comes later. What the writes left is reported at once, so that the
        sessions' output budget counts what is left.
        """
        self._in_callback = False  # routing may call the core: that must not come back here
        try:
            self._stale = False
            for event in self._core.events():
                self._route(event)
            if self._unwritten:
                self._report_unwritten()
        finally:
            self._in_callback = True

    def _report_unwritten(self) -> None:
        unwritten, self._unwritten = self._unwritten, {}
        now = self._now = self._clock() if self._now is None else self._now
        for ws_id, size in unwritten.items():
            self._core.ws_unwritten(ws_id, size, now)
        self._stale = True

    def _route(self, event: Event) -> None:
        if type(event) is WebSocketDataReady:  # by far the most frequent
            self._to_websocket(event.ws_id, event)
        elif type(event) not in _TRANSPORT_EVENTS:  # the application's: most of the others
            self.on_app_event(event)
        elif isinstance(event, HttpResponseReady):
            self._answer(event.request_id, event)
        elif isinstance(event, WebSocketAccepted):
            outbox = self._outboxes[event.request_id] = Outbox()
            flow = self._flows[event.request_id] = ReadFlow()
            self._answer(event.request_id, Accepted(event, outbox, flow))
        elif isinstance(event, WebSocketCloseRequested):
            self._to_websocket(event.ws_id, event)
            self._outboxes.pop(event.ws_id, None)
            self._end_flow(event)
        elif isinstance(event, WebSocketReadPaused | WebSocketReadResumed):
            self._set_flow(event)

    def _answer(self, request_id: int, answer: Answer) -> None:
        reply = self._replies.pop(request_id, None)
        if reply is None:
            logger.debug("dropping the answer to abandoned request %d", request_id)
            if isinstance(answer, Accepted):  # the core believes it open: tell it otherwise
                self.ws_closed(request_id, error=False)
        else:
            self._in_flight.add()
            reply.deliver(answer)

    def _set_flow(self, event: WebSocketReadPaused | WebSocketReadResumed) -> None:
        flow = self._flows.get(event.ws_id)
        if flow is None:
            return
        if isinstance(event, WebSocketReadPaused):
            flow.pause()
        else:
            flow.resume()

    def _end_flow(self, close: WebSocketCloseRequested) -> None:
        """A polite close lets the reader see the close handshake; an abort cuts the connection."""
        flow = self._flows.pop(close.ws_id, None)
        if flow is None:
            return
        if close.abort:
            logger.warning("websocket %d: the client does not read its output; cut", close.ws_id)
            flow.abort()
        else:
            flow.resume()

    def _to_websocket(self, ws_id: int, command: WsCommand) -> None:
        outbox = self._outboxes.get(ws_id)
        if outbox is not None:
            outbox.put(command)
