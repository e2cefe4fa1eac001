"""Real Node bytes (``tests/core/cluster/node_captures.json``) and a server hearing them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgpack

from sio_core import SocketServer
from sio_core.cluster import ClassicRedisFormat, ClusterFormat, ShardedRedisFormat
from sio_core.events import ClusterPublish
from sio_core.socketio.packets import PacketType
from sio_core.testing import Harness, SocketIOClient

CAPTURES = json.loads(
    (Path(__file__).parents[1] / "cluster" / "node_captures.json").read_text("utf-8")
)
MESSAGES: dict[str, dict[str, Any]] = {entry["name"]: entry for entry in CAPTURES["messages"]}
UIDS = CAPTURES["uids"]
A, B = UIDS["classic"]["A"], UIDS["classic"]["B"]
B1, A1 = UIDS["classic"]["b1"], UIDS["classic"]["a1"]
C, D = UIDS["specific"]["C"], UIDS["specific"]["D"]
E, F, F1 = UIDS["sharded"]["E"], UIDS["sharded"]["F"], UIDS["sharded"]["f1"]
HELLO = ["hello", "world", 1, 2.5, None, True]
"""The event and arguments of the captures' first broadcasts."""


class ScriptedIds:
    """Counting ids, except the ones a test asks for next (a socket's id, a request's)."""

    def __init__(self) -> None:
        self.next: list[str] = []
        self._count = 0

    def __call__(self) -> str:
        if self.next:
            return self.next.pop(0)
        self._count += 1
        return f"id{self._count}".ljust(20, "_")


def format_of(entry: dict[str, Any]) -> ClusterFormat:
    prefix = entry["channel"].split("#")[0].removesuffix("-request").removesuffix("-response")
    if entry["format"] == "classic":
        return ClassicRedisFormat(
            key=prefix, publish_on_specific_response_channel=prefix == "specific"
        )
    return ShardedRedisFormat(channel_prefix=prefix)


class Listener:
    """A server in cluster mode hearing the captures, with namespaces ``/`` and ``/chat``."""

    def __init__(self, name: str, uid: str = "listen") -> None:
        self.ids = ScriptedIds()
        self.server = SocketServer(
            id_generator=self.ids, node_id=uid, cluster_format=format_of(MESSAGES[name])
        )
        self.server.namespaces.add("/chat")
        self.harness = Harness(self.server)

    def client(self, *rooms: str, socket_id: str | None = None, nsp: str = "/") -> SocketIOClient:
        if socket_id is not None:
            self.ids.next = ["session-id", socket_id]
        client = SocketIOClient(self.harness)
        joined = client.connect(nsp)
        assert joined is not None
        if rooms:
            self.server.operations.join(joined, rooms)
        return client

    def feed(self, name: str) -> None:
        entry = MESSAGES[name]
        self.server.receive_cluster_message(
            entry["channel"], bytes.fromhex(entry["hex"]), self.harness.clock.now
        )
        self.harness.pump()

    def events_of(self, kind: type) -> list[Any]:
        self.harness.pump()
        return self.harness.events_of(kind)

    def published(self) -> list[tuple[str, str]]:
        """What the node published: (channel, payload as hex), as the captures hold them."""
        return [(e.channel, e.payload.hex()) for e in self.events_of(ClusterPublish)]


def captured(name: str) -> tuple[str, str]:
    return MESSAGES[name]["channel"], MESSAGES[name]["hex"]


def events(client: SocketIOClient) -> list[list[Any]]:
    kinds = (PacketType.EVENT, PacketType.BINARY_EVENT)
    return [packet.data for packet in client.received() if packet.type in kinds]


def read(name: str) -> Any:
    payload = bytes.fromhex(MESSAGES[name]["hex"])
    return json.loads(payload) if payload[:1] == b"{" else msgpack.unpackb(payload, raw=False)


def wire_request_id(name: str) -> str:
    message = read(name)
    return str(message.get("requestId") or message["data"]["requestId"])


def emitted(name: str) -> list[Any]:
    """``[event, *args]`` of a server-side emit, in either format."""
    message = read(name)
    data = message["data"]
    return list(data if isinstance(data, list) else data["packet"])
