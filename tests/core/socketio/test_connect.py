"""Joining a namespace: the CONNECT reply, the socket id, and the handshake the socket keeps."""

from __future__ import annotations

import json

from sio_core import SocketServer
from sio_core.events import SocketConnected, SocketConnecting
from sio_core.ids import CountingIds
from sio_core.testing import Harness, SocketIOClient

# 2023-11-14T22:13:20Z, a date with every field distinct.
TIMESTAMP = 1_700_000_000.25


def test_connect_to_main_namespace_replies_with_the_socket_id(peer):
    peer.ask("/")
    socket_id = peer.harness.app_events[-1].socket_id
    peer.server.accept(socket_id)
    peer.server.release(socket_id)
    peer.harness.pump()
    assert peer.wire() == [f'0{{"sid":"{socket_id}"}}']


def test_connect_to_custom_namespace_replies_with_namespace_prefix(peer):
    peer.server.namespaces.add("/admin")
    peer.ask("/admin")
    socket_id = peer.harness.app_events[-1].socket_id
    peer.server.accept(socket_id)
    peer.server.release(socket_id)
    peer.harness.pump()
    assert peer.wire() == [f'0/admin,{{"sid":"{socket_id}"}}']


def test_connect_reports_connecting_then_connected(peer):
    events = peer.ask("/")
    (connecting,) = events
    assert isinstance(connecting, SocketConnecting)
    assert connecting.nsp == "/"
    peer.server.accept(connecting.socket_id)
    peer.harness.pump()
    assert peer.harness.app_events[-1] == SocketConnected(socket_id=connecting.socket_id, nsp="/")


def test_socket_id_is_distinct_from_engine_sid(peer):
    socket_id = peer.connect()
    assert socket_id != peer.sid


def test_socket_id_comes_from_the_id_generator_with_twenty_chars(peer):
    socket_id = peer.connect()
    assert socket_id == "id2_________________"
    assert len(socket_id) == 20


def test_each_namespace_gets_its_own_socket_id(new_peer):
    peer = new_peer()
    peer.server.namespaces.add("/admin")
    main = peer.connect("/")
    admin = peer.connect("/admin")
    assert len({main, admin, peer.sid}) == 3


def test_socket_is_connected_after_accept(peer):
    socket_id = peer.connect()
    assert peer.server.is_connected(socket_id)
    assert not peer.server.is_pending(socket_id)


def _connect_with(headers=(), auth=None, **options):
    """A server whose only client's handshake request carries the given fields."""
    harness = Harness(SocketServer(id_generator=CountingIds()))
    client = _RequestClient(harness, headers, options)
    return client.ask(auth)


class _RequestClient:
    """Opens a polling session with a chosen handshake request, then sends CONNECT."""

    def __init__(self, harness, headers, options):
        self.harness = harness
        rid = harness.request(
            "GET", "/socket.io/?EIO=4&transport=polling&token=abc", headers=headers, **options
        )
        body = harness.responses[rid].body.decode()
        self.sid = body.split('"sid":"')[1].split('"')[0]

    def ask(self, auth):
        payload = "40" if auth is None else "40" + json.dumps(auth, separators=(",", ":"))
        url = f"/socket.io/?EIO=4&transport=polling&sid={self.sid}"
        self.harness.request("POST", url, payload)
        (connecting,) = [e for e in self.harness.app_events if isinstance(e, SocketConnecting)]
        return connecting.handshake


def test_handshake_headers_are_those_of_the_handshake_request():
    handshake = _connect_with(headers=[("X-Custom", "yes"), ("User-Agent", "test")])
    assert handshake.headers == {"x-custom": "yes", "user-agent": "test"}


def test_handshake_query_is_that_of_the_handshake_request():
    handshake = _connect_with()
    assert handshake.query == {"EIO": "4", "transport": "polling", "token": "abc"}


def test_handshake_url_is_the_handshake_request_target():
    handshake = _connect_with()
    assert handshake.url == "/socket.io/?EIO=4&transport=polling&token=abc"


def test_handshake_auth_is_the_connect_payload():
    handshake = _connect_with(auth={"token": "secret", "n": 1})
    assert handshake.auth == {"token": "secret", "n": 1}


def test_handshake_auth_is_empty_dict_when_connect_has_no_payload():
    handshake = _connect_with(auth=None)
    assert handshake.auth == {}


def test_handshake_time_is_javascript_date_string_of_request_timestamp():
    handshake = _connect_with(timestamp=TIMESTAMP)
    assert handshake.time == "Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)"


def test_handshake_issued_is_request_timestamp_in_milliseconds():
    handshake = _connect_with(timestamp=TIMESTAMP)
    assert handshake.issued == 1_700_000_000_250


def test_handshake_address_is_the_client_host():
    handshake = _connect_with(client=("203.0.113.7", 54321))
    assert handshake.address == "203.0.113.7"


def test_handshake_xdomain_is_true_with_origin_header():
    handshake = _connect_with(headers=[("Origin", "https://example.com")])
    assert handshake.xdomain is True


def test_handshake_xdomain_is_false_without_origin_header():
    handshake = _connect_with()
    assert handshake.xdomain is False


def test_handshake_secure_follows_the_request():
    assert _connect_with(secure=True).secure is True
    assert _connect_with().secure is False


def test_handshake_is_that_of_the_first_request_not_of_later_ones():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    client = _RequestClient(harness, [("x-first", "1")], {})
    harness.request(
        "GET",
        f"/socket.io/?EIO=4&transport=polling&sid={client.sid}&late=1",
        headers=[("x-later", "1")],
    )
    handshake = client.ask(None)
    assert handshake.headers == {"x-first": "1"}
    assert "late" not in handshake.query


def test_websocket_client_handshake_comes_from_the_upgrade_request():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    client = SocketIOClient(harness, transport="websocket")
    socket_id = client.connect()
    assert socket_id is not None
    handshake = harness.core.socket(socket_id).handshake
    assert handshake.query == {"EIO": "4", "transport": "websocket"}
    assert handshake.headers["upgrade"] == "websocket"
