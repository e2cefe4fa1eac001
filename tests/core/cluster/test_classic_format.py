"""The classic ``@socket.io/redis-adapter`` format: channels, encodings and the shapes it reads."""

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
    ClassicChannels,
    ClassicCodec,
    ClusterProtocolError,
    DisconnectSockets,
    FetchedSocket,
    FetchSocketIdsResponse,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    InitialHeartbeat,
    Publication,
    Selection,
    ServerSideEmit,
    ServerSideEmitResponse,
    SocketsJoin,
    Subscriptions,
)
from sio_core.errors import LocalProtocolError

CODEC = ClassicCodec("/", key="socket.io")
SPECIFIC = ClassicCodec("/", key="socket.io", publish_on_specific_response_channel=True)
REQUEST = "socket.io-request#/#"
RESPONSE = "socket.io-response#/#"


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _pack(value: object) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


# -- channels --------------------------------------------------------------------------------


def test_channels_are_named_after_the_key_and_the_namespace() -> None:
    channels = ClassicChannels("app", "/chat")
    assert channels.broadcast == "app#/chat#"
    assert channels.room("lobby") == "app#/chat#lobby#"
    assert channels.request == "app-request#/chat#"
    assert channels.response == "app-response#/chat#"
    assert channels.response_for("abc123") == "app-response#/chat#abc123#"


def test_a_node_psubscribes_to_every_broadcast_channel_and_subscribes_to_three_others() -> None:
    assert CODEC.channels.subscriptions("abc123") == Subscriptions(
        patterns=("socket.io#/#*",),
        channels=("socket.io-request#/#", "socket.io-response#/#", "socket.io-response#/#abc123#"),
    )


@pytest.mark.parametrize(
    ("channel", "room"),
    [
        ("socket.io#/#room1#", "room1"),
        ("socket.io#/#", None),
        ("socket.io#/##", None),
        ("socket.io-request#/#", None),
        ("socket.io#/#a#b#", "a#b"),
    ],
)
def test_the_room_of_a_broadcast_channel_can_be_read_before_decoding(
    channel: str, room: str | None
) -> None:
    assert CODEC.channels.room_of(channel) == room


# -- broadcasts ------------------------------------------------------------------------------


def test_a_broadcast_to_everyone_goes_on_the_namespace_channel_as_a_msgpack_array() -> None:
    message = Broadcast(uid="abc123", nsp="/", event="ev", args=(1,), selection=Selection())
    publication = CODEC.encode(message)
    assert publication.channel == "socket.io#/#"
    assert msgpack.unpackb(publication.payload) == [
        "abc123",
        {"type": 2, "data": ["ev", 1], "nsp": "/"},
        {"rooms": [], "except": []},
    ]


def test_a_broadcast_to_exactly_one_room_goes_on_that_rooms_channel() -> None:
    message = Broadcast(uid="u", nsp="/", event="ev", selection=Selection(rooms=("r1",)))
    assert CODEC.encode(message).channel == "socket.io#/#r1#"


def test_a_broadcast_to_two_rooms_goes_on_the_namespace_channel() -> None:
    message = Broadcast(uid="u", nsp="/", event="ev", selection=Selection(rooms=("r1", "r2")))
    assert CODEC.encode(message).channel == "socket.io#/#"


def test_binary_arguments_stay_raw_msgpack_bin() -> None:
    message = Broadcast(uid="u", nsp="/", event="ev", args=(b"\x00\xff", {"k": b"!"}))
    payload = CODEC.encode(message).payload
    assert b"\xc4\x02\x00\xff" in payload
    assert msgpack.unpackb(payload)[1]["data"] == ["ev", b"\x00\xff", {"k": b"!"}]


def test_the_emitter_writes_flags_before_except_and_so_do_we_for_its_uid() -> None:
    flags = BroadcastFlags(volatile=True)
    message = Broadcast(uid="emitter", nsp="/", event="ev", selection=Selection(flags=flags))
    opts = msgpack.unpackb(CODEC.encode(message).payload)[2]
    assert list(opts) == ["rooms", "flags", "except"]


def test_a_broadcast_packet_without_nsp_is_for_the_main_namespace() -> None:
    payload = _pack(["u", {"type": 2, "data": ["ev"]}, {"rooms": [], "except": []}])
    decoded = ClassicCodec("/chat").decode("socket.io#/chat#", payload)
    assert isinstance(decoded, Broadcast)
    assert decoded.nsp == "/"


def test_a_binary_event_packet_from_an_old_emitter_is_a_broadcast_too() -> None:
    payload = _pack(["u", {"type": 5, "data": ["ev", b"x"], "nsp": "/"}, {"rooms": []}])
    assert CODEC.decode("socket.io#/#", payload) == Broadcast(
        uid="u", nsp="/", event="ev", args=(b"x",), selection=Selection()
    )


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_pack(["u", {"type": 2, "data": ["ev"]}]), "not [uid, packet, opts]"),
        (_pack([1, {"type": 2, "data": ["ev"]}, {}]), "uid is not a string"),
        (_pack(["u", {"type": 0, "data": ["ev"]}, {}]), "not an EVENT"),
        (_pack(["u", {"type": 2, "data": []}, {}]), "[event name, ...arguments]"),
        (_pack(["u", {"type": 2, "data": [3]}, {}]), "[event name, ...arguments]"),
        (_pack(["u", {"type": 2, "data": ["e"]}, {"rooms": [1]}]), "other than strings"),
        (_pack(["u", {"type": 2, "data": ["e"]}, {"flags": {"volatile": 1}}]), "wrong type"),
        (_json({"uid": "u"}), "not [uid, packet, opts]"),
    ],
)
def test_a_malformed_broadcast_is_refused_with_its_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ClusterProtocolError, match=reason.replace("[", r"\[").replace(".", r"\.")):
        CODEC.decode("socket.io#/#", payload)


# -- requests --------------------------------------------------------------------------------


def test_requests_go_on_the_request_channel_as_json_led_by_the_uid() -> None:
    message = FetchSockets(uid="u", nsp="/", selection=Selection(rooms=("r",)), request_id="q")
    assert CODEC.encode(message) == Publication(
        REQUEST, b'{"uid":"u","requestId":"q","type":5,"opts":{"rooms":["r"],"except":[]}}'
    )


def test_a_request_without_uid_leaves_the_key_out_as_the_emitter_does() -> None:
    message = SocketsJoin(uid=None, nsp="/", selection=Selection(), rooms=("r",))
    assert CODEC.encode(message).payload == (
        b'{"type":2,"opts":{"rooms":[],"except":[]},"rooms":["r"]}'
    )


def test_a_broadcast_with_acks_is_a_msgpack_request() -> None:
    message = Broadcast(uid="u", nsp="/", event="ev", request_id="q")
    publication = CODEC.encode(message)
    assert publication.channel == REQUEST
    assert publication.payload[0] != ord("{")
    assert msgpack.unpackb(publication.payload) == {
        "uid": "u",
        "requestId": "q",
        "type": 7,
        "packet": {"type": 2, "data": ["ev"], "nsp": "/"},
        "opts": {"rooms": [], "except": []},
    }


def test_a_request_is_read_as_json_or_msgpack_by_its_first_byte() -> None:
    fields = {"uid": "u", "requestId": "q", "type": 1}
    assert CODEC.decode(REQUEST, _json(fields)) == AllRooms(uid="u", nsp="/", request_id="q")
    assert CODEC.decode(REQUEST, _pack(fields)) == AllRooms(uid="u", nsp="/", request_id="q")


def test_a_server_side_emit_with_bytes_carries_them_as_node_buffers_in_json() -> None:
    message = ServerSideEmit(uid="u", nsp="/", event="ev", args=(b"\x01\x02",))
    assert CODEC.encode(message).payload == (
        b'{"uid":"u","type":6,"data":["ev",{"type":"Buffer","data":[1,2]}]}'
    )


def test_a_node_buffer_in_json_is_left_as_node_leaves_it() -> None:
    payload = b'{"uid":"u","type":6,"data":["ev",{"type":"Buffer","data":[1,2]}]}'
    decoded = CODEC.decode(REQUEST, payload)
    assert isinstance(decoded, ServerSideEmit)
    assert decoded.args == ({"type": "Buffer", "data": [1, 2]},)


def test_a_disconnect_request_without_close_does_not_close() -> None:
    payload = _json({"type": 4, "opts": {"rooms": [], "except": []}})
    assert CODEC.decode(REQUEST, payload) == DisconnectSockets(
        uid=None, nsp="/", selection=Selection(), close=False
    )


def test_requests_take_their_namespace_from_the_codec() -> None:
    payload = _json({"uid": "u", "requestId": "q", "type": 1})
    assert ClassicCodec("/chat").decode("socket.io-request#/chat#", payload).nsp == "/chat"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"uid": "u", "type": 2, "sid": "s", "room": "r"}, "legacy per-socket request"),
        ({"uid": "u", "type": 10}, "unknown request type 10"),
        ({"uid": "u", "type": 8, "requestId": "q", "clientCount": 1}, "is a response"),
        ({"uid": "u", "type": True}, "type is not an integer"),
        ({"uid": 5, "type": 1, "requestId": "q"}, "uid is not a string"),
        ({"uid": "u", "type": 1}, "requestId is not a string"),
        ({"uid": "u", "type": 6, "data": "ev"}, r"\[event name"),
        ({"type": 4, "opts": {"rooms": []}, "close": "yes"}, "close is not a boolean"),
        ({"type": 2, "opts": [], "rooms": []}, "opts is not a map"),
    ],
)
def test_a_malformed_request_is_refused_with_its_reason(fields: object, reason: str) -> None:
    with pytest.raises(ClusterProtocolError, match=reason):
        CODEC.decode(REQUEST, _json(fields))


# -- responses -------------------------------------------------------------------------------


def test_responses_go_on_the_shared_response_channel_by_default() -> None:
    message = AllRoomsResponse(uid=None, nsp="/", request_id="q", rooms=("r",))
    assert CODEC.encode(message) == Publication(RESPONSE, b'{"requestId":"q","rooms":["r"]}')


def test_with_the_specific_option_responses_go_to_the_requesters_channel() -> None:
    message = BroadcastClientCount(uid=None, nsp="/", request_id="q", client_count=3)
    publication = SPECIFIC.encode(message, requester="abc123")
    assert publication.channel == "socket.io-response#/#abc123#"
    assert publication.payload == b'{"type":8,"requestId":"q","clientCount":3}'


def test_a_server_side_emit_answer_always_takes_the_shared_channel_as_in_node() -> None:
    message = ServerSideEmitResponse(uid=None, nsp="/", request_id="q", arg=1)
    assert SPECIFIC.encode(message, requester="abc123").channel == RESPONSE


def test_a_specific_response_channel_needs_the_requester() -> None:
    message = AllRoomsResponse(uid=None, nsp="/", request_id="q")
    with pytest.raises(LocalProtocolError, match="requester"):
        SPECIFIC.encode(message)


def test_a_clients_ack_is_a_msgpack_response() -> None:
    message = BroadcastAck(uid=None, nsp="/", request_id="q", arg=b"\x01")
    payload = CODEC.encode(message).payload
    assert msgpack.unpackb(payload) == {"type": 9, "requestId": "q", "packet": b"\x01"}


def test_an_ack_without_an_argument_reads_as_none() -> None:
    payload = _pack({"type": 9, "requestId": "q"})
    assert CODEC.decode(RESPONSE, payload) == BroadcastAck(uid=None, nsp="/", request_id="q")


@pytest.mark.parametrize(
    ("sockets", "expected"),
    [
        (["s1", "s2"], FetchSocketIdsResponse(uid=None, nsp="/", request_id="q",
                                              socket_ids=("s1", "s2"))),
        ([], FetchSocketsResponse(uid=None, nsp="/", request_id="q")),
        (
            [{"id": "s1", "handshake": {"url": "/"}, "rooms": ["s1"], "data": {"n": 1}}],
            FetchSocketsResponse(
                uid=None,
                nsp="/",
                request_id="q",
                sockets=(FetchedSocket(id="s1", handshake={"url": "/"}, rooms=("s1",),
                                       data={"n": 1}),),
            ),
        ),
    ],
)  # fmt: skip
def test_an_untyped_sockets_answer_is_read_by_its_shape(
    sockets: list[object], expected: object
) -> None:
    assert CODEC.decode(RESPONSE, _json({"requestId": "q", "sockets": sockets})) == expected


def test_a_response_on_a_specific_channel_reads_like_one_on_the_shared_channel() -> None:
    payload = _json({"type": 8, "requestId": "q", "clientCount": 2})
    assert CODEC.decode("socket.io-response#/#abc123#", payload) == BroadcastClientCount(
        uid=None, nsp="/", request_id="q", client_count=2
    )


def test_a_fetched_socket_without_data_reads_as_none() -> None:
    payload = _json({"requestId": "q", "sockets": [{"id": "s", "handshake": {}, "rooms": []}]})
    decoded = CODEC.decode(RESPONSE, payload)
    assert isinstance(decoded, FetchSocketsResponse)
    assert decoded.sockets[0].data is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"requestId": "q"}, "no type, rooms or sockets"),
        ({"type": 8, "requestId": "q", "clientCount": -1}, "negative"),
        ({"type": 8, "requestId": "q", "clientCount": 1.5}, "not an integer"),
        ({"type": 5, "requestId": "q"}, "is a request"),
        ({"requestId": "q", "sockets": [{"id": "s", "handshake": [], "rooms": []}]}, "handshake"),
        ({"requestId": "q", "sockets": ["s", {}]}, r"sockets\[0\] is not a map"),
        ({"requestId": "q", "rooms": "r"}, "rooms is not an array"),
        ({"requestId": 1, "rooms": []}, "requestId is not a string"),
    ],
)
def test_a_malformed_response_is_refused_with_its_reason(fields: object, reason: str) -> None:
    with pytest.raises(ClusterProtocolError, match=reason):
        CODEC.decode(RESPONSE, _json(fields))


# -- what the format cannot carry ------------------------------------------------------------


def test_a_channel_of_another_namespace_is_refused() -> None:
    with pytest.raises(ClusterProtocolError, match="not one of namespace"):
        CODEC.decode("socket.io-request#/chat#", _json({"type": 1}))


@pytest.mark.parametrize(
    "message",
    [
        InitialHeartbeat(uid="u", nsp="/"),
        Heartbeat(uid="u", nsp="/"),
        AdapterClose(uid="u", nsp="/"),
    ],
)
def test_the_classic_format_has_no_heartbeats(message: InitialHeartbeat) -> None:
    with pytest.raises(LocalProtocolError, match="classic format has no"):
        CODEC.encode(message)


def test_a_value_no_format_can_carry_is_the_applications_error() -> None:
    with pytest.raises(LocalProtocolError, match="cannot send a set"):
        CODEC.encode(ServerSideEmit(uid="u", nsp="/", event="ev", args=({1},)))
