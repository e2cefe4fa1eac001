"""Namespaces: static by name, dynamic by pattern or predicate, several on one connection."""

from __future__ import annotations

import re

from sio_core.events import EventReceived, SocketConnecting


def test_static_namespace_accepts_connect(peer):
    peer.server.namespaces.add("/chat")
    socket_id = peer.connect("/chat")
    assert peer.server.socket(socket_id).nsp == "/chat"


def test_static_namespace_name_gets_leading_slash(server):
    assert server.namespaces.add("chat").name == "/chat"
    assert server.namespaces.get("/chat") is not None


def test_main_namespace_always_exists(server):
    assert server.namespaces.get("/") is not None


def test_unknown_namespace_gets_connect_error_invalid_namespace(peer):
    events = peer.ask("/nowhere")
    assert not [e for e in events if isinstance(e, SocketConnecting)]
    assert peer.wire() == ['4/nowhere,{"message":"Invalid namespace"}']


def test_unknown_namespace_leaves_connection_open_for_other_namespaces(peer):
    peer.ask("/nowhere")
    peer.wire()
    socket_id = peer.connect("/")
    assert peer.server.is_connected(socket_id)


def test_unknown_namespace_is_not_created(peer):
    peer.ask("/nowhere")
    assert peer.server.namespaces.get("/nowhere") is None


def test_dynamic_namespace_by_regex_creates_child_on_first_connect(peer):
    family = peer.server.namespaces.add_dynamic(re.compile(r"/room-\d+"))
    assert peer.server.namespaces.get("/room-42") is None
    socket_id = peer.connect("/room-42")
    child = peer.server.namespaces.get("/room-42")
    assert child is not None
    assert child.parent is family
    assert family.children == ["/room-42"]
    assert peer.server.socket(socket_id).nsp == "/room-42"


def test_dynamic_regex_must_match_the_whole_name(peer):
    peer.server.namespaces.add_dynamic(re.compile(r"/room-\d+"))
    peer.ask("/room-42x")
    assert peer.wire() == ['4/room-42x,{"message":"Invalid namespace"}']


def test_dynamic_namespace_by_predicate_sees_name_and_auth(peer):
    seen = []

    def allow(name, auth):
        seen.append((name, auth))
        return auth.get("ok") is True

    family = peer.server.namespaces.add_dynamic(allow)
    peer.connect("/dyn", auth={"ok": True})
    assert seen == [("/dyn", {"ok": True})]
    assert peer.server.namespaces.get("/dyn").parent is family


def test_dynamic_namespace_predicate_refusal_is_invalid_namespace(peer):
    peer.server.namespaces.add_dynamic(lambda name, auth: False)
    peer.ask("/dyn", auth={"ok": False})
    assert peer.wire() == ['4/dyn,{"message":"Invalid namespace"}']


def test_dynamic_child_is_reused_by_later_connects(new_peer):
    first, second = new_peer(), new_peer("polling")
    family = first.server.namespaces.add_dynamic(re.compile(r"/room-\d+"))
    first.connect("/room-1")
    child = first.server.namespaces.get("/room-1")
    second.connect("/room-1")
    assert first.server.namespaces.get("/room-1") is child
    assert family.children == ["/room-1"]


def test_dynamic_child_is_not_rematched_after_creation(peer):
    calls = []
    peer.server.namespaces.add_dynamic(lambda name, auth: calls.append(name) or True)
    peer.connect("/dyn")
    peer.io.disconnect("/dyn")
    peer.connect("/dyn")
    assert calls == ["/dyn"]


def test_static_namespace_wins_over_dynamic_match(peer):
    peer.server.namespaces.add("/room-1")
    family = peer.server.namespaces.add_dynamic(re.compile(r"/room-\d+"))
    peer.connect("/room-1")
    assert peer.server.namespaces.get("/room-1").parent is None
    assert family.children == []


def test_first_matching_dynamic_family_takes_the_child(peer):
    first = peer.server.namespaces.add_dynamic(re.compile(r"/a.*"))
    second = peer.server.namespaces.add_dynamic(re.compile(r"/ab.*"))
    peer.connect("/abc")
    assert first.children == ["/abc"]
    assert second.children == []


def test_one_connection_holds_sockets_in_several_namespaces(peer):
    peer.server.namespaces.add("/a")
    peer.server.namespaces.add("/b")
    ids = [peer.connect("/"), peer.connect("/a"), peer.connect("/b")]
    assert len(set(ids)) == 3
    assert {peer.server.socket(i).sid for i in ids} == {peer.sid}


def test_events_are_routed_to_the_socket_of_their_namespace(peer):
    peer.server.namespaces.add("/a")
    main = peer.connect("/")
    other = peer.connect("/a")
    peer.io.emit("hello", 1, nsp="/a")
    peer.io.emit("hello", 2)
    received = [e for e in peer.harness.app_events if isinstance(e, EventReceived)]
    assert received == [
        EventReceived(socket_id=other, nsp="/a", event="hello", args=(1,)),
        EventReceived(socket_id=main, nsp="/", event="hello", args=(2,)),
    ]


def test_leaving_one_namespace_keeps_the_others(peer):
    peer.server.namespaces.add("/a")
    main = peer.connect("/")
    other = peer.connect("/a")
    peer.io.disconnect("/a")
    assert not peer.server.is_connected(other)
    assert peer.server.is_connected(main)
    assert not peer.closed_by_server


def test_namespace_can_be_joined_again_after_leaving(peer):
    first = peer.connect("/")
    peer.io.disconnect("/")
    second = peer.connect("/")
    assert second != first
    assert peer.server.is_connected(second)


def test_namespace_without_socket_can_be_joined_first(peer):
    peer.server.namespaces.add("/a")
    socket_id = peer.connect("/a")
    assert peer.server.is_connected(socket_id)
