"""Connection state recovery, with Node's semantics: offsets on the events kept for replay,
sessions kept for the recoverable reasons only, and a socket restored with what it missed,
replayed before its CONNECT reply and before anything new."""

from __future__ import annotations

import pytest

from sio_core import BroadcastOptions, ConnectionStateRecovery, SocketConfig, SocketServer
from sio_core.events import SocketConnected
from sio_core.ids import CountingIds
from sio_core.socketio.packets import PacketType

EVERYONE = BroadcastOptions()


@pytest.fixture
def server() -> SocketServer:
    config = SocketConfig(connection_state_recovery=ConnectionStateRecovery())
    return SocketServer(config, id_generator=CountingIds())


def _broadcast(server, event, *args, nsp="/", **options):
    """A broadcast, then the pump a backend does."""
    rooms = {k: frozenset(v) if isinstance(v, set) else v for k, v in options.items()}
    server.operations.broadcast(nsp, event, list(args), BroadcastOptions(**rooms))


def _pumped(client):
    client.peer.harness.pump()
    return client


# -- offsets -------------------------------------------------------------------------------------


def test_connect_reply_carries_the_socket_id_and_a_private_pid(recovering, transport):
    client, connecting = recovering.ask(transport=transport)
    recovering.admit(client, connecting)
    assert client.socket_id == connecting.socket_id
    assert client.pid is not None
    assert client.pid != client.socket_id


def test_each_socket_gets_its_own_pid(recovering):
    first, second = recovering.join(), recovering.join()
    assert first.pid != second.pid


def test_a_broadcast_carries_an_offset_as_its_last_argument(recovering, server):
    client = recovering.join()
    _broadcast(server, "news", 1, "two")
    _pumped(client)
    ((name, one, two, offset),) = client.events()
    assert (name, one, two) == ("news", 1, "two")
    assert isinstance(offset, str)


def test_every_broadcast_gets_a_fresh_offset(recovering, server):
    client = recovering.join()
    for number in range(3):
        _broadcast(server, "news", number)
    _pumped(client)
    offsets = [event[-1] for event in client.events()]
    assert len(set(offsets)) == 3


def test_one_broadcast_carries_the_same_offset_to_every_recipient(recovering, server):
    ann, bob = recovering.join(), recovering.join()
    _broadcast(server, "news")
    _pumped(ann)
    assert ann.events() == bob.events()


def test_a_plain_emit_carries_an_offset(recovering, server):
    client = recovering.join()
    server.emit(client.socket_id, "hello", ["you"])
    _pumped(client)
    ((name, you, offset),) = client.events()
    assert (name, you, isinstance(offset, str)) == ("hello", "you", True)


def test_an_emit_with_an_ack_carries_no_offset(recovering, server):
    client = recovering.join()
    server.emit(client.socket_id, "hello", ["you"], with_ack=True)
    _pumped(client)
    assert client.events() == [["hello", "you"]]


def test_a_broadcast_with_acks_carries_no_offset(recovering, server):
    client = recovering.join()
    server.operations.broadcast("/", "news", ["x"], timeout=5.0)
    _pumped(client)
    assert client.events() == [["news", "x"]]


def test_a_volatile_broadcast_carries_no_offset(recovering, server):
    client = recovering.join()
    _broadcast(server, "news", "x", volatile=True)
    _pumped(client)
    assert client.events() == [["news", "x"]]


# -- sessions: kept for Node's recoverable reasons only -------------------------------------


def _transport_close(client):
    client.drop()


def _transport_error(client):
    peer = client.peer
    if peer.transport == "websocket":
        peer.harness.ws_close(peer.io.engine.ws, error=True)
    else:
        peer.abort_held_get()


def _forced_close(client):
    client.peer.server.connections.close(client.peer.sid)
    client.peer.harness.pump()


def _ping_timeout(client):
    client.peer.harness.advance(45.0)


def _server_shutting_down(client):
    client.peer.server.close_all()
    client.peer.harness.pump()


def _forced_server_close(client):
    client.peer.send("0")  # a second CONNECT to a namespace it is in


def _decode_error(client):
    client.peer.send("4{")  # forced close, after an error


def _parse_error(client):
    client.peer.send_engine("x")


def _server_disconnect(client):
    client.peer.server.disconnect(client.socket_id)
    client.peer.harness.pump()


def _client_disconnect(client):
    client.peer.io.disconnect()


RECOVERABLE = [
    _transport_close,
    _transport_error,
    _forced_close,
    _ping_timeout,
    _server_shutting_down,
    _forced_server_close,
    _decode_error,
]
NOT_RECOVERABLE = [_parse_error, _server_disconnect, _client_disconnect]


def _offset_then(recovering, server, transport, leave):
    """A client that got one event (so it has an offset), then left as ``leave`` says."""
    client = recovering.join(transport=transport)
    _broadcast(server, "news", 1)
    _pumped(client).events()
    leave(client)
    return client


@pytest.mark.parametrize("leave", RECOVERABLE, ids=lambda f: f.__name__[1:])
def test_a_session_is_kept_when_the_socket_leaves_for(recovering, server, transport, leave):
    client = _offset_then(recovering, server, transport, leave)
    _, connecting, _ = recovering.come_back(client)
    assert connecting.recovered
    assert connecting.socket_id == client.socket_id


@pytest.mark.parametrize("leave", NOT_RECOVERABLE, ids=lambda f: f.__name__[1:])
def test_no_session_is_kept_when_the_socket_leaves_for(recovering, server, transport, leave):
    client = _offset_then(recovering, server, transport, leave)
    _, connecting, _ = recovering.come_back(client)
    assert not connecting.recovered
    assert connecting.socket_id != client.socket_id


# -- restore ------------------------------------------------------------------------------------


def test_a_restored_socket_has_its_id_pid_rooms_and_data_back(recovering, server):
    client = _offset_then(recovering, server, "websocket", lambda c: None)
    server.operations.join(client.socket_id, ["a", "b"])
    server.socket(client.socket_id).data = {"user": "ann"}
    client.drop()
    back, _, _ = recovering.come_back(client)
    assert (back.socket_id, back.pid) == (client.socket_id, client.pid)
    assert server.operations.rooms(back.socket_id) == {client.socket_id, "a", "b"}
    assert server.socket(back.socket_id).data == {"user": "ann"}
    assert server.socket(back.socket_id).recovered


def test_a_restored_socket_is_reported_connected(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    back, _, _ = recovering.come_back(client)
    assert back.peer.harness.app_events[-1] == SocketConnected(socket_id=back.socket_id, nsp="/")


def test_missed_events_are_replayed_in_order_before_the_connect_reply(
    recovering, server, transport
):
    client = _offset_then(recovering, server, transport, _transport_close)
    for number in range(3):
        _broadcast(server, "news", number)
    _, _, packets = recovering.come_back(client, transport)
    kinds = [(p.type, p.data[:2] if p.type is PacketType.EVENT else None) for p in packets]
    assert kinds == [
        (PacketType.EVENT, ["news", 0]),
        (PacketType.EVENT, ["news", 1]),
        (PacketType.EVENT, ["news", 2]),
        (PacketType.CONNECT, None),
    ]


def test_a_replayed_event_keeps_the_offset_it_was_sent_with(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _broadcast(server, "news", "missed")
    stay = recovering.join()  # connected from the start: sees the same event, same offset
    _broadcast(server, "news", "both")
    _pumped(stay)
    _, _, packets = recovering.come_back(client)
    replayed = [p.data for p in packets if p.type is PacketType.EVENT]
    assert replayed[1] == stay.events()[0]


def test_a_recovered_client_has_nothing_replayed_when_it_missed_nothing(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _, _, packets = recovering.come_back(client)
    assert [p.type for p in packets] == [PacketType.CONNECT]


def test_replay_selects_by_the_session_rooms_and_the_events_except_rooms(recovering, server):
    client = _offset_then(recovering, server, "websocket", lambda c: None)
    server.operations.join(client.socket_id, "club")
    client.drop()
    _broadcast(server, "direct", rooms={client.socket_id})
    _broadcast(server, "club", rooms={"club"})
    _broadcast(server, "all")
    _broadcast(server, "other room", rooms={"elsewhere"})
    _broadcast(server, "all but club", except_rooms={"club"})
    _broadcast(server, "all but me", except_rooms={client.socket_id})
    _, _, packets = recovering.come_back(client)
    replayed = [p.data[0] for p in packets if p.type is PacketType.EVENT]
    assert replayed == ["direct", "club", "all"]


def test_a_plain_emit_to_the_socket_is_replayed(recovering, server):
    client = _offset_then(recovering, server, "websocket", lambda c: None)
    server.emit(client.socket_id, "private", [1])
    client.drop()  # the emit was queued, never read: lost with the transport
    _, _, packets = recovering.come_back(client)
    assert [p.data[:2] for p in packets if p.type is PacketType.EVENT] == [["private", 1]]


def test_volatile_events_and_events_with_acks_are_not_replayed(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _broadcast(server, "volatile", volatile=True)
    server.operations.broadcast("/", "with acks", timeout=5.0)
    _broadcast(server, "kept")
    _, _, packets = recovering.come_back(client)
    assert [p.data[0] for p in packets if p.type is PacketType.EVENT] == ["kept"]


def test_a_binary_event_is_replayed_with_its_attachments(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _broadcast(server, "blob", b"\x00\x01", {"b": b"\xff"})
    _, _, packets = recovering.come_back(client)
    (event,) = [p.data for p in packets if p.type is PacketType.EVENT]
    assert event[:3] == ["blob", b"\x00\x01", {"b": b"\xff"}]


def test_events_reaching_its_rooms_while_it_waits_follow_the_replay(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _broadcast(server, "missed")
    back, connecting = recovering.ask(auth=client.auth())
    _broadcast(server, "while waiting")
    server.emit(connecting.socket_id, "not yet")  # not connected: dropped, as for anyone
    packets = recovering.admit(back, connecting)
    kinds = [p.data[0] if p.type is PacketType.EVENT else p.type for p in packets]
    assert kinds == ["missed", "while waiting", PacketType.CONNECT]


def test_events_after_the_connect_reply_come_once_and_in_order(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _broadcast(server, "missed")
    back, _, _ = recovering.come_back(client)
    _broadcast(server, "live")
    _pumped(back)
    assert [event[0] for event in back.events()] == ["live"]


def test_a_recovered_socket_waiting_for_its_decision_gets_no_event_with_an_ack(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    back, connecting = recovering.ask(auth=client.auth())
    server.operations.broadcast("/", "with acks", timeout=5.0)
    _broadcast(server, "volatile", volatile=True)
    packets = recovering.admit(back, connecting)
    assert [p.type for p in packets] == [PacketType.CONNECT]


def test_utilities_do_not_see_a_recovered_socket_waiting_for_its_decision(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _, connecting = recovering.ask(auth=client.auth())
    server.operations.sockets_join("/", EVERYONE, "joined-late")
    assert server.operations.fetch_sockets("/") == []
    assert "joined-late" not in server.operations.rooms(connecting.socket_id)


# -- the middleware decision ----------------------------------------------------------------


def test_a_recovered_socket_skips_the_middlewares_by_default(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _, connecting, _ = recovering.come_back(client)
    assert (connecting.recovered, connecting.skip_middlewares) == (True, True)


def test_a_fresh_socket_never_skips_the_middlewares(recovering):
    _, connecting = recovering.ask()
    assert (connecting.recovered, connecting.skip_middlewares) == (False, False)


def test_skip_middlewares_off_lets_them_decide_on_a_recovered_socket(recovery_with):
    server, recovering = recovery_with(ConnectionStateRecovery(skip_middlewares=False))
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _, connecting, _ = recovering.come_back(client)
    assert (connecting.recovered, connecting.skip_middlewares) == (True, False)


def test_a_rejected_recovered_socket_leaves_its_rooms_and_gets_no_replay(recovering, server):
    client = _offset_then(recovering, server, "websocket", lambda c: None)
    server.operations.join(client.socket_id, "club")
    client.drop()
    _broadcast(server, "missed")
    back, connecting = recovering.ask(auth=client.auth())
    server.reject(connecting.socket_id, "go away")
    back.peer.harness.pump()
    assert back.peer.wire() == ['4{"message":"go away"}']
    assert server.namespaces.get("/").adapter.rooms == {}


def test_a_client_gone_while_its_recovered_socket_waits_can_come_back_again(recovering, server):
    client = _offset_then(recovering, server, "websocket", _transport_close)
    _broadcast(server, "missed")
    back, _ = recovering.ask(auth=client.auth())
    back.drop()
    assert server.namespaces.get("/").adapter.rooms == {}
    _, connecting, packets = recovering.come_back(client)
    assert connecting.recovered
    assert [p.data[0] for p in packets if p.type is PacketType.EVENT] == ["missed"]
