"""Broadcasts to a client that does not read: volatile packets are dropped for it, the rest
count against its ``max_buffered_bytes``, and the other clients are served as usual."""

from __future__ import annotations

import pytest

from sio_core import BroadcastOptions, SocketConfig, SocketServer
from sio_core.config import EngineConfig
from sio_core.errors import DisconnectReason
from sio_core.events import SocketDisconnected
from sio_core.ids import CountingIds
from sio_core.testing import WebSocketClient


@pytest.fixture
def server() -> SocketServer:
    engine = EngineConfig(path="/socket.io/", max_buffered_bytes=4000)  # pauses past 1000
    return SocketServer(SocketConfig(engine=engine), id_generator=CountingIds())


def _stall(peer) -> None:
    assert isinstance(peer.io.engine, WebSocketClient)
    peer.io.engine.ws.stalled = True


def test_volatile_broadcast_is_dropped_for_a_paused_client_only(new_peer) -> None:
    slow, fast = new_peer(), new_peer()
    slow.connect()
    fast.connect()
    _stall(slow)
    slow.server.operations.broadcast("/", "big", ["x" * 1200])
    slow.harness.pump()
    assert slow.io.engine.ws.paused
    slow.wire()
    fast.wire()
    slow.server.operations.broadcast("/", "news", options=BroadcastOptions(volatile=True))
    slow.harness.pump()
    assert slow.wire() == []
    assert fast.wire() == ['2["news"]']


def test_broadcasts_past_the_limit_disconnect_the_slow_client_only(new_peer) -> None:
    slow, fast = new_peer(), new_peer()
    slow.connect()
    fast_id = fast.connect()
    _stall(slow)
    for _ in range(4):
        slow.server.operations.broadcast("/", "big", ["x" * 1200])
        slow.harness.pump()
    disconnected = slow.harness.events_of(SocketDisconnected)
    assert [e.reason for e in disconnected] == [DisconnectReason.TRANSPORT_ERROR]
    assert fast_id not in {e.socket_id for e in disconnected}
    assert len(fast.wire()) == 4
