"""A feature whose optional dependency is missing says which extra to install."""

from __future__ import annotations

import importlib
import sys

import pytest
from sio_anyio import MissingExtra, Server, run_server


def _uninstall_coredis(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if coredis were not installed: its import fails, and what imported it is forgotten."""
    for name in list(sys.modules):
        if name.split(".")[0] == "coredis" or name.startswith("sio_anyio"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "coredis", None)


def test_run_server_on_trio_without_trio_names_the_trio_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "trio", None)
    with pytest.raises(MissingExtra, match=r"pip install 'sio-core\[trio\]'"):
        run_server(Server(), "127.0.0.1", 0, backend="trio")


def test_the_redis_adapter_without_coredis_names_the_redis_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstall_coredis(monkeypatch)
    fresh = importlib.import_module("sio_anyio")
    with pytest.raises(ImportError, match=r"pip install 'sio-core\[redis\]'"):
        fresh.RedisAdapter  # noqa: B018 (the attribute is imported on first use)


def test_the_base_install_imports_without_coredis(monkeypatch: pytest.MonkeyPatch) -> None:
    _uninstall_coredis(monkeypatch)
    fresh = importlib.import_module("sio_anyio")
    fresh.Server()
    assert [name for name in sys.modules if name.startswith("coredis.")] == []
