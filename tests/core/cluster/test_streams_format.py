"""The Redis Streams adapter's format: entries, pub/sub, commands, replies and sessions, as bytes.

The captures below were made by ``@socket.io/redis-streams-adapter`` 0.3.1's own serialisation
(``@msgpack/msgpack`` 2.8 ``encode`` and ``JSON.stringify`` of the same values, in Node 22).
"""

from __future__ import annotations

import base64

import pytest

from sio_core.cluster import (
    AdapterClose,
    Broadcast,
    BroadcastAck,
    BroadcastFlags,
    ClusterProtocolError,
    DisconnectSockets,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    Publication,
    RedisStreamsFormat,
    Selection,
    ServerSideEmit,
    SocketsJoin,
    StreamEntry,
)
from sio_core.cluster.stream_commands import (
    StoredSession,
    append,
    decode_session,
    encode_session,
    entries_between,
    entries_of,
    entry_order,
    is_entry_id,
    keep_session,
    last_entry,
    read_after,
    read_entries,
    take_session,
)
from sio_core.cluster.streams import read_entry

FORMAT = RedisStreamsFormat()
CODEC = FORMAT.codec("/")
NO_FLAGS = BroadcastFlags()

NODE_BINARY_DATA = (
    "gqZwYWNrZXSCpHR5cGUCpGRhdGGTpG5ld3PEAwAB/4GhbgGkb3B0c4Olcm9vbXORonIxpmV4Y2VwdJClZmxhZ3OA"
)
"""``data`` of a broadcast of ``["news", Buffer [0, 1, 255], {n: 1}]`` to room ``r1``."""
NODE_JSON_DATA = (
    '{"packet":{"type":2,"data":["news",1]},'
    '"opts":{"rooms":[],"except":["x"],"flags":{"volatile":true}}}'
)
NODE_FETCH = bytes.fromhex(
    "84a47479706507a46461746182a46f70747383a5726f6f6d7391a172a665786365707490a5666c61677380"
    "a9726571756573744964b030313233343536373839616263646566a3756964b066656463626139383736"
    "353433323130a36e7370a12f"
)
"""A ``fetchSockets`` request of node ``fedcba9876543210`` in ``/``, on pub/sub."""
NODE_SESSION = (
    "hKNzaWS0WGMzYkhnLUNEbFpkM3NHZEFBQUKjcGlktHBRZkVqSnR3cTlWMVoyQ0RBQUFDpXJvb21zkrRYYzNiSGct"
    "Q0RsWmQzc0dkQUFBQqRjbHVipGRhdGGA"
)
"""What a Node server stores for socket ``Xc3bHg-CDlZd3sGdAAAB`` in room ``club``."""


def fields(entry: StreamEntry) -> dict[str, str]:
    return dict(entry.fields)


# -- stream entries -------------------------------------------------------------------------------


def test_a_broadcast_with_bytes_is_an_entry_with_base64_msgpack_data_as_node_writes_it():
    message = Broadcast(
        uid="u1",
        nsp="/",
        event="news",
        args=(b"\x00\x01\xff", {"n": 1}),
        selection=Selection(rooms=("r1",), flags=NO_FLAGS),
    )
    entry = CODEC.encode(message)
    assert isinstance(entry, StreamEntry)
    assert entry.fields == (("uid", "u1"), ("nsp", "/"), ("type", "3"), ("data", NODE_BINARY_DATA))


def test_a_broadcast_without_bytes_is_an_entry_with_json_data_as_node_writes_it():
    selection = Selection(except_rooms=("x",), flags=BroadcastFlags(volatile=True))
    entry = CODEC.entry(Broadcast(uid="u1", nsp="/", event="news", args=(1,), selection=selection))
    assert fields(entry)["data"] == NODE_JSON_DATA


def test_node_entries_read_back_whichever_way_their_data_is_written():
    binary = read_entry({"uid": "n", "nsp": "/", "type": "3", "data": NODE_BINARY_DATA})
    json = read_entry({"uid": "n", "nsp": "/", "type": "3", "data": NODE_JSON_DATA})
    assert isinstance(binary, Broadcast)
    assert (binary.event, binary.args, binary.selection.rooms) == (
        "news",
        (b"\x00\x01\xff", {"n": 1}),
        ("r1",),
    )
    assert isinstance(json, Broadcast)
    assert json.selection.flags == BroadcastFlags(volatile=True)


def test_a_message_without_data_is_an_entry_of_three_fields():
    assert CODEC.entry(Heartbeat(uid="u1", nsp="/")).fields == (
        ("uid", "u1"),
        ("nsp", "/"),
        ("type", "2"),
    )
    assert read_entry({"uid": "u1", "nsp": "/", "type": "13"}) == AdapterClose(uid="u1", nsp="/")


@pytest.mark.parametrize(
    "message",
    [
        SocketsJoin(uid="u", nsp="/", selection=Selection(flags=NO_FLAGS), rooms=("a",)),
        DisconnectSockets(uid="u", nsp="/", selection=Selection(flags=NO_FLAGS), close=True),
        Broadcast(uid="u", nsp="/", event="e", selection=Selection(flags=NO_FLAGS)),
    ],
)
def test_durable_messages_go_to_the_stream_and_read_back_unchanged(message):
    entry = CODEC.encode(message)
    assert isinstance(entry, StreamEntry)
    assert read_entry(fields(entry)) == message


@pytest.mark.parametrize(
    "data",
    [
        "not base64!",
        "{not json",
        base64.b64encode(b"\xc1").decode(),  # never valid msgpack
        base64.b64encode(b"\x93\x01\x02\x03").decode(),  # msgpack, but no map
    ],
)
def test_entry_data_that_does_not_decode_is_a_protocol_error(data):
    with pytest.raises(ClusterProtocolError):
        read_entry({"uid": "n", "nsp": "/", "type": "3", "data": data})


@pytest.mark.parametrize("number", ["", "x", "-1", "3.0", "99999999999999"])
def test_an_entry_type_that_is_no_small_decimal_is_a_protocol_error(number):
    with pytest.raises(ClusterProtocolError):
        read_entry({"uid": "n", "nsp": "/", "type": number})


# -- pub/sub ------------------------------------------------------------------------------------


def test_a_fetch_request_is_msgpack_on_the_requests_channel_as_node_publishes_it():
    request = FetchSockets(
        uid="fedcba9876543210",
        nsp="/",
        selection=Selection(rooms=("r",), flags=NO_FLAGS),
        request_id="0123456789abcdef",
    )
    assert CODEC.encode(request) == Publication("socket.io#/#", NODE_FETCH)
    assert CODEC.read("socket.io#/#", NODE_FETCH) == request


def test_ephemeral_messages_are_msgpack_even_without_bytes():
    with_ack = Broadcast(uid="u", nsp="/", event="e", selection=Selection(), request_id="r1")
    emit = ServerSideEmit(uid="u", nsp="/", event="hello", args=(1,))
    for message in (with_ack, emit):
        publication = CODEC.encode(message)
        assert isinstance(publication, Publication)
        assert publication.channel == "socket.io#/#"
        assert publication.payload[:1] != b"{"
        assert CODEC.read(publication.channel, publication.payload) == message


def test_responses_go_to_the_requesters_own_channel():
    answer = FetchSocketsResponse(uid="u", nsp="/", request_id="r1")
    ack = BroadcastAck(uid="u", nsp="/", request_id="r1", arg=b"\x01")
    for response in (answer, ack):
        publication = CODEC.encode(response, requester="asker")
        assert isinstance(publication, Publication)
        assert publication.channel == "socket.io#/#asker#"


def test_the_channels_and_the_count_follow_the_channel_prefix():
    codec = RedisStreamsFormat(channel_prefix="app", use_sharded_pubsub=True).codec("/chat")
    wanted = codec.subscriptions("me")
    assert (wanted.channels, wanted.sharded) == (("app#/chat#", "app#/chat#me#"), True)
    assert codec.count_channel == "app#/chat#"
    assert codec.owns("app#/chat#other#")
    assert not codec.owns("app#/#")


def test_a_format_with_a_size_or_time_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="positive"):
        RedisStreamsFormat(read_count=0)


# -- commands ---------------------------------------------------------------------------------


def test_the_commands_are_node_s_with_the_format_s_options():
    custom = RedisStreamsFormat(stream_name="s", max_len=50, read_count=7, block_time=0.25)
    entry = StreamEntry((("uid", "u"), ("nsp", "/"), ("type", "2")))
    assert append(custom, entry) == (
        b"XADD",
        b"s",
        b"MAXLEN",
        b"~",
        b"50",
        b"*",
        b"uid",
        b"u",
        b"nsp",
        b"/",
        b"type",
        b"2",
    )
    assert read_after(custom, "5-1") == (
        b"XREAD",
        b"COUNT",
        b"7",
        b"BLOCK",
        b"250",
        b"STREAMS",
        b"s",
        b"5-1",
    )
    assert last_entry(custom) == (b"XREVRANGE", b"s", b"+", b"-", b"COUNT", b"1")
    assert entries_between(custom, "(5-1", "+", 10) == (
        b"XRANGE",
        b"s",
        b"(5-1",
        b"+",
        b"COUNT",
        b"10",
    )
    assert keep_session(custom, "p", b"v", 1500) == (
        b"SET",
        b"sio:session:p",
        b"v",
        b"PX",
        b"1500",
    )
    assert take_session(custom, "p") == (b"GETDEL", b"sio:session:p")


# -- replies and entry ids --------------------------------------------------------------------


def test_read_replies_come_as_resp3_maps_or_resp2_arrays():
    entries = [[b"1-0", [b"uid", b"u", b"nsp", b"/", b"type", b"2"]]]
    expected = [("1-0", {"uid": "u", "nsp": "/", "type": "2"})]
    assert read_entries({b"socket.io": entries}, FORMAT) == expected
    assert read_entries([[b"socket.io", entries]], FORMAT) == expected
    assert read_entries(None, FORMAT) == []
    assert read_entries({b"another": entries}, FORMAT) == []


def test_an_entry_whose_fields_are_not_text_keeps_its_id():
    assert entries_of([[b"7-0", [b"uid", b"\xff"]], [b"8-0", [b"odd"]]]) == [
        ("7-0", None),
        ("8-0", None),
    ]


@pytest.mark.parametrize("reply", [b"OK", [[b"not-an-id", []]], [[b"1-0"]], 3])
def test_a_reply_of_the_wrong_shape_is_a_protocol_error(reply):
    with pytest.raises(ClusterProtocolError):
        entries_of(reply)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1-0", True),
        ("1700000000000-12", True),
        ("1", False),
        ("1-", False),
        ("a-1", False),
        ("\u0661-\u0660", False),  # Arabic-Indic digits: Python's \d takes them, Node's not
        (" 1-0", False),
        ("1-0\n", False),
    ],
)
def test_an_entry_id_is_ascii_digits_dash_digits(text, valid):
    assert is_entry_id(text) is valid


def test_entry_ids_sort_by_milliseconds_then_sequence():
    assert sorted(["10-0", "9-5", "9-10"], key=entry_order) == ["9-5", "9-10", "10-0"]


# -- sessions ---------------------------------------------------------------------------------


def test_a_session_node_stored_reads_back_without_a_namespace():
    session = decode_session(NODE_SESSION.encode())
    assert session == StoredSession(
        sid="Xc3bHg-CDlZd3sGdAAAB",
        pid="pQfEjJtwq9V1Z2CDAAAC",
        rooms=("Xc3bHg-CDlZd3sGdAAAB", "club"),
        data={},
        nsp=None,
    )


def test_a_session_is_stored_as_node_stores_it_with_its_namespace_added():
    session = StoredSession(
        sid="Xc3bHg-CDlZd3sGdAAAB",
        pid="pQfEjJtwq9V1Z2CDAAAC",
        rooms=("Xc3bHg-CDlZd3sGdAAAB", "club"),
        data={},
    )
    assert encode_session(session) == NODE_SESSION.encode()
    scoped = StoredSession(sid="s", pid="p", rooms=(), data={"b": b"\x01"}, nsp="/chat")
    assert decode_session(encode_session(scoped)) == scoped


def test_session_data_no_format_carries_is_stored_as_none():
    session = StoredSession(sid="s", pid="p", rooms=("s",), data=object())
    assert decode_session(encode_session(session)).data is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"not base64!",
        base64.b64encode(b"\x93\x01\x02\x03"),  # an array
        base64.b64encode(b"\x81\xa3sid\x01"),  # sid is a number
        base64.b64encode(b"\x83\xa3sid\xa1s\xa3pid\xa1p\xa5rooms\x91\x01"),  # a room is a number
    ],
)
def test_what_is_not_a_session_is_a_protocol_error(raw):
    with pytest.raises(ClusterProtocolError):
        decode_session(raw)
