"""The core's sockets as Node describes them to other nodes, and back, leniently."""

from __future__ import annotations

from sio_core import Handshake, SocketSnapshot
from sio_core.socketio._cluster_convert import fetched_of, handshake_of

HANDSHAKE = Handshake(
    headers={"host": "h"},
    query={"EIO": "4"},
    auth={"token": 1},
    time="Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
    issued=0,
    url="/socket.io/?EIO=4",
    address="::1",
    xdomain=False,
    secure=True,
)


def test_a_handshake_goes_out_in_nodes_key_order_and_comes_back_equal():
    snapshot = SocketSnapshot(id="s1", nsp="/", handshake=HANDSHAKE, rooms=frozenset(), data=None)
    sent = fetched_of(snapshot).handshake
    assert list(sent) == [
        "headers", "time", "address", "xdomain", "secure", "issued", "url", "query", "auth",
    ]  # fmt: skip
    assert handshake_of(sent) == HANDSHAKE


def test_a_socket_lists_its_own_room_first_and_only_if_it_is_in_it():
    def rooms(*names: str) -> tuple[str, ...]:
        snapshot = SocketSnapshot(
            id="s1", nsp="/", handshake=HANDSHAKE, rooms=frozenset(names), data=None
        )
        return fetched_of(snapshot).rooms

    assert rooms("zeta", "s1", "alpha") == ("s1", "alpha", "zeta")
    assert rooms("zeta", "alpha") == ("alpha", "zeta")  # it left its own room


def test_a_handshake_missing_its_fields_reads_as_empty_ones():
    assert handshake_of({}) == Handshake(
        headers={},
        query={},
        auth={},
        time="",
        issued=0,
        url="",
        address="",
        xdomain=False,
        secure=False,
    )


def test_repeated_headers_and_query_values_are_joined_and_odd_ones_dropped():
    handshake = handshake_of(
        {
            "headers": {"set-cookie": ["a=1", "b=2"], "x": 1},
            "query": {"tag": ["x", "y"], "n": None, "ok": "1"},
            "issued": 1796025199610.0,
            "auth": "not a map",
            "xdomain": "yes",
        }
    )
    assert handshake.headers == {"set-cookie": "a=1,b=2"}
    assert handshake.query == {"tag": "x,y", "ok": "1"}
    assert (handshake.issued, handshake.auth, handshake.xdomain) == (1796025199610, {}, False)
