"""How much state a server holds, and how much traffic it carried: counts, for tests, metrics,
dashboards and leak hunting.

A long-lived server must forget each session, socket, acknowledgement and timer when it ends;
a leak shows as a count that keeps growing while the clients come and go. Taking the counts
copies no table, so they are cheap enough to export as metrics.

:class:`Traffic` is what the admin UI charts: packets and bytes each way, sessions opened and
closed. Counting is off until asked for (``count_traffic()``).
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


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """What a server carried since it started counting; the counts only grow.

    Packets and bytes count as Node's admin UI counts them: each Engine.IO packet with a
    payload (a ``message``, a ``ping`` that carries data...), by the UTF-8 size of that payload
    (its size as is when binary), without the packet type or any framing. Transport control
    packets (an upgrade's probes, ``noop``, a polling ``close``) are not counted.

    :param sessions_closed: how many sessions ended, by Node's reason (``"transport close"``...).
    """

    packets_in: int = 0
    bytes_in: int = 0
    packets_out: int = 0
    bytes_out: int = 0
    sessions_opened: int = 0
    sessions_closed: dict[str, int] = dataclasses.field(default_factory=dict)

    def since(self, earlier: Traffic) -> Traffic:
        """What was carried between ``earlier`` (a previous snapshot) and this one."""
        closed = {
            reason: count - earlier.sessions_closed.get(reason, 0)
            for reason, count in self.sessions_closed.items()
        }
        return Traffic(
            packets_in=self.packets_in - earlier.packets_in,
            bytes_in=self.bytes_in - earlier.bytes_in,
            packets_out=self.packets_out - earlier.packets_out,
            bytes_out=self.bytes_out - earlier.bytes_out,
            sessions_opened=self.sessions_opened - earlier.sessions_opened,
            sessions_closed={reason: count for reason, count in closed.items() if count},
        )
