"""sio_anyio.Server: sockets leaving, the connection under them, shutdown, other paths."""

from __future__ import annotations

import anyio
import pytest
from sio_anyio import Server, Socket

from sio_core.http import HttpRequest, HttpResponse

pytestmark = pytest.mark.anyio

TIMEOUT = 5
POLLING = "/socket.io/?EIO=4&transport=polling"


def watch(seen, *events: str):
    """A connection handler recording ``(event, *args)`` for the socket events named."""

    def on_connection(socket: Socket) -> None:
        for event in events:
            socket.on(event, lambda *args, event=event: seen(event, *args))

    return on_connection


async def test_socket_disconnect_sends_disconnect_and_reports_server_reason(wire) -> None:
    io, sockets, seen = Server(), wire.Seen(), wire.Seen()
    io.on("connection", sockets)
    io.on("connection", watch(seen, "disconnecting", "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            socket.disconnect()
            notice = await client.receive()
            items = await seen.wait_for(2)
            await client.aclose()
    assert notice.raw == "1"
    assert items == [
        ("disconnecting", "server namespace disconnect"),
        ("disconnect", "server namespace disconnect"),
    ]
    assert socket.disconnected


async def test_socket_disconnect_keeps_the_connection_open(wire) -> None:
    io, sockets = Server(), wire.Seen()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            socket.disconnect()
            await client.receive()
            again = await client.join()
            await client.aclose()
    assert again.type == 0
    assert again.data["sid"] != socket.id


async def test_socket_disconnect_with_close_closes_the_connection(wire) -> None:
    io, sockets, seen = Server(), wire.Seen(), wire.Seen()
    io.on("connection", sockets)
    io.on("connection", watch(seen, "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            socket.disconnect(close=True)
            packets = await client.until_closed()
            items = await seen.wait_for(1)
            await client.aclose()
    assert [p.raw for p in packets] == ["1"]
    assert items == [("disconnect", "server namespace disconnect")]


async def test_disconnecting_handler_still_sees_the_rooms(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.join(["a", "b"])
        socket.on("disconnecting", lambda reason: seen("disconnecting", socket.rooms))
        socket.on("disconnect", lambda reason: seen("disconnect", socket.rooms))
        seen("joined", socket.id)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            [(_, socket_id)] = await seen.wait_for(1)
            await client.send("1")
            items = await seen.wait_for(3)
            await client.aclose()
    assert items[1:] == [("disconnecting", {socket_id, "a", "b"}), ("disconnect", set())]


async def test_client_disconnect_packet_reports_client_reason(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", watch(seen, "disconnecting", "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.send("1")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == [
        ("disconnecting", "client namespace disconnect"),
        ("disconnect", "client namespace disconnect"),
    ]


async def test_client_leaving_one_namespace_keeps_the_other(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.of("/admin").on("connection", watch(seen, "disconnect"))
    io.on("connection", lambda socket: socket.on("ping", lambda: "pong"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.join("/admin")
            await client.send("1/admin,")
            items = await seen.wait_for(1)
            await client.emit("ping", ack_id=1)
            pong = await client.receive()
            await client.aclose()
    assert items == [("disconnect", "client namespace disconnect")]
    assert pong.raw == '31["pong"]'


async def test_connection_dropped_by_the_client_reports_transport_close(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", watch(seen, "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.aclose()
            items = await seen.wait_for(1)
    assert items == [("disconnect", "transport close")]


async def test_silent_client_is_disconnected_with_ping_timeout(wire) -> None:
    io, seen = Server(ping_interval=0.1, ping_timeout=0.1), wire.Seen()
    io.on("connection", watch(seen, "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            items = await seen.wait_for(1)
            await client.aclose()
    assert items == [("disconnect", "ping timeout")]


async def test_client_answering_pings_stays_connected(wire) -> None:
    io, seen = Server(ping_interval=0.1, ping_timeout=0.1), wire.Seen()
    io.on("connection", watch(seen, "disconnect"))
    io.on("connection", lambda socket: socket.on("ping", lambda: "pong"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            pings = []
            for _ in range(3):
                pings.append(await client.ws.receive_message())
                await client.ws.send_message("3")
            await client.emit("ping", ack_id=1)
            pong = await client.receive()
            items = list(seen.items)
            await client.aclose()
    assert pings == ["2", "2", "2"]
    assert pong.raw == '31["pong"]'
    assert items == []


async def test_connection_without_a_namespace_is_closed_after_connect_timeout(wire) -> None:
    io = Server(connect_timeout=0.2)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            packets = await client.until_closed()
            await client.aclose()
    assert packets == []


async def test_socket_conn_reports_the_transport(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: seen(socket.conn.id, socket.conn.transport))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            [(conn_id, transport)] = await seen.wait_for(1)
            await client.aclose()
    assert conn_id == client.handshake["sid"]
    assert transport == "websocket"


async def test_conn_close_event_reports_the_reason(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: socket.conn.on("close", seen))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("anything")
            await client.aclose()
            items = await seen.wait_for(1)
    assert items == ["transport close"]


async def test_conn_close_closes_every_socket_on_it(wire) -> None:
    io, sockets, seen = Server(), wire.Seen(), wire.Seen()
    io.on("connection", sockets)
    io.on("connection", watch(seen, "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            socket.conn.close()
            await client.until_closed()
            items = await seen.wait_for(1)
            await client.aclose()
    assert items == [("disconnect", "forced close")]


async def test_upgrade_from_polling_to_websocket_fires_conn_upgrade(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        seen("transport", socket.conn.transport)
        socket.conn.on("upgrade", lambda transport: seen("upgrade", transport))
        socket.on("which", lambda: socket.conn.transport)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            opening = await http.request("GET", POLLING)
            sid = wire.open_packet(opening.text)["sid"]
            posted = await http.request("POST", f"{POLLING}&sid={sid}", b"40")
            connected = await http.request("GET", f"{POLLING}&sid={sid}")
            ws = await wire.ws(port, f"/socket.io/?EIO=4&transport=websocket&sid={sid}")
            await ws.send_message("2probe")
            probe = await ws.receive_message()
            await ws.send_message("5")
            items = await seen.wait_for(2)
            await ws.send_message('420["which"]')
            which = await ws.receive_message()
            await ws.aclose()
            await http.aclose()
    assert posted.text == "ok"
    assert connected.text.startswith("40{")
    assert probe == "3probe"
    assert items == [("transport", "polling"), ("upgrade", "websocket")]
    assert which == '430["websocket"]'


async def test_server_close_disconnects_every_socket_with_shutting_down(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", watch(seen, "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            one = await wire.connected(port)
            two = await wire.connected(port)
            await io.close()
            items = await seen.wait_for(2)
            closed = [await one.until_closed(), await two.until_closed()]
            await one.aclose()
            await two.aclose()
    assert items == [("disconnect", "server shutting down")] * 2
    assert closed == [[], []]


async def test_server_close_runs_async_disconnect_handlers_before_returning(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        async def on_disconnect(reason: str) -> None:
            await anyio.lowlevel.checkpoint()
            seen(reason)

        socket.on("disconnect", on_disconnect)
        seen("connected")

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await seen.wait_for(1)
            await io.close()
            after_close = list(seen.items)
            await client.aclose()
    assert after_close == ["connected", "server shutting down"]


async def test_server_close_returns_with_no_client(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io):
            await io.close()


async def test_fallback_serves_requests_outside_the_socketio_path(wire) -> None:
    seen = wire.Seen()

    async def fallback(request: HttpRequest) -> HttpResponse:
        seen(request.method, request.path)
        return HttpResponse(status=200, headers=(("Content-Type", "text/plain"),), body=b"hi")

    io = Server(fallback=fallback)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            response = await http.request("GET", "/hello")
            await http.aclose()
    assert response.status == 200
    assert response.text == "hi"
    assert seen.items == [("GET", "/hello")]


async def test_other_paths_are_not_found_without_a_fallback(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            response = await http.request("GET", "/hello")
            await http.aclose()
    assert response.status == 404


async def test_malformed_packet_closes_that_connection_with_forced_close(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", watch(seen, "error", "disconnect"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.send("2{bad")
            packets = await client.until_closed()
            items = await seen.wait_for(2)
            await client.aclose()
    assert packets == []
    assert items[0][0] == "error"
    assert isinstance(items[0][1], Exception)
    assert items[1] == ("disconnect", "forced close")


async def test_malformed_packet_leaves_other_clients_working(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", watch(seen, "disconnect"))
    io.on("connection", lambda socket: socket.on("ping", lambda: "pong"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            bad = await wire.connected(port)
            good = await wire.connected(port)
            await bad.send("2{bad")
            await bad.until_closed()
            await seen.wait_for(1)
            await good.emit("ping", ack_id=3)
            pong = await good.receive()
            items = list(seen.items)
            await bad.aclose()
            await good.aclose()
    assert pong.raw == '33["pong"]'
    assert items == [("disconnect", "forced close")]


async def test_disconnect_after_the_client_already_left_does_nothing(wire) -> None:
    """The handler of an earlier event calls disconnect() once the client's DISCONNECT is in."""
    io, seen = Server(), wire.Seen()
    gate = anyio.Event()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        async def slow() -> None:
            seen("started")
            await gate.wait()
            socket.disconnect()
            seen("finished")

        socket.on("slow", slow)
        socket.on("disconnect", lambda reason: seen("disconnect", reason))

    io.of("/sync").on("connection", lambda socket: socket.on("sync", lambda: "synced"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.join("/sync")
            await client.emit("slow")
            await seen.wait_for(1)
            await client.send("1")
            await client.emit("sync", ack_id=1, nsp="/sync")
            synced = await client.receive()  # the core has handled the DISCONNECT by now
            gate.set()
            items = await seen.wait_for(3)
            await client.aclose()
    assert synced.raw == '3/sync,1["synced"]'
    assert items == ["started", "finished", ("disconnect", "client namespace disconnect")]


async def test_server_close_fires_conn_close_with_forced_close(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: socket.conn.on("close", seen))
    io.on("connection", lambda socket: seen("connected"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await seen.wait_for(1)
            await io.close()
            after_close = list(seen.items)
            await client.aclose()
    assert after_close == ["connected", "forced close"]


async def test_server_close_lets_disconnect_handlers_finish_their_awaits(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        async def on_disconnect(reason: str) -> None:
            for _ in range(50):
                await anyio.lowlevel.checkpoint()
            seen(reason)

        socket.on("disconnect", on_disconnect)
        seen("connected")

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            one = await wire.connected(port)
            two = await wire.connected(port)
            await seen.wait_for(2)
            await io.close()
            after_close = list(seen.items)
            await one.aclose()
            await two.aclose()
    assert after_close == [
        "connected",
        "connected",
        "server shutting down",
        "server shutting down",
    ]
