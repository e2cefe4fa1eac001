"""Traffic counts: what the admin UI charts, packets and bytes each way and sessions.

Off until ``count_traffic()``; then every packet with a payload counts, by the UTF-8 size of
its payload, as Node's admin UI counts them from ``packet`` and ``packetCreate``.
"""

from __future__ import annotations

from sio_core import EngineServer, SocketServer, Traffic
from sio_core.ids import CountingIds
from sio_core.testing import Harness, PollingClient, SocketIOClient, WebSocketClient


def engine(harness: Harness) -> EngineServer:
    assert isinstance(harness.core, EngineServer)
    return harness.core


def counted(harness: Harness) -> Traffic:
    traffic = engine(harness).traffic()
    assert traffic is not None
    return traffic


def test_a_server_that_does_not_count_has_no_traffic(
    harness: Harness, client: PollingClient
) -> None:
    client.send("4hello")
    assert engine(harness).traffic() is None


def test_counting_starts_at_zero(harness: Harness) -> None:
    engine(harness).count_traffic()
    assert counted(harness) == Traffic()


def test_received_messages_count_their_payload_bytes(
    harness: Harness, client: PollingClient
) -> None:
    engine(harness).count_traffic()
    client.send("4hello\x1e4é")
    traffic = counted(harness)
    assert (traffic.packets_in, traffic.bytes_in) == (2, len("hello") + len("é".encode()))


def test_binary_payload_counts_its_bytes(harness: Harness, ws_client: WebSocketClient) -> None:
    engine(harness).count_traffic()
    ws_client.send(b"\x01\x02\x03")
    assert (counted(harness).packets_in, counted(harness).bytes_in) == (1, 3)


def test_sent_messages_count_when_queued(harness: Harness, client: PollingClient) -> None:
    engine(harness).count_traffic()
    engine(harness).send(client.sid, "abc")
    harness.pump()
    traffic = counted(harness)
    assert (traffic.packets_out, traffic.bytes_out) == (1, 3)


def test_packets_without_payload_are_not_counted(harness: Harness, client: PollingClient) -> None:
    engine(harness).count_traffic()
    held = client.poll()
    harness.advance(25.0)  # the server's ping
    assert harness.response(held) is not None
    client.send("3")  # the pong
    assert counted(harness) == Traffic()


def test_upgrade_probes_are_not_counted(harness: Harness, client: PollingClient) -> None:
    engine(harness).count_traffic()
    client.upgrade()
    assert counted(harness) == Traffic()


def test_sessions_opened_and_closed_by_reason(harness: Harness) -> None:
    engine(harness).count_traffic()
    first, second = harness.polling_client(), harness.websocket_client()
    first.send("1")
    harness.ws_close(second.ws)
    traffic = counted(harness)
    assert traffic.sessions_opened == 2
    assert traffic.sessions_closed == {"transport close": 2}


def test_a_session_closed_twice_counts_once(harness: Harness, client: PollingClient) -> None:
    engine(harness).count_traffic()
    engine(harness).close(client.sid)
    engine(harness).close(client.sid)
    assert counted(harness).sessions_closed == {"forced close": 1}


def test_count_traffic_twice_keeps_the_counts(harness: Harness, client: PollingClient) -> None:
    engine(harness).count_traffic()
    client.send("4a")
    engine(harness).count_traffic()
    assert counted(harness).packets_in == 1


def test_since_gives_what_was_carried_between_two_snapshots(
    harness: Harness, client: PollingClient
) -> None:
    engine(harness).count_traffic()
    client.send("4a")
    earlier = counted(harness)
    client.send("4bc")
    engine(harness).close(client.sid)
    assert counted(harness).since(earlier) == Traffic(
        packets_in=1, bytes_in=2, sessions_closed={"forced close": 1}
    )


def test_socket_server_counts_the_socketio_packets() -> None:
    server = SocketServer(id_generator=CountingIds())
    harness = Harness(server)
    server.connections.count_traffic()
    client = SocketIOClient(harness)
    client.connect()
    client.emit("hi")
    traffic = server.connections.traffic()
    assert traffic is not None
    assert traffic.sessions_opened == 1
    assert traffic.packets_in == 2  # the CONNECT, then the event
    assert traffic.bytes_in == len("0") + len('2["hi"]')
