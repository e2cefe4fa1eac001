"""The deadline heap behind ``next_deadline()``: one live deadline per key, earliest first."""

from __future__ import annotations

from sio_core._deadlines import Deadlines, EarliestOf


def test_empty_heap_has_no_next_deadline() -> None:
    assert Deadlines[str]().next() is None


def test_next_is_the_earliest_deadline() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("late", 30.0)
    deadlines.set("early", 10.0)
    deadlines.set("middle", 20.0)
    assert deadlines.next() == 10.0


def test_get_tells_when_a_key_falls_due() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 5.0)
    assert (deadlines.get("a"), deadlines.get("b")) == (5.0, None)


def test_rearming_a_key_replaces_its_deadline() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 5.0)
    deadlines.set("a", 50.0)
    assert deadlines.get("a") == 50.0
    assert deadlines.next() == 50.0


def test_rearming_a_key_earlier_moves_it_forward() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 50.0)
    deadlines.set("a", 5.0)
    assert deadlines.next() == 5.0
    assert list(deadlines.pop_due(5.0)) == ["a"]
    assert deadlines.next() is None


def test_cancelled_key_is_not_next() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 5.0)
    deadlines.set("b", 7.0)
    deadlines.cancel("a")
    assert deadlines.next() == 7.0
    assert deadlines.get("a") is None


def test_cancelling_an_unknown_key_is_a_no_op() -> None:
    deadlines = Deadlines[str]()
    deadlines.cancel("never")
    assert deadlines.next() is None


def test_pop_due_yields_due_keys_earliest_first() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("c", 3.0)
    deadlines.set("a", 1.0)
    deadlines.set("b", 2.0)
    deadlines.set("later", 9.0)
    assert list(deadlines.pop_due(3.0)) == ["a", "b", "c"]
    assert deadlines.next() == 9.0


def test_pop_due_includes_a_deadline_exactly_at_now() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 4.0)
    assert list(deadlines.pop_due(3.999)) == []
    assert list(deadlines.pop_due(4.0)) == ["a"]


def test_pop_due_disarms_what_it_yields() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 1.0)
    list(deadlines.pop_due(1.0))
    assert deadlines.get("a") is None
    assert list(deadlines.pop_due(100.0)) == []


def test_equal_deadlines_pop_in_the_order_they_were_set() -> None:
    deadlines = Deadlines[str]()
    for key in ("x", "y", "z"):
        deadlines.set(key, 1.0)
    assert list(deadlines.pop_due(1.0)) == ["x", "y", "z"]


def test_rearmed_key_pops_once_at_its_new_time() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 1.0)
    deadlines.set("a", 2.0)
    assert list(deadlines.pop_due(1.5)) == []
    assert list(deadlines.pop_due(2.0)) == ["a"]
    assert list(deadlines.pop_due(10.0)) == []


def test_rearmed_to_the_same_time_pops_once() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("a", 1.0)
    deadlines.set("a", 1.0)
    assert list(deadlines.pop_due(1.0)) == ["a"]


def test_key_set_again_while_popping_is_yielded_when_due() -> None:
    """A timer that re-arms itself from its own callback (a ping) fires again only when due."""
    deadlines = Deadlines[str]()
    deadlines.set("tick", 1.0)
    fired = []
    for key in deadlines.pop_due(10.0):
        fired.append(key)
        if len(fired) < 3:
            deadlines.set(key, 1.0 + len(fired))
    assert fired == ["tick", "tick", "tick"]


def test_key_set_in_the_future_while_popping_waits() -> None:
    deadlines = Deadlines[str]()
    deadlines.set("tick", 1.0)
    fired = []
    for key in deadlines.pop_due(2.0):
        fired.append(key)
        deadlines.set(key, 5.0)
    assert fired == ["tick"]
    assert deadlines.next() == 5.0


def test_tuple_keys_are_independent() -> None:
    deadlines = Deadlines[tuple[str, str]]()
    deadlines.set(("s1", "ping"), 1.0)
    deadlines.set(("s1", "pong"), 2.0)
    deadlines.cancel(("s1", "ping"))
    assert list(deadlines.pop_due(5.0)) == [("s1", "pong")]


def test_many_cancelled_entries_do_not_hide_the_live_one() -> None:
    deadlines = Deadlines[int]()
    for key in range(1000):
        deadlines.set(key, float(key))
    for key in range(999):
        deadlines.cancel(key)
    assert deadlines.next() == 999.0
    assert list(deadlines.pop_due(1e9)) == [999]


def test_earliest_of_several_heaps_follows_each_change() -> None:
    heartbeats, acks = Deadlines[str](), Deadlines[str]()
    earliest = EarliestOf(heartbeats.next, acks.next)
    assert earliest() is None
    heartbeats.set("s1", 25.0)
    assert earliest() == 25.0
    acks.set("ack", 5.0)
    assert earliest() == 5.0
    acks.cancel("ack")
    assert earliest() == 25.0
    assert list(heartbeats.pop_due(25.0)) == ["s1"]
    assert earliest() is None


def test_earliest_of_is_not_looked_for_again_while_nothing_changed() -> None:
    heaps = Deadlines[str]()
    heaps.set("a", 1.0)
    looks = []

    def looked() -> float | None:
        looks.append(1)
        return heaps.next()

    earliest = EarliestOf(looked)
    assert (earliest(), earliest(), earliest()) == (1.0, 1.0, 1.0)
    heaps.cancel("missing")  # no change: nothing was armed
    assert earliest() == 1.0
    assert len(looks) == 1
