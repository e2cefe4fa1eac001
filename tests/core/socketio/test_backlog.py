"""A Socket.IO server's backlog is its Engine.IO server's: broadcasts in a loop make one."""

from __future__ import annotations

from sio_core import CountingIds, SocketServer
from sio_core.engineio._server import BACKLOG_PER_SESSION
from sio_core.testing import Harness, SocketIOClient


def test_a_broadcast_in_a_loop_makes_a_backlog_once_each_socket_has_sixteen_packets() -> None:
    server = SocketServer(id_generator=CountingIds())
    harness = Harness(server)
    for _ in range(3):
        assert SocketIOClient(harness).connect() is not None
    for index in range(BACKLOG_PER_SESSION):
        assert not server.backlogged
        server.operations.broadcast("/", "tick", [index])
    assert server.backlogged
    harness.pump()
    assert not server.backlogged
