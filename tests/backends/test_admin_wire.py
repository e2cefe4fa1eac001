"""The admin UI's protocol as data (``sio_anyio._admin_wire``): no server, no network.

Expected values are those of npm ``@socket.io/admin-ui`` 0.5.1 (``lib/index.ts`` and its tests):
the order of the features, the shape of a described socket, the aggregated events.
"""

from __future__ import annotations

import pytest
from sio_anyio import _admin_wire as wire

from sio_core import Traffic
from sio_core.http import HttpRequest
from sio_core.socketio._socket import Handshake

NODE_HASH = "$2b$10$nu1FHRkuxkZkqID.31gz4uQsyERZAn.m4IIruysTsHDODBtrqS5Me"
"""The hash of "changeit" in the package's own tests (made by bcryptjs)."""


# -- config --------------------------------------------------------------------------------------


def test_development_mode_offers_every_command_and_every_event() -> None:
    assert wire.config(read_only=False, mode="development") == {
        "supportedFeatures": [
            "EMIT",
            "JOIN",
            "LEAVE",
            "DISCONNECT",
            "MJOIN",
            "MLEAVE",
            "MDISCONNECT",
            "AGGREGATED_EVENTS",
            "ALL_EVENTS",
        ]
    }


def test_read_only_offers_no_command() -> None:
    assert wire.config(read_only=True, mode="development") == {
        "supportedFeatures": ["AGGREGATED_EVENTS", "ALL_EVENTS"]
    }


def test_production_mode_offers_the_aggregated_events_only() -> None:
    assert wire.config(read_only=True, mode="production") == {
        "supportedFeatures": ["AGGREGATED_EVENTS"]
    }


# -- authentication ------------------------------------------------------------------------------


def test_auth_false_means_no_authentication() -> None:
    assert wire.basic_auth(False) is None


def test_basic_auth_takes_nodes_option() -> None:
    option = {"type": "basic", "username": "admin", "password": NODE_HASH}
    assert wire.basic_auth(option) == wire.BasicAuth("admin", NODE_HASH)


@pytest.mark.parametrize(
    "option",
    [
        {"type": "digest", "username": "admin", "password": NODE_HASH},
        {"username": "admin", "password": NODE_HASH},
        "admin:changeit",
    ],
)
def test_an_auth_option_that_is_not_basic_is_refused(option: object) -> None:
    with pytest.raises(ValueError, match="invalid `auth` option"):
        wire.basic_auth(option)  # type: ignore[arg-type]


@pytest.mark.parametrize("password", ["changeit", NODE_HASH[:-1], "$2z$10$" + "a" * 53, None])
def test_a_password_that_is_not_a_bcrypt_hash_is_refused(password: object) -> None:
    with pytest.raises(ValueError, match="valid bcrypt hash"):
        wire.basic_auth({"type": "basic", "username": "admin", "password": password})


def test_password_bytes_stop_at_bcrypts_72() -> None:
    assert wire.password_bytes("é" * 40) == ("é" * 36).encode()
    assert wire.password_bytes("short") == b"short"


# -- sockets -------------------------------------------------------------------------------------


def handshake(**headers: str) -> Handshake:
    request = HttpRequest.from_target(
        "GET",
        "/socket.io/?EIO=4&transport=websocket&room=a",
        headers=headers.items(),
        client=("10.0.0.7", 5000),
        timestamp=1_700_000_000.5,
    )
    return Handshake.from_request(request, {"token": "secret"})


def test_a_socket_is_described_as_node_describes_it() -> None:
    shake = handshake(host="example.com")
    data = {"user": "ann", "_admin": {"clientId": "abcdefghijkl", "transport": "websocket"}}
    described = wire.describe_socket(
        socket_id="s1", nsp="/chat", handshake=shake, rooms=["s1", "lobby"], data=data
    )
    assert described == {
        "id": "s1",
        "clientId": "abcdefghijkl",
        "transport": "websocket",
        "nsp": "/chat",
        "data": {"user": "ann"},
        "handshake": {
            "address": "10.0.0.7",
            "headers": {"host": "example.com"},
            "query": shake.query,
            "issued": 1_700_000_000_500,
            "secure": False,
            "time": shake.time,
            "url": shake.url,
            "xdomain": False,
        },
        "rooms": ["s1", "lobby"],
    }


@pytest.mark.parametrize(
    ("headers", "address"),
    [
        ({"cf-connecting-ip": "1.1.1.1", "x-forwarded-for": "2.2.2.2"}, "1.1.1.1"),
        ({"x-forwarded-for": "2.2.2.2, 3.3.3.3"}, "2.2.2.2, 3.3.3.3"),
    ],
)
def test_the_address_behind_a_proxy_comes_from_its_header(
    headers: dict[str, str], address: str
) -> None:
    described = wire.describe_socket(
        socket_id="s", nsp="/", handshake=handshake(**headers), rooms=[], data={}
    )
    assert described["handshake"]["address"] == address


def test_a_sockets_own_room_comes_first_then_the_others_by_name() -> None:
    described = wire.describe_socket(
        socket_id="s1", nsp="/", handshake=handshake(), rooms={"b", "s1", "a"}, data={}
    )
    assert described["rooms"] == ["s1", "a", "b"]


def test_a_socket_without_the_admin_entry_has_no_client_id() -> None:
    described = wire.describe_socket(
        socket_id="s", nsp="/", handshake=handshake(), rooms=[], data="not a dict"
    )
    assert (described["clientId"], described["transport"], described["data"]) == (
        None,
        None,
        "not a dict",
    )


def test_the_admin_entry_keeps_twelve_characters_of_the_engine_id() -> None:
    assert wire.admin_entry("0123456789abcdefghij", "polling") == {
        "clientId": "0123456789ab",
        "transport": "polling",
    }


def test_dates_are_written_as_json_writes_a_javascript_date() -> None:
    assert wire.js_date(1_700_000_000.25) == "2023-11-14T22:13:20.250Z"


# -- statistics ----------------------------------------------------------------------------------


def test_aggregated_events_name_each_count_and_skip_zeros() -> None:
    traffic = Traffic(
        packets_in=3,
        bytes_in=30,
        packets_out=1,
        bytes_out=5,
        sessions_opened=2,
        sessions_closed={"transport close": 1},
    )
    assert wire.aggregated_events(traffic, 1_000) == [
        {"timestamp": 1_000, "type": "rawConnection", "count": 2},
        {"timestamp": 1_000, "type": "rawDisconnection", "count": 1, "subType": "transport close"},
        {"timestamp": 1_000, "type": "packetsIn", "count": 3},
        {"timestamp": 1_000, "type": "packetsOut", "count": 1},
        {"timestamp": 1_000, "type": "bytesIn", "count": 30},
        {"timestamp": 1_000, "type": "bytesOut", "count": 5},
    ]
    assert wire.aggregated_events(Traffic(), 1_000) == []


def test_server_stats_carry_nodes_fields() -> None:
    facts = wire.ServerFacts(server_id="node-1", hostname="box", pid=42)
    stats = wire.server_stats(
        facts, uptime=1.5, clients=3, polling_clients=1, events=[], namespaces=[("/", 2)]
    )
    assert stats == {
        "serverId": "node-1",
        "hostname": "box",
        "pid": 42,
        "uptime": 1.5,
        "clientsCount": 3,
        "pollingClientsCount": 1,
        "aggregatedEvents": [],
        "namespaces": [{"name": "/", "socketsCount": 2}],
    }


# -- the UI's commands ---------------------------------------------------------------------------


def test_emit_to_a_room_with_arguments() -> None:
    command = wire.parse_command("emit", ["/", "room1", "hello", "world", 2])
    assert command == wire.Emit("/", "room1", "hello", ("world", 2))


def test_emit_without_filter_reaches_the_whole_namespace() -> None:
    assert wire.parse_command("emit", ["/", None, "hi"]) == wire.Emit("/", None, "hi", ())
    assert wire.parse_command("emit", ["/", "", "hi"]) == wire.Emit("/", None, "hi", ())


def test_join_and_leave_with_and_without_filter() -> None:
    assert wire.parse_command("join", ["/", "room1", "s1"]) == wire.Join("/", "room1", "s1")
    assert wire.parse_command("leave", ["/chat", "room1"]) == wire.Leave("/chat", "room1", None)


def test_disconnect_with_close_and_filter() -> None:
    command = wire.parse_command("_disconnect", ["/", True, "s1"])
    assert command == wire.Disconnect("/", True, "s1")


def test_several_rooms_are_a_tuple() -> None:
    command = wire.parse_command("join", ["/", ["a", "b"], ["c"]])
    assert command == wire.Join("/", ("a", "b"), ("c",))


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("emit", ["/", None], "3 arguments at least"),
        ("emit", [1, None, "hi"], "namespace must be a non-empty string"),
        ("emit", ["/", None, {"x": 1}], "event must be"),
        ("join", ["/"], "2 arguments at least"),
        ("join", ["/", 7], "room must be"),
        ("leave", ["/", "room", 5], "room must be"),
        ("_disconnect", ["/", "yes"], "close must be true or false"),
        ("destroy", ["/"], "no such command"),
    ],
)
def test_malformed_commands_are_refused(name: str, args: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wire.parse_command(name, args)
