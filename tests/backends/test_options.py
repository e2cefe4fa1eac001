"""Node-style keyword options land on the field of the config that states their default."""

from __future__ import annotations

import dataclasses

import pytest
from sio_anyio import Server
from sio_anyio._options import BackendOptions, backend_options, socket_config

from sio_core.config import EngineConfig, SocketConfig


def test_a_keyword_replaces_one_field_of_the_default_config() -> None:
    config = socket_config(None, {"ping_interval": 5.0})
    assert config == SocketConfig(
        engine=dataclasses.replace(SocketConfig().engine, ping_interval=5.0)
    )
    assert config.engine.path == "/socket.io/"


def test_keywords_replace_fields_of_a_given_config_at_both_layers() -> None:
    given = SocketConfig(engine=EngineConfig(path="/rt/", ping_timeout=3.0), connect_timeout=9.0)
    config = socket_config(given, {"ping_interval": 5.0, "connect_timeout": 1.0})
    assert (config.engine.path, config.engine.ping_timeout) == ("/rt/", 3.0)
    assert (config.engine.ping_interval, config.connect_timeout) == (5.0, 1.0)


def test_backend_keywords_leave_the_config_alone() -> None:
    keywords = {"read_timeout": 2.0, "per_message_deflate": True}
    assert socket_config(None, keywords) == SocketConfig()
    assert backend_options(keywords) == BackendOptions(read_timeout=2.0, per_message_deflate=True)


def test_a_keyword_that_names_no_option_is_refused() -> None:
    with pytest.raises(TypeError, match="pingInterval"):
        Server(pingInterval=5)  # type: ignore[call-arg]


def test_a_config_value_is_still_checked_by_the_config() -> None:
    with pytest.raises(ValueError, match="ping_interval"):
        Server(ping_interval=0)
