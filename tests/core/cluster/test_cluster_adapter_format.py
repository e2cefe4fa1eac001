"""The ``ClusterAdapter`` format, and where the sharded Redis adapter publishes each message."""

from __future__ import annotations

import json

import msgpack
import pytest

from sio_core.cluster import (
    AdapterClose,
    AllRooms,
    AllRoomsResponse,
    Broadcast,
    BroadcastAck,
    BroadcastClientCount,
    BroadcastFlags,
    ClusterMessage,
    ClusterProtocolError,
    DisconnectSockets,
    FetchedSocket,
    FetchSocketIds,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    InitialHeartbeat,
    MessageType,
    Selection,
    ServerSideEmit,
    ServerSideEmitResponse,
    ShardedChannels,
    ShardedCodec,
    SocketsJoin,
    SocketsLeave,
    SubscriptionMode,
    Subscriptions,
    decode_cluster_message,
    encode_cluster_message,
)
from sio_core.errors import LocalProtocolError

EVERYONE = Selection(flags=BroadcastFlags())
SOCKET_ID = "O52I7uWUjyJiPbXQAAAF"  # 20 characters, like every Node socket id


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# -- the message ---------------------------------------------------------------------------


def test_keys_come_in_the_order_type_data_uid_nsp() -> None:
    message = SocketsJoin(uid="n1", nsp="/", selection=EVERYONE, rooms=("r",))
    assert encode_cluster_message(message) == (
        b'{"type":4,"data":{"opts":{"rooms":[],"except":[],"flags":{}},"rooms":["r"]},'
        b'"uid":"n1","nsp":"/"}'
    )


@pytest.mark.parametrize(
    ("message", "payload"),
    [
        (InitialHeartbeat(uid="n1", nsp="/"), b'{"type":1,"uid":"n1","nsp":"/"}'),
        (Heartbeat(uid="n1", nsp="/"), b'{"type":2,"uid":"n1","nsp":"/"}'),
        (AdapterClose(uid="n1", nsp="/"), b'{"type":13,"uid":"n1","nsp":"/"}'),
    ],
)
def test_membership_messages_have_no_data(message: ClusterMessage, payload: bytes) -> None:
    assert encode_cluster_message(message) == payload
    assert decode_cluster_message(payload) == message


def test_a_broadcast_packet_carries_no_namespace_the_message_does() -> None:
    message = Broadcast(uid="n1", nsp="/chat", event="ev", args=(1,), selection=EVERYONE)
    wire = json.loads(encode_cluster_message(message))
    assert wire["data"]["packet"] == {"type": 2, "data": ["ev", 1]}
    assert wire["nsp"] == "/chat"


def test_a_broadcast_with_acks_puts_its_request_id_between_packet_and_opts() -> None:
    message = Broadcast(uid="n1", nsp="/", event="ev", selection=EVERYONE, request_id="r1")
    assert list(json.loads(encode_cluster_message(message))["data"]) == [
        "packet",
        "requestId",
        "opts",
    ]


@pytest.mark.parametrize(
    "message",
    [
        Broadcast(uid="n1", nsp="/", event="ev", args=(b"\x01",)),
        BroadcastAck(uid="n1", nsp="/", request_id="r", arg={"b": b"\x01"}),
        ServerSideEmit(uid="n1", nsp="/", event="ev", args=([b"\x01"],)),
        ServerSideEmitResponse(uid="n1", nsp="/", request_id="r", arg=b""),
        FetchSocketsResponse(
            uid="n1",
            nsp="/",
            request_id="r",
            sockets=(FetchedSocket(id="s", handshake={}, rooms=(), data=b"\x01"),),
        ),
    ],
)
def test_a_message_carrying_bytes_switches_to_msgpack(message: ClusterMessage) -> None:
    payload = encode_cluster_message(message)
    assert payload[0] != ord("{")
    assert msgpack.unpackb(payload)["type"] in range(1, 14)
    assert decode_cluster_message(payload) == message


def test_a_message_without_bytes_stays_json() -> None:
    message = ServerSideEmit(uid="n1", nsp="/", event="ev", args=({"k": [1, "x"]},))
    assert encode_cluster_message(message).startswith(b"{")


def test_a_msgpack_message_reads_like_its_json_twin() -> None:
    wire = {"type": 9, "data": {"packet": ["ev", 1]}, "uid": "n1", "nsp": "/"}
    packed = msgpack.packb(wire, use_bin_type=True)
    assert decode_cluster_message(packed) == decode_cluster_message(_json(wire))


def test_a_disconnect_without_close_does_not_close() -> None:
    wire = {"type": 6, "data": {"opts": {"rooms": [], "except": []}}, "uid": "n1", "nsp": "/"}
    assert decode_cluster_message(_json(wire)) == DisconnectSockets(
        uid="n1", nsp="/", selection=Selection(), close=False
    )


def test_a_response_without_its_answer_reads_as_none() -> None:
    wire = {"type": 10, "data": {"requestId": "r"}, "uid": "n1", "nsp": "/"}
    assert decode_cluster_message(_json(wire)) == ServerSideEmitResponse(
        uid="n1", nsp="/", request_id="r", arg=None
    )


def test_unknown_flags_are_ignored_and_known_ones_kept() -> None:
    opts = {"rooms": [], "except": [], "flags": {"timeout": 5, "shiny": True}}
    wire = {"type": 7, "data": {"opts": opts, "requestId": "r"}, "uid": "n1", "nsp": "/"}
    decoded = decode_cluster_message(_json(wire))
    assert decoded == FetchSockets(
        uid="n1", nsp="/", selection=Selection(flags=BroadcastFlags(timeout_ms=5)), request_id="r"
    )


def test_the_message_types_keep_nodes_numbers() -> None:
    assert [kind.value for kind in MessageType] == list(range(1, 14))
    assert MessageType.ADAPTER_CLOSE == 13


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ({"type": 14, "uid": "n", "nsp": "/"}, "unknown message type 14"),
        ({"type": "3", "uid": "n", "nsp": "/"}, "type is not an integer"),
        ({"type": 1, "nsp": "/"}, "uid is not a string"),
        ({"type": 1, "uid": "n"}, "nsp is not a string"),
        ({"type": 4, "uid": "n", "nsp": "/"}, "data is not a map"),
        ({"type": 3, "data": {"packet": {"type": 2, "data": ["e"]}}, "uid": "n", "nsp": "/"},
         "opts is not a map"),
        ({"type": 3, "data": {"packet": {"type": 3, "data": ["e"]}, "opts": {}}, "uid": "n",
          "nsp": "/"}, "not an EVENT"),
        ({"type": 9, "data": {"packet": []}, "uid": "n", "nsp": "/"}, r"\[event name"),
        ({"type": 11, "data": {"requestId": "r", "clientCount": -2}, "uid": "n", "nsp": "/"},
         "negative"),
        ({"type": 8, "data": {"requestId": "r", "sockets": {}}, "uid": "n", "nsp": "/"},
         "sockets is not an array"),
        ({"type": 5, "data": {"opts": {}, "rooms": [None]}, "uid": "n", "nsp": "/"},
         "other than strings"),
    ],
)  # fmt: skip
def test_a_malformed_message_is_refused_with_its_reason(wire: object, reason: str) -> None:
    with pytest.raises(ClusterProtocolError, match=reason):
        decode_cluster_message(_json(wire))


@pytest.mark.parametrize(
    "message",
    [
        AllRooms(uid="n1", nsp="/", request_id="r"),
        AllRoomsResponse(uid="n1", nsp="/", request_id="r"),
        FetchSocketIds(uid="n1", nsp="/", request_id="r"),
    ],
)
def test_classic_only_requests_cannot_be_encoded(message: ClusterMessage) -> None:
    with pytest.raises(LocalProtocolError, match="has no"):
        encode_cluster_message(message)


def test_a_message_needs_its_senders_uid() -> None:
    with pytest.raises(LocalProtocolError, match="uid"):
        encode_cluster_message(Heartbeat(uid=None, nsp="/"))


# -- the sharded adapter's channels --------------------------------------------------------


def test_a_sharded_node_subscribes_to_the_main_channel_and_its_response_channel() -> None:
    assert ShardedChannels("socket.io", "/").subscriptions("n1") == Subscriptions(
        channels=("socket.io#/#", "socket.io#/#n1#"), sharded=True
    )


def test_responses_go_to_the_requesters_channel() -> None:
    codec = ShardedCodec("/")
    message = BroadcastClientCount(uid="n2", nsp="/", request_id="r", client_count=1)
    assert codec.encode(message, requester="n1").channel == "socket.io#/#n1#"


def test_a_response_needs_its_requester() -> None:
    message = BroadcastClientCount(uid="n2", nsp="/", request_id="r", client_count=1)
    with pytest.raises(LocalProtocolError, match="requester"):
        ShardedCodec("/").encode(message)


def _one_room(room: str, request_id: str | None = None) -> Broadcast:
    selection = Selection(rooms=(room,), flags=BroadcastFlags())
    return Broadcast(uid="n1", nsp="/", event="ev", selection=selection, request_id=request_id)


@pytest.mark.parametrize(
    ("mode", "message", "channel"),
    [
        ("dynamic", _one_room("room1"), "p#/#room1#"),
        ("dynamic", _one_room(SOCKET_ID), "p#/#"),
        ("dynamic", _one_room("room1", request_id="r"), "p#/#"),
        ("dynamic-private", _one_room(SOCKET_ID), f"p#/#{SOCKET_ID}#"),
        ("dynamic-private", _one_room("room1"), "p#/#room1#"),
        ("dynamic-private", _one_room("room1", request_id="r"), "p#/#"),
        ("static", _one_room("room1"), "p#/#"),
        ("dynamic", Broadcast(uid="n1", nsp="/", event="ev", selection=Selection(
            rooms=("a", "b"))), "p#/#"),
        ("dynamic", SocketsLeave(uid="n1", nsp="/", selection=Selection(rooms=("a",)),
                                 rooms=("b",)), "p#/#"),
    ],
)  # fmt: skip
def test_where_a_sharded_message_goes_depends_on_the_subscription_mode(
    mode: str, message: ClusterMessage, channel: str
) -> None:
    assert ShardedCodec("/", channel_prefix="p", subscription_mode=mode).encode(
        message
    ).channel == (channel)


@pytest.mark.parametrize(
    ("mode", "public", "private"),
    [
        (SubscriptionMode.STATIC, False, False),
        (SubscriptionMode.DYNAMIC, True, False),
        (SubscriptionMode.DYNAMIC_PRIVATE, True, True),
    ],
)
def test_which_room_channels_a_node_subscribes_to_depends_on_the_mode(
    mode: SubscriptionMode, public: bool, private: bool
) -> None:
    channels = ShardedChannels("socket.io", "/", mode)
    assert channels.subscribes_to_room("room1", is_socket_id=False) is public
    assert channels.subscribes_to_room(SOCKET_ID, is_socket_id=True) is private
    assert channels.room("room1") == "socket.io#/#room1#"


def test_an_unknown_subscription_mode_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="sometimes"):
        ShardedCodec("/", subscription_mode="sometimes")


def test_a_sharded_codec_decodes_what_it_encodes() -> None:
    codec = ShardedCodec("/")
    message = FetchSockets(uid="n1", nsp="/", selection=EVERYONE, request_id="r")
    assert codec.decode(codec.encode(message).payload) == message
