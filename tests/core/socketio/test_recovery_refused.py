"""When connection state recovery gives a fresh socket instead: no session, an expired one, an
offset no longer kept, forged or garbage input, another namespace's pid or offset. A fresh
socket is never someone else's: a new id, a new pid, no rooms, ``recovered`` false."""

from __future__ import annotations

import pytest

from sio_core import BroadcastOptions, ConnectionStateRecovery, SocketConfig, SocketServer
from sio_core.ids import CountingIds
from sio_core.socketio._recovery import InMemorySessionStore, Session
from sio_core.socketio.packets import PacketType


@pytest.fixture
def server() -> SocketServer:
    config = SocketConfig(connection_state_recovery=ConnectionStateRecovery())
    server = SocketServer(config, id_generator=CountingIds())
    server.namespaces.add("/admin")
    return server


def _dropped(recovering, server, nsp="/"):
    """A client that got one event, then lost its connection."""
    client = recovering.join(nsp)
    server.operations.broadcast(nsp, "news", [1])
    client.peer.harness.pump()
    client.events()
    client.drop()
    return client


def _assert_fresh(client, connecting, packets):
    """The socket is a new one (not ``client``'s), with nothing replayed."""
    assert not connecting.recovered
    assert connecting.socket_id != client.socket_id
    assert [p.type for p in packets] == [PacketType.CONNECT]


def _come_back_with(recovering, client, auth, nsp=None):
    back, connecting = recovering.ask(nsp or client.nsp, auth)
    return back, connecting, recovering.admit(back, connecting)


# -- what the client presents ---------------------------------------------------------------


def test_a_client_that_never_got_an_event_has_no_offset_and_gets_a_fresh_socket(
    recovering, server
):
    client = recovering.join()
    client.drop()
    _, connecting, packets = _come_back_with(recovering, client, {"pid": client.pid})
    _assert_fresh(client, connecting, packets)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda pid, offset: {"pid": 1, "offset": offset}, id="pid-number"),
        pytest.param(lambda pid, offset: {"pid": [pid], "offset": offset}, id="pid-list"),
        pytest.param(lambda pid, offset: {"pid": None, "offset": offset}, id="pid-null"),
        pytest.param(lambda pid, offset: {"pid": pid, "offset": 7}, id="offset-number"),
        pytest.param(lambda pid, offset: {"pid": pid, "offset": {"o": offset}}, id="offset-obj"),
        pytest.param(lambda pid, offset: {"offset": offset}, id="no-pid"),
    ],
)
def test_a_pid_or_offset_that_is_not_a_string_gives_a_fresh_socket(recovering, server, forge):
    client = _dropped(recovering, server)
    auth = forge(client.pid, client.offset)
    _, connecting, packets = _come_back_with(recovering, client, auth)
    _assert_fresh(client, connecting, packets)


def test_a_forged_pid_gives_a_fresh_socket_and_leaves_the_real_session(recovering, server):
    client = _dropped(recovering, server)
    forged = {"pid": "A" * 20, "offset": client.offset}
    _, connecting, packets = _come_back_with(recovering, client, forged)
    _assert_fresh(client, connecting, packets)
    _, connecting, _ = recovering.come_back(client)
    assert connecting.recovered


def test_a_garbage_offset_gives_a_fresh_socket(recovering, server):
    client = _dropped(recovering, server)
    garbage = {"pid": client.pid, "offset": "not-an-offset\x00"}
    _, connecting, packets = _come_back_with(recovering, client, garbage)
    _assert_fresh(client, connecting, packets)


def test_a_fresh_socket_gets_a_pid_of_its_own(recovering, server):
    client = _dropped(recovering, server)
    back, _, _ = _come_back_with(recovering, client, {"pid": "forged", "offset": client.offset})
    assert back.pid not in (None, client.pid, "forged")


def test_a_session_is_restored_only_once(recovering, server):
    client = _dropped(recovering, server)
    _, connecting, _ = recovering.come_back(client)
    assert connecting.recovered
    _, again, packets = _come_back_with(recovering, client, client.auth())  # a copy of it
    _assert_fresh(client, again, packets)
    assert server.is_connected(client.socket_id)  # the first one, left alone


def test_a_session_is_taken_by_its_restore_not_left_for_another(recovering, server):
    client = _dropped(recovering, server)
    first, connecting, _ = recovering.come_back(client)
    assert connecting.recovered
    first.peer.io.disconnect()  # not recoverable: it leaves no session of its own
    _, again, packets = _come_back_with(recovering, client, client.auth())
    _assert_fresh(client, again, packets)


def test_the_pid_of_a_socket_still_connected_gives_a_fresh_socket(recovering, server):
    client = recovering.join()
    server.operations.broadcast("/", "news", [1])
    client.peer.harness.pump()
    client.events()
    _, connecting, packets = _come_back_with(recovering, client, client.auth())
    _assert_fresh(client, connecting, packets)
    assert server.is_connected(client.socket_id)


# -- a pid and its offsets belong to one namespace ---------------------------------------------


def test_an_offset_from_another_namespace_gives_a_fresh_socket(recovering, server):
    main = _dropped(recovering, server, "/")
    admin = _dropped(recovering, server, "/admin")
    borrowed = {"pid": admin.pid, "offset": main.offset}
    _, connecting, packets = _come_back_with(recovering, admin, borrowed)
    _assert_fresh(admin, connecting, packets)


def test_a_pid_from_another_namespace_gives_a_fresh_socket_there(recovering, server):
    main = _dropped(recovering, server, "/")
    admin = _dropped(recovering, server, "/admin")
    borrowed = {"pid": main.pid, "offset": admin.offset}
    _, connecting, packets = _come_back_with(recovering, admin, borrowed, nsp="/admin")
    _assert_fresh(admin, connecting, packets)
    _, connecting, _ = recovering.come_back(main)  # and its own namespace still has it
    assert connecting.recovered


# -- expiry -------------------------------------------------------------------------------------


def test_a_session_is_restored_until_max_disconnection_duration_has_passed(recovering, server):
    client = _dropped(recovering, server)
    client.peer.harness.advance(120.0)
    _, connecting, _ = recovering.come_back(client)
    assert connecting.recovered


def test_an_expired_session_gives_a_fresh_socket(recovering, server):
    client = _dropped(recovering, server)
    client.peer.harness.advance(120.001)
    _, connecting, packets = recovering.come_back(client)
    _assert_fresh(client, connecting, packets)


def test_an_offset_older_than_max_disconnection_duration_gives_a_fresh_socket(recovering, server):
    client = recovering.join()
    server.operations.broadcast("/", "news", [1])
    client.peer.harness.pump()
    client.events()
    for _ in range(10):  # stays connected for 100 s, answering pings, then drops
        client.peer.harness.advance(10.0)
        client.peer.answer_ping()
    client.drop()
    client.peer.harness.advance(20.001)  # the session is 20 s old, its offset 120.001 s
    _, connecting, packets = recovering.come_back(client)
    _assert_fresh(client, connecting, packets)


def test_the_purge_timer_runs_while_something_is_kept_and_stops_after(recovering, server):
    client = _dropped(recovering, server)
    armed = server.next_deadline()
    client.peer.harness.advance(200.0)
    assert armed == 60.0
    assert server.next_deadline() is None


# -- the memory bound -------------------------------------------------------------------------


def test_missed_events_within_the_cap_are_all_replayed(recovery_with):
    server, recovering = recovery_with(ConnectionStateRecovery(max_buffered_packets=3))
    client = _dropped(recovering, server)
    for number in range(2):
        server.operations.broadcast("/", "missed", [number])
    _, connecting, packets = recovering.come_back(client)
    assert connecting.recovered
    assert [p.data[:2] for p in packets if p.type is PacketType.EVENT] == [
        ["missed", 0],
        ["missed", 1],
    ]


def test_an_offset_pushed_out_by_the_cap_gives_a_fresh_socket_never_a_gap(recovery_with):
    server, recovering = recovery_with(ConnectionStateRecovery(max_buffered_packets=2))
    client = _dropped(recovering, server)
    for number in range(2):
        server.operations.broadcast("/", "missed", [number])
    _, connecting, packets = recovering.come_back(client)
    _assert_fresh(client, connecting, packets)


def test_the_store_keeps_at_most_max_buffered_packets():
    store = InMemorySessionStore(ConnectionStateRecovery(max_buffered_packets=3))
    for number in range(10):
        store.record(f"o{number}", BroadcastOptions(), (f"part{number}",), now=0.0)
    assert len(store) == 3


def test_the_store_forgets_events_and_sessions_when_they_expire():
    store = InMemorySessionStore(ConnectionStateRecovery(max_disconnection_duration=10.0))
    store.record("o1", BroadcastOptions(), ("part",), now=0.0)
    session = Session(sid="s", pid="p", rooms=frozenset({"s"}), data=None, disconnected_at=5.0)
    store.persist(session, now=5.0)
    assert store.purge(now=15.0)  # the session is still kept, the event is not
    assert len(store) == 0
    assert not store.purge(now=15.001)
