"""Emitting to one socket: the wire form of events, binary arguments, reserved names."""

from __future__ import annotations

import pytest

from sio_core import BroadcastOptions
from sio_core.errors import LocalProtocolError
from sio_core.events import EventReceived

RESERVED = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
]
PH = '{{"_placeholder":true,"num":{}}}'


def test_emit_sends_event_packet(peer):
    socket_id = peer.connect()
    peer.server.emit(socket_id, "chat", ["hi", 1, None, {"k": [True]}])
    peer.harness.pump()
    assert peer.wire() == ['2["chat","hi",1,null,{"k":[true]}]']


def test_emit_in_custom_namespace_is_prefixed(peer):
    peer.server.namespaces.add("/a")
    socket_id = peer.connect("/a")
    peer.server.emit(socket_id, "chat")
    peer.harness.pump()
    assert peer.wire() == ['2/a,["chat"]']


def test_emit_with_nested_binary_args_sends_attachments_in_order(peer):
    socket_id = peer.connect()
    args = [{"files": [b"\x01", {"deep": b"\x02\x03"}]}, b"\x04"]
    peer.server.emit(socket_id, "upload", args)
    peer.harness.pump()
    text = f'53-["upload",{{"files":[{PH.format(0)},{{"deep":{PH.format(1)}}}]}},{PH.format(2)}]'
    assert peer.wire() == [text, b"\x01", b"\x02\x03", b"\x04"]


def test_emit_with_binary_and_ack_carries_both(peer):
    socket_id = peer.connect()
    peer.server.emit(socket_id, "upload", [b"\x09"], with_ack=True)
    peer.harness.pump()
    assert peer.wire() == [f'51-0["upload",{PH.format(0)}]', b"\x09"]


def test_client_nested_binary_args_arrive_as_bytes(peer):
    socket_id = peer.connect()
    peer.io.emit("upload", {"a": [b"\x01", {"b": b"\x02"}]}, b"\x03")
    assert peer.harness.app_events[-1] == EventReceived(
        socket_id=socket_id,
        nsp="/",
        event="upload",
        args=({"a": [b"\x01", {"b": b"\x02"}]}, b"\x03"),
    )


def test_emit_to_gone_socket_is_dropped(peer):
    socket_id = peer.connect()
    peer.io.disconnect()
    peer.server.emit(socket_id, "chat")
    peer.harness.pump()
    assert peer.wire() == []


def test_emit_to_pending_socket_is_dropped(peer):
    (connecting,) = peer.ask("/")
    peer.server.emit(connecting.socket_id, "chat")
    peer.harness.pump()
    assert peer.wire() == []


@pytest.mark.parametrize("name", RESERVED)
def test_emit_with_reserved_name_raises(peer, name):
    socket_id = peer.connect()
    with pytest.raises(LocalProtocolError, match="reserved"):
        peer.server.emit(socket_id, name)
    peer.harness.pump()
    assert peer.wire() == []


@pytest.mark.parametrize("name", RESERVED)
def test_broadcast_with_reserved_name_raises(peer, name):
    peer.connect()
    with pytest.raises(LocalProtocolError, match="reserved"):
        peer.server.operations.broadcast("/", name)
    peer.harness.pump()
    assert peer.wire() == []


def test_broadcast_with_reserved_name_raises_even_with_options(peer):
    peer.connect()
    with pytest.raises(LocalProtocolError, match="reserved"):
        peer.server.operations.broadcast(
            "/", "disconnect", options=BroadcastOptions(volatile=True), timeout=1
        )


def test_reserved_name_with_ack_does_not_consume_an_ack_id(peer):
    socket_id = peer.connect()
    with pytest.raises(LocalProtocolError):
        peer.server.emit(socket_id, "connect", with_ack=True)
    assert peer.server.emit(socket_id, "q", with_ack=True) == 0
