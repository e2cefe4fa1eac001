"""A client of the cluster example: says something, asks who is there and how busy each server is,
then prints what the room says until Ctrl-C. Uses python-socketio's client
(``pip install "python-socketio[asyncio_client]"``).

    python examples/cluster/client.py --url http://127.0.0.1:3002 --name bob "hello from two"
"""

from __future__ import annotations

import argparse
import asyncio

import socketio  # type: ignore[import-untyped]  # python-socketio ships no type hints


async def chat(url: str, name: str, text: str) -> None:
    client = socketio.AsyncClient()

    @client.on("said")  # type: ignore[untyped-decorator]
    def said(user: str, words: str) -> None:
        print(f"{user}: {words}", flush=True)

    await client.connect(url, auth={"name": name}, transports=["websocket"])
    print("who:", await client.call("who"), flush=True)
    print("load:", await client.call("load"), flush=True)
    await client.emit("say", text)
    await client.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text")
    parser.add_argument("--url", default="http://127.0.0.1:3001")
    parser.add_argument("--name", default="anonymous")
    options = parser.parse_args()
    asyncio.run(chat(options.url, options.name, options.text))


if __name__ == "__main__":
    main()
