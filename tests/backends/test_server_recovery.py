"""sio_anyio.Server with connection state recovery: ``socket.recovered``, and the middlewares a
recovered socket skips (or not, per the option). The wire itself is the core's (tests/core);
the real socket.io-client runs against it in tests/interop/test_recovery_js_client.py."""

from __future__ import annotations

import anyio
import pytest
from sio_anyio import ConnectionStateRecovery, Server

pytestmark = pytest.mark.anyio

TIMEOUT = 5


class Visits:
    """A server whose middleware and connection handler note every socket they see."""

    def __init__(self, wire, **options: bool) -> None:
        recovery = ConnectionStateRecovery(**options)
        self.io = Server(connection_state_recovery=recovery)
        self.middleware_saw = wire.Seen()
        self.connected = wire.Seen()
        self.left = wire.Seen()
        self.io.use(lambda socket: self.middleware_saw(socket.id))
        self.io.on("connection", self._on_connection)
        self.wire = wire

    def _on_connection(self, socket) -> None:
        socket.on("disconnect", self.left)
        self.connected((socket.id, socket.recovered))

    async def drop_after_one_event(self, port: int) -> dict[str, str]:
        """A client connects, gets one event, and its connection fails; its recovery auth."""
        client = await self.wire.sio(port)
        reply = await client.join()
        self.io.emit("news")
        (_, offset) = (await client.receive()).data
        await client.aclose()
        await self.left.wait_for(1)
        return {"pid": reply.data["pid"], "offset": offset}


async def test_a_recovered_socket_is_flagged_and_skips_the_middlewares(wire) -> None:
    visits = Visits(wire)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(visits.io) as port:
            auth = await visits.drop_after_one_event(port)
            back = await wire.sio(port)
            await back.join(auth=auth)
            seen = await visits.connected.wait_for(2)
            await back.aclose()
    (first_id, first_recovered), (second_id, second_recovered) = seen
    assert (first_recovered, second_recovered) == (False, True)
    assert first_id == second_id
    assert visits.middleware_saw.items == [first_id]


async def test_with_skip_middlewares_off_a_recovered_socket_meets_them(wire) -> None:
    visits = Visits(wire, skip_middlewares=False)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(visits.io) as port:
            auth = await visits.drop_after_one_event(port)
            back = await wire.sio(port)
            await back.join(auth=auth)
            seen = await visits.connected.wait_for(2)
            await back.aclose()
    assert [recovered for _, recovered in seen] == [False, True]
    assert len(visits.middleware_saw.items) == 2


async def test_a_socket_that_could_not_recover_is_fresh_and_meets_the_middlewares(wire) -> None:
    visits = Visits(wire)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(visits.io) as port:
            auth = await visits.drop_after_one_event(port)
            back = await wire.sio(port)
            await back.join(auth={**auth, "offset": "unknown"})
            seen = await visits.connected.wait_for(2)
            await back.aclose()
    (first_id, _), (second_id, second_recovered) = seen
    assert not second_recovered
    assert first_id != second_id
    assert len(visits.middleware_saw.items) == 2


async def test_an_answer_to_a_socket_that_left_and_recovered_since_is_dropped(wire) -> None:
    """The ack belongs to the socket that was asked; the recovered socket under the same id is
    another one, as in Node, and the late answer neither reaches it nor fails the handler."""
    visits = Visits(wire)
    release = anyio.Event()
    outcome = wire.Seen()

    async def slow(*args: object, ack) -> None:
        await release.wait()
        try:
            ack("late")
        except Exception as error:
            outcome(repr(error))
        else:
            outcome("answered")

    def on_connection(socket) -> None:
        socket.on("slow", slow)
        socket.conn.on("close", closed)  # the socket's own events wait for the slow handler

    closed = wire.Seen()
    visits.io.on("connection", on_connection)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(visits.io) as port:
            client = await wire.sio(port)
            reply = await client.join()
            visits.io.emit("news")
            (_, offset) = (await client.receive()).data
            await client.emit("slow", ack_id=7)
            await client.aclose()
            await closed.wait_for(1)
            back = await wire.sio(port)
            await back.join(auth={"pid": reply.data["pid"], "offset": offset})
            await visits.connected.wait_for(2)
            release.set()
            assert await outcome.wait_for(1) == ["answered"]
            visits.io.emit("after")
            packet = await back.receive()
            await back.aclose()
    assert packet.data[0] == "after"
