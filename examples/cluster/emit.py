"""Say something to every client of the cluster from outside it: a worker, a cron job.

    python examples/cluster/emit.py --redis redis://127.0.0.1:6379 "the build is green"

It runs no server: ``RedisEmitter`` publishes what Node's ``@socket.io/redis-emitter`` would,
so servers on the classic adapter (Python or Node) deliver it; sharded ones never hear it.
"""

from __future__ import annotations

import argparse

import anyio
from sio_anyio import RedisEmitter


async def announce(redis: str, key: str, text: str) -> None:
    async with RedisEmitter(redis, key=key) as emitter:
        await emitter.to("chat").emit("said", "announcer", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--key", default="socket.io", help="the servers' channel prefix")
    options = parser.parse_args()
    anyio.run(announce, options.redis, options.key, options.text)


if __name__ == "__main__":
    main()
