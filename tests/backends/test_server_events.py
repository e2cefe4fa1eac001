"""sio_anyio.Server: events from the client, handlers, acks they answer, socket middlewares."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from sio_anyio import Ack, Server, Socket

from sio_core.errors import LocalProtocolError

pytestmark = pytest.mark.anyio

TIMEOUT = 5


def on_each_socket(io: Server, event: str, handler: Any) -> None:
    """Register ``handler`` for ``event`` on every socket of the main namespace."""
    io.on("connection", lambda socket: socket.on(event, handler))


async def test_sync_handler_gets_the_event_arguments(wire) -> None:
    io, seen = Server(), wire.Seen()
    on_each_socket(io, "hello", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("hello", 1, {"a": [True, None]}, "x")
            items = await seen.wait_for(1)
            await client.aclose()
    assert items == [(1, {"a": [True, None]}, "x")]


async def test_async_handler_gets_the_event_arguments(wire) -> None:
    io, seen = Server(), wire.Seen()

    async def handler(*args: Any) -> None:
        await anyio.lowlevel.checkpoint()
        seen(*args)

    on_each_socket(io, "hello", handler)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("hello", "world")
            items = await seen.wait_for(1)
            await client.aclose()
    assert items == ["world"]


async def test_every_handler_of_an_event_is_called_in_order(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("hello", lambda: seen("first"))
        socket.on("hello", lambda: seen("second"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("hello")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == ["first", "second"]


async def test_sync_handler_return_value_becomes_the_ack(wire) -> None:
    io = Server()
    on_each_socket(io, "double", lambda n: n * 2)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("double", 21, ack_id=5)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == "35[42]"


async def test_async_handler_return_value_becomes_the_ack(wire) -> None:
    io = Server()

    async def double(n: int) -> int:
        await anyio.lowlevel.checkpoint()
        return n * 2

    on_each_socket(io, "double", double)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("double", 4, ack_id=0)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == "30[8]"


async def test_tuple_return_value_spreads_into_several_ack_arguments(wire) -> None:
    io = Server()
    on_each_socket(io, "pair", lambda: ("a", 1, None))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("pair", ack_id=2)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == '32["a",1,null]'


async def test_list_return_value_is_one_ack_argument(wire) -> None:
    io = Server()
    on_each_socket(io, "list", lambda: [1, 2])
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("list", ack_id=3)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == "33[[1,2]]"


async def test_ack_in_a_namespace_carries_the_namespace(wire) -> None:
    io = Server()
    io.of("/admin").on("connection", lambda socket: socket.on("echo", lambda x: x))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port, "/admin")
            await client.emit("echo", "hi", ack_id=9, nsp="/admin")
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == '3/admin,9["hi"]'


async def test_handler_taking_ack_answers_itself_once(wire) -> None:
    io, seen = Server(), wire.Seen()

    def handler(value: str, ack: Ack) -> str:
        ack("first", value)
        ack("second")
        seen(ack.sent)
        return "ignored"

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("ask", handler)
        socket.on("sentinel", lambda: "sentinel")

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("ask", "v", ack_id=1)
            await client.emit("sentinel", ack_id=2)
            answers = [(await client.receive()).raw, (await client.receive()).raw]
            await client.aclose()
    assert answers == ['31["first","v"]', '32["sentinel"]']
    assert seen.items == [True]


async def test_async_handler_taking_ack_may_answer_after_awaiting(wire) -> None:
    io = Server()

    async def handler(ack: Ack) -> None:
        await anyio.lowlevel.checkpoint()
        ack("late")

    on_each_socket(io, "ask", handler)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("ask", ack_id=4)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == '34["late"]'


async def test_events_of_one_socket_are_handled_in_order_across_awaits(wire) -> None:
    """The first handler awaits the client's ack; the second event, already sent, waits."""
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        async def first() -> None:
            seen("first started")
            seen("first got", await socket.emit_with_ack("question"))

        socket.on("first", first)
        socket.on("second", lambda: seen("second"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("first")
            await client.emit("second")
            question = await client.receive()
            await seen.wait_for(1)
            await client.send(f"3{question.id}[42]")
            items = await seen.wait_for(3)
            await client.aclose()
    assert items == ["first started", ("first got", 42), "second"]


async def test_many_events_keep_their_order(wire) -> None:
    io, seen = Server(), wire.Seen()

    async def handler(n: int) -> None:
        for _ in range(n % 3):
            await anyio.lowlevel.checkpoint()
        seen(n)

    on_each_socket(io, "n", handler)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            for n in range(30):
                await client.emit("n", n)
            items = await seen.wait_for(30)
            await client.aclose()
    assert items == list(range(30))


async def test_socket_middleware_sees_event_and_may_change_arguments(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        @socket.use
        def upper(event: str, args: list[Any]) -> None:
            seen("middleware", event)
            args[0] = args[0].upper()

        socket.on("say", lambda text: seen("handler", text))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("say", "hi")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == [("middleware", "say"), ("handler", "HI")]


async def test_socket_middleware_raising_goes_to_error_handler_not_event_handler(wire) -> None:
    io, seen = Server(), wire.Seen()
    refusal = PermissionError("not allowed")

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        @socket.use
        async def guard(event: str, args: list[Any]) -> None:
            if event == "secret":
                raise refusal

        socket.on("secret", lambda: seen("handler"))
        socket.on("error", lambda error: seen("error", error))
        socket.on("public", lambda: seen("public"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("secret")
            await client.emit("public")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == [("error", refusal), "public"]


async def test_on_any_sees_every_incoming_event_before_its_handler(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on_any(lambda event, *args: seen("any", event, *args))
        socket.on("b", lambda x: seen("handler", x))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("a", 1, 2)
            await client.emit("b", 3)
            items = await seen.wait_for(3)
            await client.aclose()
    assert items == [("any", "a", 1, 2), ("any", "b", 3), ("handler", 3)]


async def test_prepend_any_runs_before_the_other_catch_alls(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on_any(lambda event: seen("appended", event))
        socket.prepend_any(lambda event: seen("prepended", event))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("x")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == [("prepended", "x"), ("appended", "x")]


async def test_off_any_removes_a_catch_all(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        def removed(event: str, *args: Any) -> None:
            seen("removed", event)

        socket.on_any(removed)
        socket.on_any(lambda event, *args: seen("kept", event))
        socket.off_any(removed)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("x")
            items = await seen.wait_for(1)
            await client.emit("y")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == [("kept", "x"), ("kept", "y")]


async def test_off_removes_an_event_handler(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        def removed() -> None:
            seen("removed")

        socket.on("x", removed)
        socket.on("x", lambda: seen("kept"))
        socket.off("x", removed)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("x")
            await seen.wait_for(1)
            await client.emit("x")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == ["kept", "kept"]


async def test_on_any_outgoing_sees_what_the_socket_emits(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on_any_outgoing(lambda event, *args: seen(event, *args))
        socket.emit("greeting", "hi", 1)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            greeting = await client.receive()
            items = await seen.wait_for(1)
            await client.aclose()
    assert greeting.raw == '2["greeting","hi",1]'
    assert items == [("greeting", "hi", 1)]


async def test_handler_that_raises_does_not_stop_the_socket(wire) -> None:
    io = Server()

    def broken() -> None:
        raise RuntimeError("bug in the application")

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("broken", broken)
        socket.on("fine", lambda: "still here")

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("broken")
            await client.emit("fine", ack_id=1)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == '31["still here"]'


@pytest.mark.parametrize("event", ["connect", "disconnect", "disconnecting", "connect_error"])
async def test_emitting_a_reserved_event_raises(wire, event: str) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        try:
            socket.emit(event, 1)
        except LocalProtocolError as error:
            seen(error)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (error,) = await seen.wait_for(1)
            await client.aclose()
    assert isinstance(error, LocalProtocolError)


async def test_broadcasting_a_reserved_event_raises(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io):
            with pytest.raises(LocalProtocolError):
                io.emit("disconnecting")
            with pytest.raises(LocalProtocolError):
                io.to("room").emit("connect")


async def test_events_wait_for_an_async_connection_handler_to_register_handlers(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.on("connection")
    async def on_connection(socket: Socket) -> None:
        seen("connection", await socket.emit_with_ack("ready?"))
        socket.on("early", lambda: seen("early"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("early")
            question = await client.receive()
            await client.send(f'3{question.id}["yes"]')
            items = await seen.wait_for(2)
            await client.aclose()
    assert items == [("connection", "yes"), "early"]


async def test_binary_attachment_reaches_the_handler_as_bytes(wire) -> None:
    io, seen = Server(), wire.Seen()
    on_each_socket(io, "upload", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.send('51-["upload","name",{"_placeholder":true,"num":0}]')
            await client.ws.send_message(b"\x00\x01\xff")
            items = await seen.wait_for(1)
            await client.aclose()
    assert items == [("name", b"\x00\x01\xff")]


async def test_events_a_handler_emits_in_a_loop_arrive_in_order_before_its_answer(wire) -> None:
    # 100 emits make a backlog several times over: it leaves before the handler returns.
    io = Server()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        @socket.on("burst")
        def burst(count: int) -> str:
            for index in range(count):
                io.emit("tick", index)
                socket.emit("own", index)
            return "done"

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("burst", 100, ack_id=1)
            packets = [await client.receive() for _ in range(201)]
            await client.aclose()
    assert [packet.data for packet in packets[:200]] == [
        [name, index] for index in range(100) for name in ("tick", "own")
    ]
    assert (packets[200].type, packets[200].id, packets[200].data) == (3, 1, ["done"])
