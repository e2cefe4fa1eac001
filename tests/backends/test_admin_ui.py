"""The admin UI's protocol end to end: ``instrument(io)`` against python-socketio's client.

The server runs on the test's loop (asyncio, then trio); each scenario plays the UI (and the
clients it watches) with ``python-socketio``'s ``AsyncClient`` in a thread of its own, on an
asyncio loop, as the admin UI's own socket.io-client would: it logs in to ``/admin``, reads
``config``, ``all_sockets``, ``server_stats`` and the updates, and sends the UI's commands.
Every wait is bounded; the statistics come every 0.2 s here instead of 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
import bcrypt
import pytest
import socketio
from sio_anyio import Server, Socket, admin, instrument

pytestmark = [
    pytest.mark.anyio,
    # python-engineio may leave an aiohttp session for the collector; its __del__ warns.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

WAIT = 5.0
PASSWORD = "changeit"
NODE_HASH = "$2b$10$nu1FHRkuxkZkqID.31gz4uQsyERZAn.m4IIruysTsHDODBtrqS5Me"
"""The hash of "changeit" in the package's own tests, made by bcryptjs (cost 10)."""
QUICK_HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
ADMIN_EVENTS = (
    "session",
    "config",
    "server_stats",
    "all_sockets",
    "socket_connected",
    "socket_updated",
    "socket_disconnected",
    "room_joined",
    "room_left",
    "event_received",
    "event_sent",
)
Scenario = Callable[[str], Awaitable[Any]]


@pytest.fixture(autouse=True)
def quick_stats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "STATS_INTERVAL", 0.2)


def application(**options: Any) -> Server:
    """A server with the admin UI and a few handlers for the watched clients to call."""
    io = Server()
    instrument(io, **{"auth": False, **options})

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("enter", lambda room: socket.join(room))
        socket.on("exit", lambda room: socket.leave(room))
        socket.on("greet", lambda: socket.emit("greeting", "hello"))
        socket.on("login", lambda name: socket.data.update(user=name))

    return io


async def play(wire: Any, io: Server, scenario: Scenario) -> Any:
    """Serve ``io`` here and run ``scenario(url)`` on an asyncio loop in a worker thread."""

    def in_thread(url: str) -> Any:
        return asyncio.run(asyncio.wait_for(scenario(url), 4 * WAIT))

    async with wire.serving(io) as port:
        return await anyio.to_thread.run_sync(in_thread, f"http://127.0.0.1:{port}")


class Client:
    """One python-socketio client; what each event brought waits in a queue of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self._queues: dict[tuple[str, str], asyncio.Queue[tuple[Any, ...]]] = {}

    def listen(self, events: tuple[str, ...], namespace: str = "/admin") -> None:
        for event in events:
            queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
            self._queues[event, namespace] = queue
            self.sio.on(event, _putter(queue), namespace=namespace)

    async def next(
        self,
        event: str,
        namespace: str = "/admin",
        where: Callable[..., bool] = lambda *args: True,
    ) -> tuple[Any, ...]:
        """The next arrival of ``event`` that ``where`` accepts (earlier ones are dropped)."""
        queue = self._queues[event, namespace]
        async with asyncio.timeout(WAIT):
            while not where(*(args := await queue.get())):
                pass
        return args

    def pending(self, event: str, namespace: str = "/admin") -> int:
        return self._queues[event, namespace].qsize()

    async def connect(
        self, namespace: str, auth: Any = None, transports: tuple[str, ...] = ("websocket",)
    ) -> None:
        await self.sio.connect(
            self.url,
            namespaces=[namespace],
            auth=auth,
            transports=list(transports),
            wait_timeout=WAIT,
        )


def _putter(queue: asyncio.Queue[tuple[Any, ...]]) -> Callable[..., Awaitable[None]]:
    async def put(*args: Any) -> None:
        queue.put_nowait(args)

    return put


@contextlib.asynccontextmanager
async def ui(url: str, auth: Any = None) -> AsyncIterator[Client]:
    """The admin UI, logged in to ``/admin``, listening to everything the server reports."""
    client = Client(url)
    client.listen(ADMIN_EVENTS)
    try:
        await client.connect("/admin", auth)
        yield client
    finally:
        await client.sio.shutdown()


@contextlib.asynccontextmanager
async def watched(
    url: str, events: tuple[str, ...] = (), transports: tuple[str, ...] = ("websocket",)
) -> AsyncIterator[Client]:
    """An ordinary client of ``/``, the kind the UI watches."""
    client = Client(url)
    client.listen(("disconnect", *events), "/")
    try:
        await client.connect("/", transports=transports)
        yield client
    finally:
        await client.sio.shutdown()


def is_js_date(value: object) -> bool:
    return isinstance(value, str) and value.endswith("Z") and "T" in value


# -- logging in -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [
        None,
        {"username": "admin", "password": "wrong"},
        {"username": "root", "password": PASSWORD},
        {"sessionId": "1234"},
    ],
)
async def test_anything_but_the_credentials_is_refused(wire, credentials: Any) -> None:
    io = application(auth={"type": "basic", "username": "admin", "password": QUICK_HASH})

    async def scenario(url: str) -> Any:
        client = Client(url)
        client.listen(("connect_error",))
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            await client.connect("/admin", credentials)
        (error,) = await client.next("connect_error")
        await client.sio.shutdown()
        return error

    assert await play(wire, io, scenario) == {"message": "invalid credentials"}


async def test_the_credentials_open_a_session_that_logs_in_again(wire) -> None:
    io = application(auth={"type": "basic", "username": "admin", "password": NODE_HASH})

    async def scenario(url: str) -> Any:
        async with ui(url, {"username": "admin", "password": PASSWORD}) as first:
            (session,) = await first.next("session")
        async with ui(url, {"sessionId": session}) as second:
            (config,) = await second.next("config")
            return session, second.pending("session"), config

    session, new_sessions, config = await play(wire, io, scenario)
    assert len(session) == 16
    assert new_sessions == 0
    assert "EMIT" in config["supportedFeatures"]


# -- what the UI is told --------------------------------------------------------------------------


async def test_on_login_the_ui_gets_config_then_every_socket(wire) -> None:
    async def scenario(url: str) -> Any:
        async with watched(url) as client, ui(url) as page:
            (config,) = await page.next("config")
            (sockets,) = await page.next("all_sockets")
            return client.sio.get_sid("/"), page.sio.get_sid("/admin"), config, sockets

    client_id, admin_id, config, sockets = await play(wire, application(), scenario)
    assert config["supportedFeatures"][-2:] == ["AGGREGATED_EVENTS", "ALL_EVENTS"]
    by_id = {socket["id"]: socket for socket in sockets}
    assert set(by_id) == {client_id, admin_id}
    client = by_id[client_id]
    assert (client["nsp"], client["rooms"], client["data"]) == ("/", [client_id], {})
    assert client["transport"] == "websocket"
    assert len(client["clientId"]) == 12
    assert client["handshake"]["address"] == "127.0.0.1"
    assert "auth" not in client["handshake"]
    assert by_id[admin_id]["nsp"] == "/admin"


async def test_server_stats_report_clients_namespaces_and_traffic(wire) -> None:
    kinds: set[str] = set()

    def counted(stats: dict[str, Any]) -> bool:
        """Each report has what was carried since the last one: the kinds add up."""
        kinds.update(event["type"] for event in stats["aggregatedEvents"])
        return stats["clientsCount"] == 2 and {"rawConnection", "packetsIn", "bytesOut"} <= kinds

    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url) as client:
            await client.sio.emit("greet")
            (stats,) = await page.next("server_stats", where=counted)
            return stats

    stats = await play(wire, application(server_id="node-1"), scenario)
    assert stats["serverId"] == "node-1"
    assert stats["pollingClientsCount"] == 0
    assert {"name": "/admin", "socketsCount": 1} in stats["namespaces"]
    assert all(event["timestamp"] % 1000 == 0 for event in stats["aggregatedEvents"])


async def test_sockets_are_reported_as_they_connect_and_leave(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page:
            await page.next("all_sockets")
            async with watched(url) as client:
                sid = client.sio.get_sid("/")
                connected = await page.next("socket_connected", where=lambda s, _: s["id"] == sid)
            left = await page.next("socket_disconnected", where=lambda _, i, *rest: i == sid)
            return sid, connected, left

    sid, (socket, when), (nsp, socket_id, reason, left_when) = await play(
        wire, application(), scenario
    )
    assert (socket["nsp"], socket["rooms"]) == ("/", [sid])
    assert (nsp, socket_id, reason) == ("/", sid, "transport close")  # shutdown() just closes
    assert is_js_date(when)
    assert is_js_date(left_when)


async def test_rooms_joined_and_left_are_reported(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url) as client:
            await client.sio.emit("enter", "lobby")
            joined = await page.next("room_joined", where=lambda n, room, *rest: room == "lobby")
            await client.sio.emit("exit", "lobby")
            left = await page.next("room_left", where=lambda n, room, *rest: room == "lobby")
            return client.sio.get_sid("/"), joined, left

    sid, joined, left = await play(wire, application(), scenario)
    assert joined[:3] == ("/", "lobby", sid)
    assert left[:3] == ("/", "lobby", sid)
    assert is_js_date(joined[3])


async def test_events_received_and_sent_are_reported(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url, ("greeting",)) as client:
            await client.sio.emit("greet")
            await client.next("greeting", "/")
            received = await page.next("event_received")
            sent = await page.next("event_sent")
            return client.sio.get_sid("/"), received, sent

    sid, received, sent = await play(wire, application(), scenario)
    assert received[:3] == ("/", sid, ["greet"])
    assert sent[:3] == ("/", sid, ["greeting", "hello"])


async def test_an_upgrade_to_websocket_is_reported(wire) -> None:
    """Raw clients here: python-socketio upgrades before it joins a namespace, so the UI
    would only ever see a WebSocket; socket.io-client joins over polling, then upgrades."""
    polling = "/socket.io/?EIO=4&transport=polling"

    async def next_event(page: Any, name: str) -> list[Any]:
        """The next ``name`` event about a socket of ``/``."""
        while True:
            packet = await page.receive()
            if packet.type == 2 and packet.data[0] == name and packet.data[1]["nsp"] == "/":
                return packet.data[1:]

    with anyio.fail_after(WAIT):
        async with wire.serving(application()) as port:
            page = await wire.connected(port, "/admin")
            http = await wire.http(port)
            sid = wire.open_packet((await http.request("GET", polling)).text)["sid"]
            await http.request("POST", f"{polling}&sid={sid}", b"40")
            socket, _ = await next_event(page, "socket_connected")
            ws = await wire.ws(port, f"/socket.io/?EIO=4&transport=websocket&sid={sid}")
            await ws.send_message("2probe")
            assert await ws.receive_message() == "3probe"
            await ws.send_message("5")
            (update,) = await next_event(page, "socket_updated")
            await ws.aclose()
            await http.aclose()
    assert socket["transport"] == "polling"
    assert update == {"id": socket["id"], "nsp": "/", "transport": "websocket"}


async def test_a_change_of_socket_data_is_reported(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url) as client:
            await client.sio.emit("login", "ann")
            (update,) = await page.next("socket_updated", where=lambda u: "data" in u)
            return client.sio.get_sid("/"), update

    sid, update = await play(wire, application(), scenario)
    assert update == {"id": sid, "nsp": "/", "data": {"user": "ann"}}


async def test_production_mode_reports_statistics_only(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page:
            (config,) = await page.next("config")
            async with watched(url):
                # a socket_connected would have left before the statistics that count it
                await page.next("server_stats", where=lambda s: s["clientsCount"] == 2)
            others = {event: page.pending(event) for event in ADMIN_EVENTS[3:]}
            return config, others

    config, others = await play(wire, application(mode="production"), scenario)
    assert config["supportedFeatures"][-1] == "AGGREGATED_EVENTS"  # and no ALL_EVENTS
    assert set(others.values()) == {0}


# -- what the UI asks -----------------------------------------------------------------------------


async def test_emit_command_reaches_the_sockets_of_the_filter(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url, ("news",)) as client:
            sid = client.sio.get_sid("/")
            await page.sio.emit("emit", ("/", sid, "news", "extra", 2), namespace="/admin")
            return await client.next("news", "/")

    assert await play(wire, application(), scenario) == ("extra", 2)


async def test_join_command_puts_the_sockets_in_the_room(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url, ("news",)) as client:
            sid = client.sio.get_sid("/")
            await page.sio.emit("join", ("/", "vip", sid), namespace="/admin")
            joined = await page.next("room_joined", where=lambda n, room, *rest: room == "vip")
            await page.sio.emit("emit", ("/", "vip", "news", "for vips"), namespace="/admin")
            return sid, joined[:3], await client.next("news", "/")

    sid, joined, news = await play(wire, application(), scenario)
    assert joined == ("/", "vip", sid)
    assert news == ("for vips",)


async def test_leave_command_without_filter_empties_the_room(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url) as client:
            await client.sio.emit("enter", "lobby")
            await page.next("room_joined", where=lambda n, room, *rest: room == "lobby")
            await page.sio.emit("leave", ("/", "lobby"), namespace="/admin")
            left = await page.next("room_left", where=lambda n, room, *rest: room == "lobby")
            return client.sio.get_sid("/"), left[:3]

    sid, left = await play(wire, application(), scenario)
    assert left == ("/", "lobby", sid)


async def test_disconnect_command_disconnects_the_socket(wire) -> None:
    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url) as client:
            sid = client.sio.get_sid("/")
            await page.sio.emit("_disconnect", ("/", False, sid), namespace="/admin")
            await client.next("disconnect", "/")
            return await page.next("socket_disconnected", where=lambda _, i, *rest: i == sid)

    nsp, _, reason, _ = await play(wire, application(), scenario)
    assert (nsp, reason) == ("/", "server namespace disconnect")


async def test_read_only_refuses_the_commands(wire) -> None:
    refused = threading.Event()

    class Refusals(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "refused join" in record.getMessage():
                refused.set()

    async def scenario(url: str) -> Any:
        async with ui(url) as page, watched(url) as client:
            (config,) = await page.next("config")
            sid = client.sio.get_sid("/")
            await page.sio.emit("join", ("/", "vip", sid), namespace="/admin")
            assert await asyncio.to_thread(refused.wait, WAIT)
            await client.sio.emit("enter", "probe")  # room events come in order: a "vip"
            # joined after all would come before it
            joined = await page.next(
                "room_joined", where=lambda n, room, i, _: room not in (i, sid)
            )
            return config, joined[1]

    handler = Refusals()
    logging.getLogger("sio_anyio.admin").addHandler(handler)
    try:
        config, first_room = await play(wire, application(read_only=True), scenario)
    finally:
        logging.getLogger("sio_anyio.admin").removeHandler(handler)
    assert config == {"supportedFeatures": ["AGGREGATED_EVENTS", "ALL_EVENTS"]}
    assert first_room == "probe"


# -- setting it up --------------------------------------------------------------------------------


def test_auth_must_be_given() -> None:
    with pytest.raises(TypeError):
        instrument(Server())  # type: ignore[call-arg]


def test_a_password_that_is_not_a_hash_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="valid bcrypt hash"):
        instrument(Server(), auth={"type": "basic", "username": "admin", "password": PASSWORD})


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        instrument(Server(), auth=False, mode="debug")  # type: ignore[arg-type]


def test_a_custom_namespace_name() -> None:
    io = Server()
    instrument(io, auth=False, namespace_name="/custom")
    assert "/custom" in io.namespaces
    assert "/admin" not in io.namespaces


def test_basic_auth_without_bcrypt_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bcrypt", None)  # what an absent package looks like
    with pytest.raises(ImportError, match=r"sio-core\[admin\]"):
        instrument(Server(), auth={"type": "basic", "username": "admin", "password": NODE_HASH})
