"""The server side of the Socket.IO admin UI (npm ``@socket.io/admin-ui`` 0.5): ``instrument``.

``instrument(io, auth=...)`` gives the server an admin namespace (``/admin``) that the UI logs
in to, as Node's ``instrument()`` does: it says what the UI may do (``config``), reports the
server every two seconds (``server_stats``: clients, namespaces, the traffic since the last
report) and, in development mode, every socket, room and event as it comes and goes; it carries
out the UI's commands (``emit``, ``join``, ``leave``, ``_disconnect``) unless read-only.

The wire format is built by :mod:`sio_anyio._admin_wire`; this module connects it to the
server, through the server's public API where there is one (namespaces and their events,
middlewares, ``fetch_sockets``, the broadcast operator) and through its context for the rest
(the core's traffic counts and clients, a service that runs while the server runs). Nothing is
counted, reported or watched on a server that is not instrumented.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import secrets
import socket as stdlib_socket
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import anyio
import anyio.to_thread

from sio_anyio import _admin_wire as wire
from sio_anyio._extras import require
from sio_anyio.broadcast import BroadcastOperator, RemoteSocket
from sio_anyio.conn import Transport
from sio_anyio.errors import ClusterTimeoutError, ConnectionRejected
from sio_anyio.namespace import Namespace
from sio_anyio.server import Server
from sio_anyio.socket import Socket
from sio_core import SocketServer
from sio_core.stats import Traffic

logger = logging.getLogger("sio_anyio.admin")

STATS_INTERVAL = 2.0
"""Seconds between two ``server_stats``, as in Node."""

Mode = wire.Mode


def instrument(
    io: Server,
    *,
    auth: Mapping[str, Any] | Literal[False],
    mode: Mode = "development",
    read_only: bool = False,
    namespace_name: str = "/admin",
    server_id: str | None = None,
) -> None:
    """Open the admin UI's namespace on ``io`` (Node's ``instrument(io, options)``).

    :param auth: ``False`` (anyone may log in), or Node's basic authentication:
        ``{"type": "basic", "username": "admin", "password": <bcrypt hash>}`` (needs the
        ``admin`` extra, ``bcrypt``). Required, as in Node, so that no server is left open
        by mistake.
    :param mode: ``"development"`` reports every socket, room and event as they change;
        ``"production"`` only the aggregated statistics, every two seconds.
    :param read_only: refuse the UI's commands (emit, join, leave, disconnect).
    :param namespace_name: the admin namespace.
    :param server_id: how the UI names this server (default: the host name).
    :raises ValueError: an ``auth`` option that is neither, or an unknown ``mode``.
    :raises MissingExtra: basic authentication without bcrypt (the ``admin`` extra) installed.
    """
    if mode not in ("development", "production"):
        raise ValueError(f"mode must be 'development' or 'production', not {mode!r}")
    _Instrumentation(io, wire.basic_auth(auth), mode, read_only, namespace_name, server_id)


class _Instrumentation:
    """Everything ``instrument`` sets up on one server, and the state it keeps."""

    def __init__(
        self,
        io: Server,
        auth: wire.BasicAuth | None,
        mode: Mode,
        read_only: bool,
        namespace_name: str,
        server_id: str | None,
    ) -> None:
        self._io = io
        self._context = io._context  # a friend: see the module's docstring
        self._auth = auth
        self._check_password = _password_checker(auth) if auth is not None else None
        self._mode = mode
        self._read_only = read_only
        self._sessions: set[str] = set()
        self._new_sessions: weakref.WeakKeyDictionary[Socket, str] = weakref.WeakKeyDictionary()
        self._watched: set[str] = set()
        self._data_seen: dict[str, tuple[Socket, Any]] = {}
        hostname = stdlib_socket.gethostname()
        self._facts = wire.ServerFacts(
            server_id=server_id or hostname, hostname=hostname, pid=os.getpid()
        )
        self._started = time.monotonic()
        self._context.command(lambda core: core.connections.count_traffic())
        self._reported = self._traffic()
        self.namespace = io.of(namespace_name)
        if auth is not None:
            self.namespace.use(self._authenticate)
        self.namespace.on("connection", self._on_admin)
        if mode == "development":
            for namespace in list(io.namespaces.values()):
                self._watch(namespace)
            io.on("new_namespace", self._watch)
        self._context.add_service(self._report_stats)

    # -- the admin namespace ----------------------------------------------------------------

    async def _authenticate(self, socket: Socket) -> None:
        """A session id from an earlier login, or the user name and password; Node's
        middleware, which answers ``invalid credentials`` to anything else."""
        auth, check = self._auth, self._check_password
        assert auth is not None
        assert check is not None
        credentials = socket.handshake.auth
        session = credentials.get("sessionId")
        if isinstance(session, str) and session in self._sessions:
            return
        password = credentials.get("password")
        user_matches = credentials.get("username") == auth.username
        if user_matches and isinstance(password, str) and await check(password):
            session = secrets.token_hex(8)
            self._sessions.add(session)
            self._new_sessions[socket] = session
            return
        raise ConnectionRejected("invalid credentials")

    async def _on_admin(self, socket: Socket) -> None:
        """A UI logged in: its commands, its session, what it may do, every socket."""
        for name in wire.COMMANDS:
            handler = self._refuse if self._read_only else self._command
            socket.on(name, functools.partial(handler, name))
        session = self._new_sessions.pop(socket, None)
        if session is not None:
            socket.emit("session", session)
        socket.emit("config", wire.config(read_only=self._read_only, mode=self._mode))
        if self._mode == "development":
            socket.emit("all_sockets", await self._all_sockets())

    def _command(self, name: str, *args: Any) -> None:
        try:
            command = wire.parse_command(name, args)
        except ValueError as error:
            logger.warning("admin UI: ignored a malformed command: %s", error)
            return
        namespace = self._io.namespaces.get(command.nsp)
        if namespace is None:
            logger.warning("admin UI: ignored %s on %r: no such namespace", name, command.nsp)
            return
        target: Namespace | BroadcastOperator = namespace
        if command.filter is not None:
            target = namespace.to(command.filter)
        logger.info("admin UI: %s", command)
        try:
            _carry_out(command, target)
        except (TypeError, ValueError) as error:  # LocalProtocolError, EncodeError
            logger.warning("admin UI: %s failed: %s", name, error)

    def _refuse(self, name: str, *_args: Any) -> None:
        logger.warning("admin UI: refused %s: the server is instrumented read-only", name)

    async def _all_sockets(self) -> list[dict[str, Any]]:
        described: list[dict[str, Any]] = []
        for name, namespace in list(self._io.namespaces.items()):
            for remote in await _fetch(namespace):
                local = namespace.sockets.get(remote.id)
                described.append(self._describe(remote, name, local))
        return described

    def _describe(self, socket: Socket | RemoteSocket, nsp: str, local: Socket | None) -> Any:
        data = socket.data
        if local is not None and isinstance(data, Mapping) and wire.ADMIN_KEY not in data:
            data = {**data, wire.ADMIN_KEY: _admin_entry(local)}  # data replaced since
        handshake = socket.handshake
        return wire.describe_socket(
            socket_id=socket.id, nsp=nsp, handshake=handshake, rooms=socket.rooms, data=data
        )

    def _broadcast(self, event: str, *args: Any) -> None:
        self.namespace.emit(event, *args)

    # -- development mode: every socket, room and event -------------------------------------

    def _watch(self, namespace: Namespace) -> None:
        """Report the sockets and rooms of ``namespace`` (once, whoever asks again)."""
        if namespace.name in self._watched:
            return
        self._watched.add(namespace.name)
        namespace.prepend_listener("connection", self._on_socket)
        adapter = namespace.adapter
        adapter.on("join-room", functools.partial(self._on_room, "room_joined", namespace.name))
        adapter.on("leave-room", functools.partial(self._on_room, "room_left", namespace.name))

    def _on_socket(self, socket: Socket) -> None:
        """Before the application's handlers, as Node's prepended listener: the UI's entry
        in the socket's data, then the socket, and what to report of it from now on."""
        if isinstance(socket.data, dict):
            socket.data[wire.ADMIN_KEY] = _admin_entry(socket)
        nsp = socket.nsp.name
        self._broadcast("socket_connected", self._describe(socket, nsp, socket), _now())
        socket.conn.on("upgrade", functools.partial(self._on_upgrade, socket))
        socket.on("disconnect", functools.partial(self._on_disconnect, socket))
        if socket.nsp is not self.namespace:
            socket.on_any(functools.partial(self._on_event, "event_received", socket))
            socket.on_any_outgoing(functools.partial(self._on_event, "event_sent", socket))
        self._data_seen[socket.id] = (socket, _copied(wire.public_data(socket.data)))

    def _on_upgrade(self, socket: Socket, transport: Transport) -> None:
        admin = socket.data.get(wire.ADMIN_KEY) if isinstance(socket.data, dict) else None
        if isinstance(admin, dict):
            admin["transport"] = transport.name
        update = {"id": socket.id, "nsp": socket.nsp.name, "transport": transport.name}
        self._broadcast("socket_updated", update)

    def _on_disconnect(self, socket: Socket, reason: object) -> None:
        self._data_seen.pop(socket.id, None)
        self._broadcast("socket_disconnected", socket.nsp.name, socket.id, str(reason), _now())

    def _on_event(self, kind: str, socket: Socket, event: str, *args: Any) -> None:
        self._broadcast(kind, socket.nsp.name, socket.id, [event, *args], _now())

    def _on_room(self, kind: str, nsp: str, room: str, socket_id: str) -> None:
        self._broadcast(kind, nsp, room, socket_id, _now())

    def _report_data_changes(self) -> None:
        """``socket_updated`` for each socket whose data changed since the last report: Node
        sees each change through a proxy, Python's dicts tell nobody, so they are compared."""
        for socket_id, (socket, seen) in list(self._data_seen.items()):
            data = wire.public_data(socket.data)
            if data != seen:
                self._data_seen[socket_id] = (socket, _copied(data))
                self._broadcast(
                    "socket_updated", {"id": socket_id, "nsp": socket.nsp.name, "data": data}
                )

    # -- statistics, every two seconds ------------------------------------------------------

    async def _report_stats(self) -> None:
        while True:
            self._report()
            await anyio.sleep(STATS_INTERVAL)

    def _report(self) -> None:
        traffic = self._traffic()
        carried, self._reported = traffic.since(self._reported), traffic
        clients, polling = self._context.query(_client_counts)
        stats = wire.server_stats(
            self._facts,
            uptime=time.monotonic() - self._started,
            clients=clients,
            polling_clients=polling,
            events=wire.aggregated_events(carried, int(time.time()) * 1000),
            namespaces=[(name, len(nsp.sockets)) for name, nsp in self._io.namespaces.items()],
        )
        self._broadcast("server_stats", stats)
        if self._mode == "development":
            self._report_data_changes()

    def _traffic(self) -> Traffic:
        return self._context.query(lambda core: core.connections.traffic()) or Traffic()


def _carry_out(command: wire.Command, target: Namespace | BroadcastOperator) -> None:
    if isinstance(command, wire.Emit):
        target.emit(command.event, *command.args)
    elif isinstance(command, wire.Join):
        target.sockets_join(command.room)
    elif isinstance(command, wire.Leave):
        target.sockets_leave(command.room)
    else:
        target.disconnect_sockets(command.close)


async def _fetch(namespace: Namespace) -> list[RemoteSocket]:
    """Every socket of the namespace, this server's alone when the others do not answer."""
    try:
        return await namespace.fetch_sockets()
    except ClusterTimeoutError:
        logger.warning("admin UI: other servers did not answer; listing this one's sockets")
        return await namespace.local.fetch_sockets()


def _client_counts(core: SocketServer) -> tuple[int, int]:
    """The open Engine.IO sessions, and those still on long-polling."""
    sids = core.connections.sids
    return len(sids), sum(1 for sid in sids if core.connections.transport_of(sid) == "polling")


def _admin_entry(socket: Socket) -> dict[str, str]:
    return wire.admin_entry(socket.conn.id, socket.conn.transport.name)


def _copied(data: Any) -> Any:
    """A copy to compare later, so that a change made in place shows; data that cannot be
    copied is compared as it is."""
    try:
        return copy.deepcopy(data)
    except Exception:
        return data


def _now() -> str:
    return wire.js_date(time.time())


def _password_checker(auth: wire.BasicAuth) -> Callable[[str], Awaitable[bool]]:
    """An async ``check(password) -> bool`` against the hash, in a worker thread (bcrypt
    takes tens of milliseconds on purpose)."""
    bcrypt = require("bcrypt", "admin", feature="the admin UI's basic authentication")
    checkpw: Callable[[bytes, bytes], bool] = bcrypt.checkpw
    hashed = auth.password_hash.encode("ascii")

    async def check(password: str) -> bool:
        given = wire.password_bytes(password)
        return bool(await anyio.to_thread.run_sync(checkpw, given, hashed))

    return check
