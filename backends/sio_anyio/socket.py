"""The user-facing Socket: Node's server-side Socket instance, in Python's spelling.

Ordering guarantee: the events of one socket are handled one at a time, in the order the client
sent them. Each handler (middlewares first) finishes, awaits included, before the next event of
that socket is handled; different sockets are handled concurrently. Handlers that are plain
functions run at once, in the task that read the event; from the first one that returns an
awaitable (an ``async def`` handler) on, that event and the ones behind it are handled in a
task of the socket's own (:mod:`sio_anyio._steps`). Acks resolve apart from this
queue, so a handler may ``await socket.emit_with_ack(...)`` without blocking its own answer.
"""

from __future__ import annotations

import inspect
import logging
from collections import deque
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sio_anyio._context import Context
from sio_anyio._listeners import EventEmitter, L, Listener, wants_ack
from sio_anyio._steps import Steps, advance, call_logged_steps, call_steps, finish, run_steps
from sio_anyio._turns import ITEMS_PER_TURN, Turn
from sio_anyio.broadcast import BroadcastOperator, RoomNames, room_set
from sio_anyio.conn import Conn
from sio_core import BroadcastOptions, Handshake, SocketServer
from sio_core.errors import EncodeError
from sio_core.events import (
    Event,
    EventReceived,
    SocketDisconnected,
    SocketDisconnecting,
    SocketErrored,
)

if TYPE_CHECKING:
    # The one import against the layers: a socket's ``nsp`` is its Namespace, whose
    # ``sockets`` are Sockets. Only the annotation needs it (import-linter skips it).
    from sio_anyio.namespace import Namespace

if TYPE_CHECKING:  # a type parameter with a default (PEP 696): a plain ``Socket`` stays valid
    from typing_extensions import TypeVar as TypeVarWithDefault

    D = TypeVarWithDefault("D", default=dict[str, Any])
else:  # at run time the default plays no part, and Python 3.10 to 3.12 have no such TypeVar
    D = TypeVar("D")

logger = logging.getLogger("sio_anyio")

_NO_EVENTS: deque[Event] = deque(maxlen=0)
"""The queue of a socket with no events waiting (shared: appending to it is never done)."""


class Socket(EventEmitter, Generic[D]):
    """One client in one namespace. Extra attributes may be set on it freely.

    Listening is Node's EventEmitter (``on``, ``once``, ``off``, ``remove_listener``,
    ``remove_all_listeners``, ``listeners``). A handler gets the event's arguments. When the
    client asked for an acknowledgement, the first handler's return value is the answer (a
    tuple gives several arguments), or, if it takes an ``ack`` keyword argument, it answers by
    calling ``ack(*args)`` itself. Reserved events: ``disconnecting`` and ``disconnect`` (with
    the reason), ``error`` (with the exception a middleware raised).

    ``Socket[MyData]`` types :attr:`data` (a ``TypedDict`` fits: it starts empty); a plain
    ``Socket`` has a ``dict[str, Any]``.
    """

    def __init__(
        self,
        context: Context,
        namespace: Namespace,
        socket_id: str,
        handshake: Handshake,
        conn: Conn,
    ) -> None:
        self._id = socket_id
        self.nsp = namespace
        self.handshake = handshake
        self.conn = conn
        self.connected = False
        super().__init__()
        self.recovered = False
        """Whether connection state recovery brought this socket back: the same id, rooms and
        ``data`` as before a short disconnection, and the events it missed sent first."""
        self._context = context
        record = context.query(lambda core: core.socket(socket_id))
        self._record: object = record
        """The core's record of this socket: recovery under the same id makes another one."""
        self._data: D = record.data if record is not None else {}
        self._middlewares: list[Listener] = []
        self._any: list[Listener] = []
        self._any_outgoing: list[Listener] = []
        self._rooms_when_leaving: frozenset[str] | None = None
        self._emit_timeout: float | None = None
        self._inbox: deque[Event] = _NO_EVENTS  # its events not handled yet, oldest first
        self._busy = True  # until its connection handlers have run (see the router)

    # -- state ----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """Twenty random characters, the client's ``socket.id`` too; read-only."""
        return self._id

    @property
    def disconnected(self) -> bool:
        """True once the socket left (or never got in)."""
        return not self.connected

    @property
    def rooms(self) -> set[str]:
        """The rooms of the socket; during ``disconnecting`` still the rooms it is leaving."""
        if self._rooms_when_leaving is not None:
            return set(self._rooms_when_leaving)
        return set(self._context.query(lambda core: core.operations.rooms(self.id)))

    @property
    def data(self) -> D:
        """Anything the application likes, ``{}`` at first; ``fetch_sockets`` sees it too.

        It stays readable once the socket has left (in ``disconnect`` handlers, say).
        """
        return self._data

    @data.setter
    def data(self, value: D) -> None:
        self._data = value
        self._context.command(lambda core: _set_data(core, self.id, value))

    # -- listening (``on``, ``once``, ``off``... come from EventEmitter) --------------------

    def use(self, middleware: L) -> L:
        """Run ``middleware(event, args)`` before each incoming event; raising stops the event.

        The exception reaches the ``error`` handlers and the event never reaches its handler.
        ``args`` is the list of arguments, which the middleware may change in place.
        """
        self._middlewares.append(middleware)
        return middleware

    def on_any(self, listener: L) -> L:
        """Called with ``(event, *args)`` for every incoming event."""
        self._any.append(listener)
        return listener

    def prepend_any(self, listener: L) -> L:
        """Like :meth:`on_any`, called before the others."""
        self._any.insert(0, listener)
        return listener

    def off_any(self, listener: Listener | None = None) -> None:
        """Remove one catch-all listener, or all of them."""
        _remove(self._any, listener)

    def on_any_outgoing(self, listener: L) -> L:
        """Called with ``(event, *args)`` for every event this socket emits."""
        self._any_outgoing.append(listener)
        return listener

    def prepend_any_outgoing(self, listener: L) -> L:
        """Like :meth:`on_any_outgoing`, called before the others."""
        self._any_outgoing.insert(0, listener)
        return listener

    def off_any_outgoing(self, listener: Listener | None = None) -> None:
        """Remove one outgoing catch-all listener, or all of them."""
        _remove(self._any_outgoing, listener)

    # -- emitting -------------------------------------------------------------------------

    def emit(self, event: str, *args: Any) -> bool:
        """Send ``event`` to this client (dropped silently once it is gone, as in Node)."""
        self._outgoing(event, args)
        self._context.command(lambda core: core.emit(self.id, event, args))
        return True

    async def emit_with_ack(self, event: str, *args: Any) -> Any:
        """Send ``event`` and wait for the client's answer.

        :returns: the answer's only argument, or a tuple when there are several.
        :raises AckTimeoutError: after :meth:`timeout` seconds without an answer.
        :raises SocketGoneError: the client left first.
        """
        timeout, self._emit_timeout = self._emit_timeout, None
        self._outgoing(event, args)
        ack_id = self._context.timed_command(
            lambda core: core.emit(self.id, event, args, with_ack=True, timeout=timeout)
        )
        assert ack_id is not None
        return await self._context.acks.wait_ack(self.id, ack_id)

    def timeout(self, seconds: float) -> Socket[D]:
        """The next :meth:`emit_with_ack` waits at most ``seconds``."""
        self._emit_timeout = seconds
        return self

    def _outgoing(self, event: str, args: tuple[Any, ...]) -> None:
        for listener in list(self._any_outgoing):
            try:
                listener(event, *args)
            except Exception:
                logger.exception("outgoing listener %r failed", listener)

    # -- rooms and broadcasting -----------------------------------------------------------

    def join(self, *rooms: RoomNames) -> None:
        """Join one room or several."""
        names = room_set(rooms)
        self._context.command(lambda core: core.operations.join(self.id, names))

    def leave(self, room: str) -> None:
        """Leave one room."""
        self._context.command(lambda core: core.operations.leave(self.id, room))

    def to(self, *rooms: RoomNames) -> BroadcastOperator:
        """Everyone in these rooms but this socket."""
        return self.broadcast.to(*rooms)

    in_ = to

    def except_(self, *rooms: RoomNames) -> BroadcastOperator:
        """Everyone but this socket and the sockets in these rooms."""
        return self.broadcast.except_(*rooms)

    @property
    def broadcast(self) -> BroadcastOperator:
        """Everyone in the namespace but this socket."""
        options = BroadcastOptions(except_rooms=frozenset({self.id}))
        return BroadcastOperator(self._context, self.nsp.name, options)

    @property
    def volatile(self) -> BroadcastOperator:
        """This socket only, dropped if its transport cannot take it right now."""
        options = BroadcastOptions(rooms=frozenset({self.id}), volatile=True)
        return BroadcastOperator(self._context, self.nsp.name, options)

    # -- leaving --------------------------------------------------------------------------

    def disconnect(self, close: bool = False) -> Socket[D]:
        """Disconnect from this namespace; with ``close``, close the whole connection."""
        if self._context.query(lambda core: core.is_connected(self.id)):  # it may have left
            self._context.command(lambda core: core.disconnect(self.id, close=close))
        return self

    # -- its events, in order ----------------------------------------------------------------

    def _deliver(self, event: Event) -> None:
        """Take the next event of this socket (from the router, during the driver's pump).

        Unless older events are still being handled, it is handled as soon as the pump is
        done, in the task that pumped, for as long as its handlers are plain functions: one
        answering an event costs no task switch. From the first handler that returns an
        awaitable on (an ``async def`` one), that awaitable, the rest of that event and the
        ones queued behind it are handled in a task of their own.
        """
        if self._inbox is _NO_EVENTS:  # most sockets are idle: a queue only while it is used
            self._inbox = deque()
        self._inbox.append(event)
        if not self._busy:
            self._busy = True
            self._context.after_pump(self._handle_now)

    def _handle_now(self) -> None:
        """Handle queued events here until one must wait, or a turn's worth is done."""
        for _ in range(ITEMS_PER_TURN):
            if not self._inbox:
                self._inbox, self._busy = _NO_EVENTS, False
                return
            steps = self._event_steps(self._inbox.popleft())
            awaiting = advance(steps)
            if awaiting is not None:
                self._hand_over(steps, awaiting)
                return
        self._hand_over(None, None)  # a flood: the rest in a task, taking turns with the others

    def _hand_over(self, steps: Steps[None] | None, awaiting: Awaitable[Any] | None) -> None:
        if not self._context.spawn(self._handle_events, steps, awaiting):  # not serving
            if steps is not None:
                steps.close()
            if inspect.iscoroutine(awaiting):
                awaiting.close()

    async def _handle_events(
        self, steps: Steps[None] | None = None, awaiting: Awaitable[Any] | None = None
    ) -> None:
        """Finish the event under way, if any, then handle the queued ones, in this task.

        A flood of events queues up here faster than it is handled: the other sockets get
        their turn between them.
        """
        turn = Turn()
        if steps is not None and awaiting is not None:
            await finish(steps, awaiting)
            await turn.spend()
        while self._inbox:
            await run_steps(self._event_steps(self._inbox.popleft()))
            await turn.spend()
        self._inbox, self._busy = _NO_EVENTS, False

    def _event_steps(self, event: Event) -> Steps[None]:
        if type(event) is EventReceived:  # most events: one generator less
            return self._on_event(event)
        return self._lifecycle_steps(event)

    def _lifecycle_steps(self, event: Event) -> Steps[None]:
        if isinstance(event, SocketErrored):
            yield from self._listeners.emit_steps("error", RuntimeError(event.message))
        elif isinstance(event, SocketDisconnecting):
            self.connected = False
            self._rooms_when_leaving = event.rooms
            yield from self._listeners.emit_steps("disconnecting", event.reason)
            self._rooms_when_leaving = frozenset()
        elif isinstance(event, SocketDisconnected):
            yield from self._listeners.emit_steps("disconnect", event.reason)

    def _on_event(self, received: EventReceived) -> Steps[None]:
        args = list(received.args)
        if self._middlewares:
            try:
                for middleware in list(self._middlewares):
                    yield from call_steps(middleware, received.event, args)
            except Exception as error:
                yield from self._listeners.emit_steps("error", error)
                return
        for listener in list(self._any) if self._any else ():
            yield from call_logged_steps(listener, received.event, *args)
        handlers = self._listeners.take(received.event)
        if received.ack_id is None:
            for handler in handlers:
                yield from call_logged_steps(handler, *args)
        elif handlers:
            yield from self._answer(handlers, args, received.ack_id)

    def _answer(self, handlers: list[Listener], args: list[Any], ack_id: int) -> Steps[None]:
        first, *others = handlers
        try:
            if wants_ack(first):
                ack = Ack(self._context, self.id, self._record, ack_id)
                yield from call_steps(first, *args, ack=ack)
            else:
                answer = yield from call_steps(first, *args)
                try:
                    _send_answer(self._context, self.id, self._record, ack_id, answer)
                except EncodeError:
                    logger.exception("the answer handler %r returned cannot be sent", first)
        except Exception:
            logger.exception("handler %r failed", first)
        for handler in others:
            yield from call_logged_steps(handler, *args)

    def __repr__(self) -> str:
        return f"<Socket {self.id} {self.nsp.name}>"


class Ack:
    """Answers the client's event once; later calls do nothing, as Node's callback does, and
    neither does a call after the socket has left (even if it has recovered since).

    An answer that cannot be sent raises :class:`~sio_core.errors.EncodeError` (a
    ``TypeError``) naming the argument, and does not count: the ack can still be called.
    """

    def __init__(self, context: Context, socket_id: str, record: object, ack_id: int) -> None:
        self._context = context
        self._socket_id = socket_id
        self._record = record
        self._ack_id = ack_id
        self.sent = False

    def __call__(self, *args: Any) -> None:
        if self.sent:
            return
        _send_answer(self._context, self._socket_id, self._record, self._ack_id, args)
        self.sent = True


def _send_answer(
    context: Context, socket_id: str, record: object, ack_id: int, answer: Any
) -> None:
    """Send ``answer``: a tuple is the ack's arguments, None none, anything else the one."""
    if answer is None:
        args: tuple[Any, ...] = ()
    else:
        args = answer if isinstance(answer, tuple) else (answer,)
    context.command(lambda core: _answer_if_there(core, socket_id, record, ack_id, args))


def _answer_if_there(
    core: SocketServer, socket_id: str, record: object, ack_id: int, args: tuple[Any, ...]
) -> None:
    """Answer, unless the socket that was asked has left since: then the answer is dropped, as
    Node drops it. A socket recovered under the same id is another socket: its client's acks
    since the reconnection carry new ids, and the ones it asked before are no longer owed."""
    if record is not None and core.socket(socket_id) is record:
        core.ack(socket_id, ack_id, args)


def _set_data(core: SocketServer, socket_id: str, value: Any) -> None:
    record = core.socket(socket_id)
    if record is not None:
        record.data = value


def _remove(listeners: list[Listener], listener: Listener | None) -> None:
    if listener is None:
        listeners.clear()
    elif listener in listeners:
        listeners.remove(listener)
