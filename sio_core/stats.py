"""How much state a server holds: counts of its tables, for tests, metrics and leak hunting.

A long-lived server must forget each session, socket, acknowledgement and timer when it ends;
a leak shows as a count that keeps growing while the clients come and go. Taking the counts
copies no table, so they are cheap enough to export as metrics.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerStats:
    """The sizes of a server's tables now; all zero for a server with nothing to do.

    :param sessions: Engine.IO sessions, those still closing (a polling session waits for the
        GET that collects its close packet) included.
    :param websockets: WebSockets the server reads: session transports and upgrade probes.
    :param held_requests: long-polling GETs held open for output.
    :param engine_timers: armed heartbeat, upgrade and close deadlines.
    :param connections: Socket.IO connections (one per Engine.IO session not closing); 0 on
        a plain Engine.IO server, like every count below.
    :param sockets: sockets connecting (waiting for a decision) or connected.
    :param connect_timers: connections that must join a namespace by a deadline.
    :param awaited_acks: the server's emits waiting for their client's answer.
    :param owed_acks: the clients' events waiting for the application's answer.
    :param ack_timers: armed timeouts of awaited acks.
    :param broadcasts: broadcasts with acks still gathering answers.
    """

    sessions: int
    websockets: int
    held_requests: int
    engine_timers: int
    connections: int = 0
    sockets: int = 0
    connect_timers: int = 0
    awaited_acks: int = 0
    owed_acks: int = 0
    ack_timers: int = 0
    broadcasts: int = 0
