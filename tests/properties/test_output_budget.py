"""The output budget keeps its running total of unwritten bytes equal to the sum it stands for,
whatever the backend reports unwritten and whichever WebSockets come and go."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sio_core.engineio._budget import OutputBudget

WS_IDS = st.integers(min_value=1, max_value=3)
SIZES = st.integers(min_value=-10, max_value=5_000)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("unwritten"), WS_IDS, SIZES),
        st.tuples(st.just("forget"), WS_IDS, st.just(0)),
    ),
    max_size=60,
)


@given(STEPS)
def test_buffered_is_always_the_outbox_plus_every_unwritten_byte(steps) -> None:
    budget = OutputBudget(limit=16_000)
    for step, ws_id, size in steps:
        if step == "unwritten":
            budget.unwritten_now(ws_id, size)
            assert budget.unwritten[ws_id] == max(0, size)
        else:
            budget.forget(ws_id)
        assert budget.buffered == budget.outbox.size + sum(budget.unwritten.values())
        assert all(left >= 0 for left in budget.unwritten.values())
