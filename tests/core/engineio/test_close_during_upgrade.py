"""A close forced by the server while the client upgrades: the outbox still reaches the client.

The client stops polling once it has its ``3probe`` and sends ``5`` on the probe, so the
server keeps the probe through a forced close (as Node does). Three windows, named after what
the client did last: *probe sent* (the server has not read ``2probe`` yet), *probe answered*
(the client has ``3probe`` and its last GET is on the way), *upgrade pending* (its last GET
came back and its ``5`` is on the way).
"""

from __future__ import annotations

from sio_core.events import SessionClosed, SessionUpgraded
from sio_core.testing import FakeWebSocket, Harness, PollingClient


def open_probe(harness: Harness, client: PollingClient) -> FakeWebSocket:
    return harness.open_websocket(f"/engine.io/?EIO=4&transport=websocket&sid={client.sid}")


def force_close_with(harness: Harness, client: PollingClient, *messages: str) -> None:
    for message in messages:
        harness.core.send(client.sid, message)
    harness.core.close(client.sid)
    harness.pump()


# -- probe sent ------------------------------------------------------------------------------


def test_probe_sent_held_get_collects_the_outbox_at_once(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    probe = open_probe(harness, client)
    force_close_with(harness, client, "bye")
    response = harness.response(held)
    assert response is not None
    assert response.body == b"4bye"
    assert not probe.closed


def test_probe_sent_the_probe_is_still_answered_after_the_close(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    force_close_with(harness, client, "bye")
    harness.ws_send(probe, "2probe")
    assert probe.take() == ["3probe"]


def test_probe_sent_then_upgrade_sends_the_outbox_over_the_websocket_then_closes(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    force_close_with(harness, client, "bye")
    harness.ws_send(probe, "2probe")
    probe.take()
    harness.ws_send(probe, "5")
    assert probe.take() == ["4bye"]
    assert probe.close_code == 1000


def test_probe_sent_then_get_collects_outbox_then_close_packet_and_closes_the_probe(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    force_close_with(harness, client, "bye")
    assert client.receive() == "4bye"
    assert not probe.closed
    assert client.receive() == "1"
    assert probe.closed


# -- probe answered ---------------------------------------------------------------------------


def test_probe_answered_last_get_collects_the_outbox(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    harness.ws_send(probe, "2probe")
    force_close_with(harness, client, "bye")
    assert client.receive() == "4bye"
    harness.ws_send(probe, "5")
    assert probe.take() == ["3probe"]
    assert probe.close_code == 1000


def test_probe_answered_the_session_is_reported_closed_once(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    harness.ws_send(probe, "2probe")
    force_close_with(harness, client, "bye")
    client.receive()
    harness.ws_send(probe, "5")
    assert [e.reason.value for e in harness.events_of(SessionClosed)] == ["forced close"]
    assert harness.events_of(SessionUpgraded) == []


# -- upgrade pending --------------------------------------------------------------------------


def test_upgrade_pending_outbox_leaves_over_the_websocket_then_it_closes(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    harness.ws_send(probe, "2probe")
    assert client.receive() == "6"  # the last GET: the client pauses polling and sends 5
    force_close_with(harness, client, "bye", "again")
    assert not probe.closed
    harness.ws_send(probe, "5")
    assert probe.take() == ["3probe", "4bye", "4again"]
    assert probe.close_code == 1000


def test_upgrade_pending_session_is_forgotten_once_the_websocket_closed(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    harness.ws_send(probe, "2probe")
    client.receive()
    force_close_with(harness, client, "bye")
    harness.ws_send(probe, "5")
    assert harness.core.transport_of(client.sid) is None
    assert harness.core.next_deadline() is None


def test_upgrade_pending_without_the_upgrade_the_probe_closes_at_the_upgrade_timeout(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    harness.ws_send(probe, "2probe")
    client.receive()
    force_close_with(harness, client, "bye")
    harness.advance(9.9)
    assert not probe.closed
    harness.advance(0.1)
    assert probe.closed
    assert client.receive() == "4bye"  # the session still lingers for a GET


def test_client_close_during_the_upgrade_still_closes_the_probe_at_once(
    harness: Harness, client: PollingClient
) -> None:
    probe = open_probe(harness, client)
    harness.ws_send(probe, "2probe")
    client.send("1")
    assert probe.closed
