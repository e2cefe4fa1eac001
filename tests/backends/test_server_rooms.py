"""sio_anyio.Server: rooms, broadcasting with to / except_, and the server utilities."""

from __future__ import annotations

import anyio
import pytest
from sio_anyio import RemoteSocket, Server, Socket

pytestmark = pytest.mark.anyio

TIMEOUT = 5


class Room:
    """Clients joined to the main namespace, and their server-side sockets, by name."""

    def __init__(self, wire, io: Server) -> None:
        self.wire = wire
        self.io = io
        self.seen = wire.Seen()
        io.on("connection", self.seen)
        self.clients: dict[str, object] = {}
        self.sockets: dict[str, Socket] = {}

    async def add(self, port: int, *names: str) -> None:
        for name in names:
            self.clients[name] = await self.wire.connected(port)
            self.sockets[name] = (await self.seen.wait_for(len(self.sockets) + 1))[-1]

    async def who_gets(self, send) -> list[str]:
        """Run ``send``, then a sentinel to everyone; who received what ``send`` sent."""
        send()
        self.io.emit("sentinel")
        receivers = []
        for name, client in self.clients.items():
            if (await client.receive()).data[0] != "sentinel":
                receivers.append(name)
                assert (await client.receive()).data == ["sentinel"]
        return receivers

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def test_join_and_leave_change_the_socket_rooms(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann")
            ann = room.sockets["ann"]
            ann.join("a")
            ann.join(["b", "c"])
            joined = ann.rooms
            ann.leave("b")
            left = ann.rooms
            await room.aclose()
    assert joined == {ann.id, "a", "b", "c"}
    assert left == {ann.id, "a", "c"}


async def test_emit_to_a_room_reaches_its_members_only(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob", "cat")
            room.sockets["ann"].join("club")
            room.sockets["cat"].join("club")
            receivers = await room.who_gets(lambda: io.to("club").emit("news", 1))
            await room.aclose()
    assert receivers == ["ann", "cat"]


async def test_emit_to_several_rooms_reaches_each_member_once(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob", "cat")
            room.sockets["ann"].join(["x", "y"])
            room.sockets["bob"].join("y")
            receivers = await room.who_gets(lambda: io.to("x").to("y").emit("news"))
            await room.aclose()
    assert receivers == ["ann", "bob"]


async def test_emit_to_a_room_after_leaving_it_misses_the_socket(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            room.sockets["ann"].join("club")
            room.sockets["bob"].join("club")
            room.sockets["ann"].leave("club")
            receivers = await room.who_gets(lambda: io.in_("club").emit("news"))
            await room.aclose()
    assert receivers == ["bob"]


async def test_emit_to_a_socket_id_reaches_that_socket(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            bob_id = room.sockets["bob"].id
            receivers = await room.who_gets(lambda: io.to(bob_id).emit("private"))
            await room.aclose()
    assert receivers == ["bob"]


async def test_socket_to_a_room_excludes_the_sender(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob", "cat")
            for name in ("ann", "bob"):
                room.sockets[name].join("club")
            ann = room.sockets["ann"]
            receivers = await room.who_gets(lambda: ann.to("club").emit("from ann"))
            await room.aclose()
    assert receivers == ["bob"]


async def test_socket_broadcast_reaches_everyone_but_the_sender(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob", "cat")
            bob = room.sockets["bob"]
            receivers = await room.who_gets(lambda: bob.broadcast.emit("from bob"))
            await room.aclose()
    assert receivers == ["ann", "cat"]


async def test_except_leaves_out_the_members_of_a_room(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob", "cat")
            room.sockets["bob"].join("muted")
            receivers = await room.who_gets(lambda: io.except_("muted").emit("news"))
            await room.aclose()
    assert receivers == ["ann", "cat"]


async def test_to_and_except_combine(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob", "cat")
            for name in ("ann", "bob", "cat"):
                room.sockets[name].join("club")
            room.sockets["cat"].join("muted")
            receivers = await room.who_gets(lambda: io.to("club").except_("muted").emit("news"))
            await room.aclose()
    assert receivers == ["ann", "bob"]


async def test_broadcast_operator_is_immutable_and_reusable(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            room.sockets["ann"].join("a")
            room.sockets["bob"].join("b")
            to_a = io.to("a")
            to_a.to("b")
            receivers = await room.who_gets(lambda: to_a.emit("news"))
            await room.aclose()
    assert receivers == ["ann"]


async def test_broadcast_in_a_namespace_stays_in_it(wire) -> None:
    io, admins = Server(), wire.Seen()
    io.of("/admin").on("connection", admins)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            main = await wire.connected(port)
            admin = await wire.connected(port, "/admin")
            await admins.wait_for(1)
            io.of("/admin").emit("only admins")
            io.emit("everyone in /")
            got = [(await admin.receive()).raw, (await main.receive()).raw]
            await main.aclose()
            await admin.aclose()
    assert got == ['2/admin,["only admins"]', '2["everyone in /"]']


async def test_fetch_sockets_gives_a_snapshot_with_rooms_and_data(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            ann = room.sockets["ann"]
            ann.data = {"name": "ann"}
            ann.join("club")
            snapshots = await io.in_("club").fetch_sockets()
            ann.data = {"name": "changed later"}
            ann.join("later")
            await room.aclose()
    [snapshot] = snapshots
    assert snapshot.id == ann.id
    assert snapshot.rooms == {ann.id, "club"}
    assert snapshot.data == {"name": "ann"}
    assert snapshot.handshake == ann.handshake


async def test_fetch_sockets_lists_every_socket_of_the_namespace(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            snapshots = await io.fetch_sockets()
            await room.aclose()
    assert {s.id for s in snapshots} == {s.id for s in room.sockets.values()}


async def test_remote_socket_emit_and_join_act_on_the_live_socket(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann")
            [remote] = await io.fetch_sockets()
            remote.join("club")
            remote.emit("direct", 1)
            direct = await room.clients["ann"].receive()
            rooms = room.sockets["ann"].rooms
            await room.aclose()
    assert direct.raw == '2["direct",1]'
    assert "club" in rooms


async def test_sockets_join_puts_every_targeted_socket_in_rooms(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob", "cat")
            room.sockets["ann"].join("vip")
            room.sockets["bob"].join("vip")
            io.in_("vip").sockets_join("lounge")
            io.sockets_join(["all", "everyone"])
            rooms = {name: socket.rooms for name, socket in room.sockets.items()}
            receivers = await room.who_gets(lambda: io.to("lounge").emit("drinks"))
            await room.aclose()
    assert receivers == ["ann", "bob"]
    assert all({"all", "everyone"} <= r for r in rooms.values())
    assert "lounge" not in rooms["cat"]


async def test_sockets_leave_takes_every_targeted_socket_out_of_rooms(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            io.sockets_join("club")
            io.except_(room.sockets["bob"].id).sockets_leave("club")
            receivers = await room.who_gets(lambda: io.to("club").emit("news"))
            await room.aclose()
    assert receivers == ["bob"]


async def test_disconnect_sockets_disconnects_the_targeted_sockets(wire) -> None:
    io = Server()
    room = Room(wire, io)
    reasons = wire.Seen()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            room.sockets["ann"].on("disconnect", reasons)
            room.sockets["ann"].join("leaving")
            io.in_("leaving").disconnect_sockets()
            notice = await room.clients["ann"].receive()
            (reason,) = await reasons.wait_for(1)
            remaining = await io.fetch_sockets()
            await room.aclose()
    assert notice.raw == "1"
    assert reason == "server namespace disconnect"
    assert [s.id for s in remaining] == [room.sockets["bob"].id]


async def test_disconnect_sockets_with_close_closes_the_connections(wire) -> None:
    io = Server()
    room = Room(wire, io)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann", "bob")
            io.disconnect_sockets(close=True)
            packets = [await client.until_closed() for client in room.clients.values()]
            await room.aclose()
    assert [[p.raw for p in got] for got in packets] == [["1"], ["1"]]


async def test_rooms_are_left_when_the_socket_disconnects(wire) -> None:
    io = Server()
    room = Room(wire, io)
    left = wire.Seen()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await room.add(port, "ann")
            ann = room.sockets["ann"]
            ann.on("disconnect", left)
            ann.join("club")
            await room.clients["ann"].send("1")
            await left.wait_for(1)
            members = await io.in_("club").fetch_sockets()
            await room.aclose()
    assert members == []


async def gone_remote_socket(wire, io: Server, port: int) -> tuple[Room, RemoteSocket]:
    """A snapshot of a socket whose client has left since."""
    room = Room(wire, io)
    left = wire.Seen()
    await room.add(port, "ann")
    room.sockets["ann"].on("disconnect", left)
    [remote] = await io.fetch_sockets()
    await room.clients["ann"].send("1")
    await left.wait_for(1)
    return room, remote


async def test_remote_socket_of_a_gone_client_drops_emit(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            room, remote = await gone_remote_socket(wire, io, port)
            assert remote.emit("dropped")
            await room.aclose()


async def test_remote_socket_of_a_gone_client_ignores_join(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            room, remote = await gone_remote_socket(wire, io, port)
            remote.join("club")
            members = await io.in_("club").fetch_sockets()
            await room.aclose()
    assert members == []


async def test_remote_socket_of_a_gone_client_ignores_leave(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            room, remote = await gone_remote_socket(wire, io, port)
            remote.leave("club")
            await room.aclose()


async def test_remote_socket_of_a_gone_client_ignores_disconnect(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            room, remote = await gone_remote_socket(wire, io, port)
            remote.disconnect()
            await room.aclose()


async def test_room_joined_in_the_connection_handler_is_joined_before_the_client_knows(
    wire,
) -> None:
    """Node's order: the handler runs before the CONNECT leaves, so a broadcast the client
    triggers right after connecting already reaches it."""
    io = Server()

    @io.on("connection")
    async def on_connection(socket: Socket) -> None:
        socket.join("all")
        socket.on("shout", lambda: io.to("all").emit("heard"))
        await anyio.sleep(0)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            for _ in range(5):
                client = await wire.connected(port)
                await client.emit("shout")
                assert (await client.receive()).raw == '2["heard"]'
                await client.aclose()
