"""Shared fixtures: every anyio-marked test runs on asyncio and on trio; real Redis servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# With --import-mode=importlib nothing puts this folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from redis_server import redis_server, redis_url, spawn_redis

__all__ = ["redis_server", "redis_url", "spawn_redis"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
