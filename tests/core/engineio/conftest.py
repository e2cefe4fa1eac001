"""Fixtures for the Engine.IO state-machine tests: a fresh server in a fake backend per test.

Sids come from :class:`~sio_core.ids.CountingIds`, so the first session of every test is
``id1`` padded to 20 characters and wire bytes can be asserted exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sio_core import EngineServer
from sio_core.config import EngineConfig
from sio_core.ids import CountingIds
from sio_core.testing import Harness, PollingClient, WebSocketClient

MakeHarness = Callable[..., Harness]


@pytest.fixture
def make_harness() -> MakeHarness:
    """Build a harness around an :class:`EngineServer` with these :class:`EngineConfig` options."""

    def make(**options: Any) -> Harness:
        server = EngineServer(EngineConfig(**options), id_generator=CountingIds())
        return Harness(server)

    return make


@pytest.fixture
def harness(make_harness: MakeHarness) -> Harness:
    """A harness around a server with Node's default options."""
    return make_harness()


@pytest.fixture
def client(harness: Harness) -> PollingClient:
    """A client that completed a polling handshake."""
    return harness.polling_client()


@pytest.fixture
def engine(harness: Harness) -> EngineServer:
    """The harness's server, typed as the :class:`EngineServer` it is."""
    assert isinstance(harness.core, EngineServer)
    return harness.core


@pytest.fixture
def ws_client(harness: Harness) -> WebSocketClient:
    """A client that completed a WebSocket-only handshake."""
    return harness.websocket_client()
