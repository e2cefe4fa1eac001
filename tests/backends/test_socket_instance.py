"""Node's server-side Socket instance, to the letter: what a Node user tries on day one.

One test (or a few) per item of the port of the "Socket instance" page that once failed,
each on both loops, against a running server and a raw client.
"""

from __future__ import annotations

import anyio
import pytest
from sio_anyio import Ack, Server, Socket
from wsproto import events as ws_events

pytestmark = pytest.mark.anyio

TIMEOUT = 5
POLLING = "/socket.io/?EIO=4&transport=polling"


# -- disconnect(True) while the client upgrades ---------------------------------------------


async def test_disconnect_close_while_upgrading_sends_disconnect_over_the_websocket(
    wire,
) -> None:
    """The client has its ``3probe``, stopped polling, and its ``5`` is on the way when the
    server disconnects it: the DISCONNECT waits for the upgrade, then the WebSocket closes."""
    io, gone = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("bye", lambda: socket.disconnect(True))
        socket.on("disconnect", gone)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            sid = wire.open_packet((await http.request("GET", POLLING)).text)["sid"]
            polling = f"{POLLING}&sid={sid}"
            await http.request("POST", polling, b"40")
            assert (await http.request("GET", polling)).text.startswith("40{")
            ws = await wire.ws(port, f"/socket.io/?EIO=4&transport=websocket&sid={sid}")
            await ws.send_message("2probe")
            assert await ws.receive_message() == "3probe"
            assert (await http.request("GET", polling)).text == "6"  # its last poll
            await http.request("POST", polling, b'42["bye"]')
            assert await gone.wait_for(1) == ["server namespace disconnect"]
            await ws.send_message("5")
            disconnect = await ws.receive_message()
            end = await ws.next_event()
            await ws.aclose()
            await http.aclose()
    assert disconnect == "41"
    assert isinstance(end, ws_events.CloseConnection)


# -- socket.data ------------------------------------------------------------------------------


async def test_socket_data_starts_as_an_empty_dict(wire) -> None:
    io, sockets = Server(), wire.Seen()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            await client.aclose()
    assert socket.data == {}


async def test_socket_data_filled_in_a_handler_is_what_fetch_sockets_sees(wire) -> None:
    io, sockets = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.data["username"] = "alice"
        sockets(socket)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await sockets.wait_for(1)
            (remote,) = await io.fetch_sockets()
            await client.aclose()
    assert remote.data == {"username": "alice"}


async def test_socket_data_stays_readable_in_the_disconnect_handler(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.data = {"username": "alice"}
        socket.on("disconnect", lambda reason: seen(socket.data["username"], reason))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.send("1")
            items = await seen.wait_for(1)
            await client.aclose()
    assert items == [("alice", "client namespace disconnect")]


# -- once, off / remove_listener, remove_all_listeners, listeners -----------------------------


async def test_socket_once_handles_the_next_event_only(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.once("ping", seen)
        socket.on("sync", lambda: seen("sync"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("ping", 1)
            await client.emit("ping", 2)
            await client.emit("ping", 3, ack_id=7)  # no handler left: no answer either
            await client.emit("sync")
            await seen.wait_for(2)
            await client.aclose()
    assert seen.items == [1, "sync"]


async def test_socket_once_handler_answers_the_ack(wire) -> None:
    io = Server()
    io.on("connection", lambda socket: socket.once("double", lambda n: n * 2))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("double", 21, ack_id=1)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == "31[42]"


async def test_socket_off_and_remove_listener_remove_one_handler(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        def first(value: int) -> None:
            seen("first", value)

        def second(value: int) -> None:
            seen("second", value)

        socket.on("ping", first)
        socket.on("ping", second)
        socket.on("stop-first", lambda: socket.off("ping", first))
        socket.on("stop-second", lambda: socket.remove_listener("ping", second))
        socket.on("sync", lambda: seen("sync"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("ping", 1)
            await client.emit("stop-first")
            await client.emit("ping", 2)
            await client.emit("stop-second")
            await client.emit("ping", 3)
            await client.emit("sync")
            await seen.wait_for(4)
            await client.aclose()
    assert seen.items == [("first", 1), ("second", 1), ("second", 2), "sync"]


async def test_socket_remove_all_listeners_and_listeners(wire) -> None:
    io, sockets = Server(), wire.Seen()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            await client.aclose()

    def a() -> None: ...
    def b() -> None: ...

    socket.on("x", a)
    socket.once("x", b)
    socket.on("y", a)
    listed = socket.listeners("x")
    socket.remove_all_listeners("x")
    after_one = (socket.listeners("x"), socket.listeners("y"))
    socket.remove_all_listeners()
    assert listed == [a, b]
    assert after_one == ([], [a])
    assert socket.listeners("y") == []


async def test_conn_once_upgrade_gets_a_transport_with_its_name(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        seen("initial", socket.conn.transport.name)
        socket.conn.once(
            "upgrade",
            lambda transport: seen("upgraded", transport.name, socket.conn.transport.name),
        )

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            sid = wire.open_packet((await http.request("GET", POLLING)).text)["sid"]
            polling = f"{POLLING}&sid={sid}"
            await http.request("POST", polling, b"40")
            await http.request("GET", polling)
            ws = await wire.ws(port, f"/socket.io/?EIO=4&transport=websocket&sid={sid}")
            await ws.send_message("2probe")
            await ws.receive_message()
            await ws.send_message("5")
            items = await seen.wait_for(2)
            await ws.aclose()
            await http.aclose()
    assert items == [("initial", "polling"), ("upgraded", "websocket", "websocket")]


async def test_conn_off_removes_a_close_listener(wire) -> None:
    io, seen, sockets = Server(), wire.Seen(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.conn.on("close", seen)
        socket.conn.on("close", lambda reason: sockets("other", reason))
        socket.conn.off("close", seen)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.aclose()
            await sockets.wait_for(1)
    assert seen.items == []
    assert sockets.items == [("other", "transport close")]


# -- socket.conn.transport --------------------------------------------------------------------


async def test_conn_transport_name_as_in_node_and_still_equal_to_the_name(wire) -> None:
    io, sockets = Server(), wire.Seen()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            transport = socket.conn.transport
            await client.aclose()
    assert transport.name == "websocket"
    assert transport == "websocket"
    assert socket.conn.transport.name == "websocket"  # the last one, once closed


# -- the handshake, and values that cannot be sent --------------------------------------------


async def test_handshake_acked_is_nodes_json_object(wire) -> None:
    io, sockets = Server(), wire.Seen()
    io.on("connection", sockets)
    io.on("connection", lambda socket: socket.on("handshake", lambda: socket.handshake))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port, auth={"token": "123"})
            (socket,) = await sockets.wait_for(1)
            await client.emit("handshake", ack_id=1)
            answer = await client.receive()
            await client.aclose()
    (sent,) = answer.data
    assert list(sent) == [
        "headers",
        "time",
        "address",
        "xdomain",
        "secure",
        "issued",
        "url",
        "query",
        "auth",
    ]
    assert sent == socket.handshake.to_dict()
    assert sent["auth"] == {"token": "123"}
    assert sent["query"]["EIO"] == "4"


async def test_handshake_emitted_is_nodes_json_object(wire) -> None:
    io = Server()
    io.on("connection", lambda socket: socket.emit("handshake", socket.handshake))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            event = await client.receive()
            await client.aclose()
    name, sent = event.data
    assert name == "handshake"
    assert sent["url"].startswith("/socket.io/?EIO=4&transport=websocket")
    assert sent["secure"] is False


class Opaque:
    """A value JSON cannot carry."""


async def test_unsendable_emit_fails_at_once_with_a_type_error_naming_type_and_position(
    wire,
) -> None:
    io, errors = Server(), wire.Seen()

    @io.on("connection")
    async def on_connection(socket: Socket) -> None:
        try:
            socket.emit("news", 1, Opaque())
        except TypeError as error:
            errors(str(error))
        try:
            await socket.timeout(1).emit_with_ack("news", Opaque())
        except TypeError as error:
            errors(str(error))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await errors.wait_for(2)
            await client.aclose()
    assert errors.items == [
        "cannot encode argument 2 of event 'news': a value of type Opaque",
        "cannot encode argument 1 of event 'news': a value of type Opaque",
    ]


async def test_unsendable_ack_fails_the_ack_call_which_can_then_answer(wire) -> None:
    io, errors = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        @socket.on("question")
        def question(ack: Ack) -> None:
            try:
                ack("fine", Opaque())
            except TypeError as error:
                errors(str(error))
            ack("fine")

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("question", ack_id=4)
            answer = await client.receive()
            await client.aclose()
    assert errors.items == [
        "cannot encode argument 2 of the acknowledgement: a value of type Opaque"
    ]
    assert answer.raw == '34["fine"]'


# -- io.close() from a handler ----------------------------------------------------------------

GRACE = 10.0
"""Longer than the test's timeout: a close that waits on its own handler fails the test."""


async def test_io_close_from_a_handler_returns_promptly_and_runs_every_disconnect(
    wire,
) -> None:
    io, seen, returned = Server(), wire.Seen(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("disconnecting", lambda reason: seen("disconnecting", socket.id, reason))
        socket.on("disconnect", lambda reason: seen("disconnect", socket.id, reason))

        @socket.on("shutdown")
        async def shutdown() -> None:
            started = anyio.current_time()
            await io.close(grace=GRACE)  # waiting on itself, it would take all of it
            returned(anyio.current_time() - started)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            _, port = await tasks.start(io.serve, "127.0.0.1", 0)
            caller = await wire.connected(port)
            other = await wire.connected(port)
            started = anyio.current_time()
            await caller.emit("shutdown")
            # serve() returns once every handler, the caller's included, has finished
        stopped_after = anyio.current_time() - started
        await caller.aclose()
        await other.aclose()
    (close_took,) = returned.items
    assert close_took < 1.0
    assert stopped_after < 2.0  # far from the grace: nothing waited on itself
    by_socket: dict[str, list[tuple[str, str]]] = {}
    for event, socket_id, reason in seen.items:
        by_socket.setdefault(socket_id, []).append((event, reason))
    assert (
        list(by_socket.values())
        == [[("disconnecting", "server shutting down"), ("disconnect", "server shutting down")]]
        * 2
    )


async def test_namespace_once_connection_runs_for_the_first_socket_only(wire) -> None:
    io, seen, all_sockets = Server(), wire.Seen(), wire.Seen()
    io.sockets.once("connection", seen)
    io.on("connection", all_sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            first = await wire.connected(port)
            second = await wire.connected(port)
            await all_sockets.wait_for(2)
            await first.aclose()
            await second.aclose()
    assert seen.items == [all_sockets.items[0]]


async def test_namespace_off_connect_removes_a_connection_handler(wire) -> None:
    io, seen, all_sockets = Server(), wire.Seen(), wire.Seen()
    io.on("connect", seen)
    io.on("connection", all_sockets)
    io.sockets.off("connect", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await all_sockets.wait_for(1)
            await client.aclose()
    assert seen.items == []
    assert io.sockets.listeners("connection") == [all_sockets]


async def test_unsendable_return_value_is_logged_naming_the_argument(wire, caplog) -> None:
    """A handler's return value has no caller to raise to: the log says what cannot be sent."""
    io, done = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("question", lambda: Opaque())
        socket.on("sync", lambda: done("sync"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("question", ack_id=2)
            await client.emit("sync")
            await done.wait_for(1)
            await client.aclose()
    (record,) = [r for r in caplog.records if "cannot be sent" in r.getMessage()]
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == (
        "cannot encode argument 1 of the acknowledgement: a value of type Opaque"
    )
