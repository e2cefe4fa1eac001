"""The backend's small parts on their own: fragment joining, the deadline timer, the server's
life cycle and its isolation from a failing handler."""

from __future__ import annotations

import math

import anyio
import pytest
from sio_anyio import EngineIOServer, Server
from sio_anyio._driver import Driver
from sio_anyio._timer import DeadlineTimer
from sio_anyio._ws_frames import TOO_LARGE, MessageAssembler
from wsproto.events import BytesMessage, TextMessage

from sio_core.events import Event, SocketErrored

TIMEOUT = 5


def test_message_of_exactly_the_cap_is_kept() -> None:
    assembler = MessageAssembler(limit=4)
    assert assembler.feed(BytesMessage(data=b"ab", message_finished=False)) is None
    assert assembler.feed(BytesMessage(data=b"cd")) == b"abcd"


def test_text_cap_counts_utf8_bytes() -> None:
    assembler = MessageAssembler(limit=3)
    assert assembler.feed(TextMessage(data="éé")) is TOO_LARGE


def test_overflow_is_reported_once_and_the_rest_of_the_message_dropped() -> None:
    assembler = MessageAssembler(limit=3)
    results = [
        assembler.feed(TextMessage(data="abcd", message_finished=False)),
        assembler.feed(TextMessage(data="efgh", message_finished=False)),
        assembler.feed(TextMessage(data="ij", message_finished=True)),
        assembler.feed(TextMessage(data="ok")),
    ]
    assert results == [TOO_LARGE, None, None, "ok"]


@pytest.mark.anyio
async def test_timer_fires_once_its_deadline_passes() -> None:
    fired: list[float] = []
    deadline = anyio.current_time() + 0.01
    timer = DeadlineTimer(lambda: None if fired else deadline, fired.append)
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(timer.run)
            while not fired:
                await anyio.sleep(0.005)
            tasks.cancel_scope.cancel()
    assert fired[0] >= deadline


@pytest.mark.anyio
async def test_rearming_wakes_a_timer_that_had_no_deadline() -> None:
    fired: list[float] = []
    timer = DeadlineTimer(lambda: None, fired.append)
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(timer.run)
            await anyio.sleep(0.01)
            timer.rearm(-math.inf)
            while not fired:
                await anyio.sleep(0.005)
            tasks.cancel_scope.cancel()
    assert len(fired) == 1


@pytest.mark.anyio
async def test_failing_handler_does_not_stop_the_server(wire) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("application bug")

    server = EngineIOServer(handler=broken)
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            _, port = await tasks.start(server.serve, "127.0.0.1", 0)
            client = await wire.http(port)
            first, second = await wire.handshake(client), await wire.handshake(client)
            await client.aclose()
            await server.close()
    assert first != second


@pytest.mark.anyio
async def test_close_stops_accepting_connections() -> None:
    server = EngineIOServer()
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            _, port = await tasks.start(server.serve, "127.0.0.1", 0)
            await server.close()
        with pytest.raises(OSError, match=r"refused|failed"):
            await anyio.connect_tcp("127.0.0.1", port)


@pytest.mark.anyio
async def test_a_service_runs_while_the_server_runs_and_a_close_does_not_wait_for_it(
    wire,
) -> None:
    io, seen = Server(), wire.Seen()

    async def service() -> None:
        seen("started")
        try:
            await anyio.sleep_forever()
        finally:
            seen("cancelled")

    io._context.add_service(service)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io):
            assert await seen.wait_for(1) == ["started"]
    assert seen.items == ["started", "cancelled"]


@pytest.mark.anyio
async def test_a_failing_service_is_logged_and_the_server_goes_on(
    wire, caplog: pytest.LogCaptureFixture
) -> None:
    io, seen = Server(), wire.Seen()

    async def broken() -> None:
        raise RuntimeError("service bug")

    io.on("connection", lambda socket: seen("connected"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            io._context.add_service(broken)  # while serving: it starts at once
            await wire.connected(port)
            await seen.wait_for(1)
    assert any("service" in r.getMessage() and r.exc_info for r in caplog.records)


class ClockCore:
    """Just enough of a core for the driver: it notes the time of each WebSocket message."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def receive_ws_message(self, ws_id: int, message: str | bytes, now: float) -> None:
        self.times.append(now)

    def events(self) -> list[Event]:
        return []

    def next_deadline(self) -> float | None:
        return None


@pytest.mark.anyio
async def test_driver_stamps_input_with_the_running_loop_clock_while_serving() -> None:
    core = ClockCore()
    driver = Driver(core, lambda event: None)  # type: ignore[type-var]
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(driver.run_timer)
            await anyio.sleep(0.01)
            before = anyio.current_time()
            driver.ws_message(1, "4hello")
            after = anyio.current_time()
            tasks.cancel_scope.cancel()
        driver.ws_message(1, "4again")  # no longer serving: the clock is looked up again
    assert before <= core.times[0] <= after
    assert after <= core.times[1] <= anyio.current_time()


class ScriptedCore:
    """A core that says what its commands tell it to, backlogged from ``backlog`` of them."""

    def __init__(self, backlog: int) -> None:
        self.backlog = backlog
        self._said: list[Event] = []

    @property
    def backlogged(self) -> bool:
        return len(self._said) >= self.backlog

    def say(self, event: Event) -> None:
        self._said.append(event)

    def events(self) -> list[Event]:
        said, self._said = self._said, []
        return said

    def next_deadline(self) -> float | None:
        return None


def _said(index: int) -> Event:
    return SocketErrored(socket_id=str(index), message="")


@pytest.mark.anyio
async def test_a_backlog_is_routed_before_the_callback_that_made_it_returns() -> None:
    core, routed = ScriptedCore(backlog=3), []
    driver = Driver(core, routed.append)  # type: ignore[type-var]
    routed_after_each: list[int] = []

    def burst() -> None:  # a handler emitting in a loop
        for index in range(5):
            driver.command(lambda core, index=index: core.say(_said(index)))
            routed_after_each.append(len(routed))

    driver.after_pump(burst)
    assert routed_after_each == [0, 0, 3, 3, 3]  # the third made a backlog: it left at once
    assert routed == [_said(index) for index in range(5)]  # the rest, in order, at the end


@pytest.mark.anyio
async def test_a_command_outside_a_callback_is_routed_at_once_whatever_the_backlog() -> None:
    core, routed = ScriptedCore(backlog=100), []
    driver = Driver(core, routed.append)  # type: ignore[type-var]
    driver.command(lambda core: core.say(_said(1)))
    assert routed == [_said(1)]
