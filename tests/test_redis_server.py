"""The Redis the tests start: their own, on a free port, and a loud failure without one."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis_server import FORBIDDEN_PORT, RedisServer


def test_shared_redis_is_our_own_and_answers(redis_server: RedisServer) -> None:
    assert redis_server.port != FORBIDDEN_PORT
    assert redis_server.command("PING") == b"+PONG"
    assert redis_server.command("CONFIG", "GET", "save").startswith(b"*2")


def test_missing_redis_server_fails_the_test_instead_of_skipping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="redis-server is not installed"):
        RedisServer(tmp_path / "redis").start()


def test_restarted_redis_answers_on_the_same_port(spawn_redis) -> None:
    redis = spawn_redis()
    port = redis.port
    redis.restart()
    assert redis.port == port
    assert redis.command("PING") == b"+PONG"
