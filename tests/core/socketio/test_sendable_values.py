"""What an emit or an ack can carry: the handshake as Node's object, and a clear TypeError.

``socket.handshake`` is typed (a frozen dataclass) and also a read-only mapping of Node's keys,
so it is sent as the JSON object Node sends. A value JSON cannot carry fails the call that
sends it with :class:`~sio_core.errors.EncodeError`, a ``TypeError`` naming the argument and
the type; an ack that failed so is still owed.
"""

from __future__ import annotations

import decimal
import json
from types import MappingProxyType

import pytest

from sio_core import EncodeError, Handshake
from sio_core.errors import LocalProtocolError
from sio_core.socketio.packets import Packet, PacketType, encode

NODE_KEYS = ["headers", "time", "address", "xdomain", "secure", "issued", "url", "query", "auth"]


def make_handshake() -> Handshake:
    return Handshake(
        headers={"host": "example.com"},
        query={"EIO": "4", "transport": "polling"},
        auth={"token": "123"},
        time="Sun Nov 22 2020 00:33:46 GMT+0000 (Coordinated Universal Time)",
        issued=1606005226969,
        url="/socket.io/?EIO=4&transport=polling",
        address="1.2.3.4",
        xdomain=False,
        secure=True,
    )


# -- the handshake ----------------------------------------------------------------------------


def test_handshake_to_dict_has_nodes_keys_in_nodes_order() -> None:
    assert list(make_handshake().to_dict()) == NODE_KEYS


def test_handshake_to_dict_holds_the_fields() -> None:
    handshake = make_handshake()
    assert handshake.to_dict()["auth"] == {"token": "123"}
    assert handshake.to_dict()["issued"] == 1606005226969


def test_handshake_is_a_mapping_of_the_same_items() -> None:
    handshake = make_handshake()
    assert dict(handshake) == handshake.to_dict()
    assert handshake["query"] == {"EIO": "4", "transport": "polling"}
    assert "secure" in handshake
    assert "sid" not in handshake


def test_handshake_emitted_is_nodes_json_object() -> None:
    handshake = make_handshake()
    (text,) = encode(Packet(PacketType.EVENT, data=["handshake", handshake]))
    assert json.loads(text[1:]) == ["handshake", handshake.to_dict()]
    assert text.startswith('2["handshake",{"headers":{"host":"example.com"},"time":')


def test_handshake_acked_is_nodes_json_object(peer) -> None:
    socket_id = peer.connect()
    handshake = peer.server.socket(socket_id).handshake
    peer.io.emit("who", ack_id=1)
    peer.server.ack(socket_id, 1, [handshake])
    peer.harness.pump()
    (answer,) = peer.wire()
    assert json.loads(answer[2:]) == [json.loads(json.dumps(handshake.to_dict()))]


def test_any_mapping_is_sent_as_a_json_object() -> None:
    (text,) = encode(Packet(PacketType.EVENT, data=["m", MappingProxyType({"a": 1})]))
    assert text == '2["m",{"a":1}]'


# -- values that cannot be sent ---------------------------------------------------------------


def test_unsendable_event_argument_is_a_type_error_naming_position_and_type() -> None:
    packet = Packet(PacketType.EVENT, data=["chat", "hi", decimal.Decimal("1.5")])
    with pytest.raises(TypeError) as caught:
        encode(packet)
    assert isinstance(caught.value, EncodeError)
    assert isinstance(caught.value, LocalProtocolError)
    assert str(caught.value) == "cannot encode argument 2 of event 'chat': a value of type Decimal"


def test_unsendable_value_deep_inside_an_argument_names_that_argument() -> None:
    packet = Packet(PacketType.EVENT, data=["chat", {"nested": [1, {2, 3}]}])
    with pytest.raises(EncodeError, match="argument 1 of event 'chat': a value of type set"):
        encode(packet)


def test_unsendable_ack_argument_is_named_too() -> None:
    packet = Packet(PacketType.ACK, data=[1, object()], id=3)
    with pytest.raises(
        EncodeError, match="argument 2 of the acknowledgement: a value of type object"
    ):
        encode(packet)


def test_not_a_number_is_named_with_its_argument() -> None:
    with pytest.raises(EncodeError, match="argument 1 of event 'x': Out of range float"):
        encode(Packet(PacketType.EVENT, data=["x", float("nan")]))


def test_unsendable_emit_raises_to_the_caller_and_sends_nothing(peer) -> None:
    socket_id = peer.connect()
    with pytest.raises(EncodeError, match="argument 1 of event 'news'"):
        peer.server.emit(socket_id, "news", [object()])
    peer.harness.pump()
    assert peer.wire() == []


def test_unsendable_ack_leaves_the_ack_owed(peer) -> None:
    socket_id = peer.connect()
    peer.io.emit("question", ack_id=7)
    with pytest.raises(EncodeError):
        peer.server.ack(socket_id, 7, [object()])
    peer.server.ack(socket_id, 7, ["fine"])
    peer.harness.pump()
    assert peer.wire() == ['37["fine"]']


def test_unsendable_broadcast_raises_to_the_caller_and_sends_nothing(peer) -> None:
    peer.connect()
    with pytest.raises(EncodeError, match="argument 1 of event 'news': a value of type object"):
        peer.server.operations.broadcast("/", "news", [object()])
    peer.harness.pump()
    assert peer.wire() == []
