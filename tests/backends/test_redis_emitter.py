"""``RedisEmitter`` on its own, on asyncio and trio: what it refuses, and Redis out of reach.

What it publishes, and what it does to the clients of Node and sio-core servers, is tested
against Node's own emitter in ``tests/cluster/test_emitter.py``.
"""

from __future__ import annotations

import uuid

import anyio
import pytest
from sio_anyio import RedisEmitter, RedisUnavailable

from sio_core.errors import LocalProtocolError

pytestmark = pytest.mark.anyio

LIMIT = 10


async def test_reserved_event_names_are_refused_before_publishing(redis_url):
    async with RedisEmitter(redis_url, key=f"unused-{uuid.uuid4().hex[:8]}") as emitter:
        with pytest.raises(LocalProtocolError, match="reserved"):
            await emitter.emit("disconnect")
        with pytest.raises(LocalProtocolError, match="reserved"):
            await emitter.server_side_emit("connection")


async def test_unreachable_redis_raises_on_publish(spawn_redis):
    redis = spawn_redis(start=False)
    with anyio.fail_after(LIMIT):
        async with RedisEmitter(redis.url, connect_timeout=0.2) as emitter:
            with pytest.raises(RedisUnavailable):
                await emitter.to("room").emit("news")


async def test_redis_that_comes_late_is_used_once_there(spawn_redis):
    redis = spawn_redis(start=False)
    with anyio.fail_after(LIMIT):
        async with RedisEmitter(redis.url, connect_timeout=0.2) as emitter:
            redis.start()
            while True:  # the emitter's link retries by itself; each try is bounded
                try:
                    await emitter.emit("news")
                except RedisUnavailable:
                    await anyio.sleep(0.05)
                else:
                    break


async def test_the_emitter_is_used_inside_async_with_only(redis_url):
    emitter = RedisEmitter(redis_url)
    with pytest.raises(RuntimeError, match="async with"):
        await emitter.emit("news")
