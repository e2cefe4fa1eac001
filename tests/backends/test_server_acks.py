"""sio_anyio.Server: the server asking for acknowledgements, to one socket or to many."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from sio_anyio import AckTimeoutError, Server, Socket, SocketGoneError

pytestmark = pytest.mark.anyio

TIMEOUT = 5


class Outcome:
    """The result, or the exception, of one awaited call run in the background."""

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = anyio.Event()

    async def capture(self, call: Any) -> None:
        try:
            self.value = await call()
        except Exception as error:
            self.error = error
        finally:
            self.done.set()


async def test_emit_with_ack_resolves_with_the_client_answer(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: socket.emit_with_ack("question", 1))
            question = await client.receive()
            await client.send(f'3{question.id}["answer"]')
            await outcome.done.wait()
            await client.aclose()
    assert question.data == ["question", 1]
    assert question.id is not None
    assert outcome.value == "answer"


async def test_emit_with_ack_gives_a_tuple_for_several_answer_arguments(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: socket.emit_with_ack("question"))
            question = await client.receive()
            await client.send(f'3{question.id}[1,"two"]')
            await outcome.done.wait()
            await client.aclose()
    assert outcome.value == (1, "two")


async def test_emit_with_ack_in_a_namespace_is_answered_in_that_namespace(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.of("/admin").on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port, "/admin")
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: socket.emit_with_ack("question"))
            question = await client.receive()
            await client.send(f"3/admin,{question.id}[true]")
            await outcome.done.wait()
            await client.aclose()
    assert question.nsp == "/admin"
    assert outcome.value is True


async def test_emit_with_ack_from_a_handler_does_not_block_the_answer(wire) -> None:
    io = Server()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        async def relay() -> Any:
            return await socket.emit_with_ack("inner")

        socket.on("relay", relay)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("relay", ack_id=7)
            inner = await client.receive()
            await client.send(f'3{inner.id}["from the client"]')
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == '37["from the client"]'


async def test_emit_with_ack_times_out_without_an_answer(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: socket.timeout(0.2).emit_with_ack("q"))
            await client.receive()
            await outcome.done.wait()
            await client.aclose()
    assert isinstance(outcome.error, AckTimeoutError)


async def test_timeout_applies_to_the_next_emit_with_ack_only(wire) -> None:
    io, sockets = Server(), wire.Seen()
    first, second = Outcome(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(first.capture, lambda: socket.timeout(0.2).emit_with_ack("q1"))
            await client.receive()
            await first.done.wait()
            tasks.start_soon(second.capture, lambda: socket.emit_with_ack("q2"))
            question = await client.receive()
            with anyio.move_on_after(0.4):
                await second.done.wait()
            unresolved = not second.done.is_set()
            await client.send(f'3{question.id}["late but fine"]')
            await second.done.wait()
            await client.aclose()
    assert isinstance(first.error, AckTimeoutError)
    assert unresolved
    assert second.value == "late but fine"


async def test_late_answer_after_a_timeout_is_ignored(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    io.on("connection", lambda socket: socket.on("ping", lambda: "pong"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: socket.timeout(0.2).emit_with_ack("q"))
            question = await client.receive()
            await outcome.done.wait()
            await client.send(f'3{question.id}["too late"]')
            await client.emit("ping", ack_id=1)
            pong = await client.receive()
            await client.aclose()
    assert isinstance(outcome.error, AckTimeoutError)
    assert pong.raw == '31["pong"]'


async def test_client_leaving_before_answering_raises_socket_gone(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: socket.emit_with_ack("q"))
            await client.receive()
            await client.send("1")
            await outcome.done.wait()
            await client.aclose()
    assert isinstance(outcome.error, SocketGoneError)


async def test_connection_dropping_before_answering_raises_socket_gone(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: socket.emit_with_ack("q"))
            await client.receive()
            await client.aclose()
            await outcome.done.wait()
    assert isinstance(outcome.error, SocketGoneError)


async def test_emit_with_ack_to_a_gone_socket_raises_socket_gone(wire) -> None:
    io, sockets, left, outcome = Server(), wire.Seen(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    io.on("connection", lambda socket: socket.on("disconnect", left))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            await client.send("1")
            await left.wait_for(1)
            await outcome.capture(lambda: socket.emit_with_ack("q"))
            await client.aclose()
    assert isinstance(outcome.error, SocketGoneError)


async def test_broadcast_with_ack_collects_one_answer_per_socket(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            one = await wire.connected(port)
            two = await wire.connected(port)
            await sockets.wait_for(2)
            tasks.start_soon(outcome.capture, lambda: io.timeout(1).emit_with_ack("vote", "?"))
            for client, answer in ((one, "yes"), (two, "no")):
                question = await client.receive()
                await client.send(f'3{question.id}["{answer}"]')
            await outcome.done.wait()
            await one.aclose()
            await two.aclose()
    assert question.data == ["vote", "?"]
    assert sorted(outcome.value) == ["no", "yes"]


async def test_broadcast_with_ack_times_out_with_the_answers_that_came(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            one = await wire.connected(port)
            two = await wire.connected(port)
            await sockets.wait_for(2)
            tasks.start_soon(outcome.capture, lambda: io.timeout(0.3).emit_with_ack("vote"))
            question = await one.receive()
            await two.receive()
            await one.send(f'3{question.id}["yes"]')
            await outcome.done.wait()
            await one.aclose()
            await two.aclose()
    assert isinstance(outcome.error, AckTimeoutError)
    assert outcome.error.responses == ["yes"]


async def test_broadcast_with_ack_to_nobody_resolves_to_an_empty_list(wire) -> None:
    io, outcome = Server(), Outcome()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io):
            await outcome.capture(lambda: io.timeout(1).emit_with_ack("vote"))
    assert outcome.error is None
    assert outcome.value == []


async def test_broadcast_with_ack_needs_a_timeout(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io):
            with pytest.raises(ValueError, match="timeout"):
                await io.to("room").emit_with_ack("vote")


async def test_broadcast_with_a_zero_timeout_times_out_at_once(wire) -> None:
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            await sockets.wait_for(1)
            tasks.start_soon(outcome.capture, lambda: io.timeout(0).emit_with_ack("vote"))
            await outcome.done.wait()
            vote = await client.receive()
            await client.aclose()
    assert isinstance(outcome.error, AckTimeoutError)
    assert vote.data == ["vote"]


async def test_ack_timeout_counts_from_the_emit_even_after_a_quiet_spell(wire) -> None:
    # The core's clock moves only with inputs; after a quiet second, a timeout counted from
    # its last input would already be over when the question leaves.
    io, sockets, outcome = Server(), wire.Seen(), Outcome()
    io.on("connection", sockets)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            client = await wire.connected(port)
            (socket,) = await sockets.wait_for(1)
            await anyio.sleep(1.0)  # the quiet spell itself is the point of this test
            ask = socket.timeout(0.8).emit_with_ack
            tasks.start_soon(outcome.capture, lambda: ask("question"))
            question = await client.receive()
            await client.send(f'3{question.id}["in time"]')
            await outcome.done.wait()
            await client.aclose()
    assert outcome.error is None
    assert outcome.value == "in time"
