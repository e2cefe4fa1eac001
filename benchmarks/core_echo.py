"""The core alone: microseconds a SocketServer spends on one echo, with no network, no loop
and no backend. It is sio_core's share of ``make bench``'s echo scenario, measured without the
noise of sockets and schedulers, so that a change to the core shows in a few seconds.

    .venv/bin/python benchmarks/core_echo.py [--sessions 50] [--messages 100000] [--profile]

An echo is what the backend asks of the core for one small event: the WebSocket message
``42<id>["echo","..."]`` in, ``events()``, the ack the echo handler answers, ``events()`` (its
write, taken at once by the kernel, is not reported: see ``ws_unwritten``). Messages go
round-robin over ``sessions`` WebSocket sessions, each with its socket on ``/``. Each round
checks that every event got its ACK; the best round is printed (the others are slower only by
what else ran on the machine).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from sio_core import CountingIds, HttpRequest, SocketServer
from sio_core.events import EventReceived, SocketConnecting, WebSocketDataReady

_UPGRADE = (
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("sec-websocket-version", "13"),
)
_PAYLOAD = '"hello world 0123456789"'  # 24 bytes of JSON, about the bench's 32-byte echo


def open_sessions(core: SocketServer, count: int) -> list[int]:
    """``count`` WebSocket sessions, each with a socket on ``/``; their WebSocket ids."""
    request = HttpRequest.from_target("GET", "/socket.io/?EIO=4&transport=websocket", _UPGRADE)
    ws_ids = list(range(1, count + 1))
    for ws_id in ws_ids:
        core.receive_request(ws_id, request, 0.0)
        core.events()
        core.receive_ws_message(ws_id, "40", 0.0)
        for event in core.events():
            if isinstance(event, SocketConnecting):
                core.accept(event.socket_id)
                core.release(event.socket_id)
        core.events()
    return ws_ids


def echo_round(core: SocketServer, ws_ids: list[int], messages: int) -> int:
    """Feed ``messages`` echoes; how many ACKs were handed to a WebSocket."""
    acked = 0
    sessions = len(ws_ids)
    for index in range(messages):
        core.receive_ws_message(ws_ids[index % sessions], f'42{index}["echo",{_PAYLOAD}]', 0.0)
        for event in core.events():
            if type(event) is EventReceived and event.ack_id is not None:
                core.ack(event.socket_id, event.ack_id, event.args)
        for event in core.events():
            if type(event) is WebSocketDataReady:
                acked += len(event.messages)
    return acked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--messages", type=int, default=100_000, help="echoes per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="one round under cProfile")
    options = parser.parse_args()
    core = SocketServer(id_generator=CountingIds())
    ws_ids = open_sessions(core, options.sessions)
    echo_round(core, ws_ids, min(options.messages, 2000))  # warm the caches
    if options.profile:
        profile = cProfile.Profile()
        profile.runcall(echo_round, core, ws_ids, options.messages)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    best = float("inf")
    for _ in range(options.rounds):
        started = time.perf_counter()
        acked = echo_round(core, ws_ids, options.messages)
        best = min(best, time.perf_counter() - started)
        if acked != options.messages:
            raise SystemExit(f"{options.messages} echoes got {acked} ACKs")
    per_echo = best / options.messages * 1e6
    print(f"core echo: {per_echo:.2f} us per echo ({options.sessions} WebSocket sessions)")


if __name__ == "__main__":
    main()
