"""A Turn lets the other tasks run after so many items, or so many bytes, and never between."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest
from sio_anyio._turns import Turn

pytestmark = pytest.mark.anyio


async def _observed_while(work: int, spend: tuple[int, ...]) -> list[int]:
    """How many items a busy task had done each time another ready task got to run."""
    turn = Turn(items=4, size=100)
    done = 0
    seen: list[int] = []

    async def watch() -> None:
        while done < work:
            seen.append(done)
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch)
        await anyio.lowlevel.checkpoint()  # the watcher is running
        for size in spend:
            done += 1
            await turn.spend(size)
    return seen


async def test_others_run_only_between_turns_of_so_many_items() -> None:
    seen = await _observed_while(12, (0,) * 12)
    assert all(count % 4 == 0 for count in seen), seen
    assert any(0 < count < 12 for count in seen), seen


async def test_a_turn_ends_early_once_its_items_add_up_to_its_bytes() -> None:
    seen = await _observed_while(6, (60, 60, 0, 0, 200, 0))
    assert set(seen) <= {0, 2, 5, 6}, seen
    assert any(count in (2, 5) for count in seen), seen


async def test_a_rest_gives_the_turn_back_in_full() -> None:
    """Checked by cancellation, which a checkpoint raises and nothing else here does."""
    turn = Turn(items=2, size=100)
    with anyio.CancelScope() as waiting_client:
        waiting_client.cancel()
        for _ in range(10):  # an item, then a wait: a client sending one message at a time
            await turn.spend()
            turn.rest()
    assert not waiting_client.cancelled_caught  # it never yielded on top of its waits
    with anyio.CancelScope() as busy_client:
        busy_client.cancel()
        await turn.spend()
        await turn.spend()  # two items in a row without a rest: the turn is over
    assert busy_client.cancelled_caught
