"""The prose of docs/benchmarks.md around the numbers: what was run, where, and how to read it."""

from __future__ import annotations

from typing import Any

CEILING_HEADER = "\u00d7 ceiling"  # the column of sio-core's ratios to the wsproto ceiling

INTRO = """\
# Benchmarks

sio-core (on asyncio and on trio) against python-socketio's `AsyncServer` on uvicorn and the
official Node `socket.io` server, all driven by the same load generator: the official
`socket.io-client` in one Node process (`benchmarks/load.mjs`), and for one echo a lean client of
ours (`benchmarks/lean_client.mjs`) that costs the generator far less. Every server runs the same
handlers (`benchmarks/servers/`): on connection the socket joins room `all`; `echo` acknowledges
with its payload; `fanout` (n) makes the server emit n `tick` messages to room `all`. A fifth,
the wsproto ceiling, is no Socket.IO server but the floor under one (see below).
Regenerate this page and its plots with `make bench` (about 11 minutes). The core alone,
with no network and no loop, has a benchmark of its own: `make bench-core` prints the
microseconds a `SocketServer` spends on one small echo (a few seconds).
"""

SCENARIOS = """\
## Scenarios

All traffic is on 127.0.0.1. Each scenario is one `load.mjs` run; each server is a fresh process
per round, and `memory` runs first on it so that the idle RSS is not inflated by earlier load.
Before each scenario the harness waits (at most 20 s) until the server is idle (under 0.05 of a
core), so that the aftermath of one scenario (5000 sockets closing, say) is not billed to the next.

- **connect WS-only**: 1000 connections with `transports: ["websocket"]`, 50 at a time; each is
  closed as soon as it is connected. Latency is from `io()` to the `connect` event.
- **connect WS-only, lean clients**: the same with 2000 lean clients (see the lean echo below),
  each closed by a WebSocket close frame once its CONNECT is answered. socket.io-client saturates
  the generator's core in the row above, for fast servers: this one measures the servers.
- **connect polling+upgrade**: 200 connections with the default transports, 50 at a time;
  latency runs until the Engine.IO `upgrade` to WebSocket is done.
- **echo**: 50 WebSocket clients, each in a closed loop of `emitWithAck("echo", payload)`, for
  {echo_seconds} s after a 0.5 s warm-up (scaled down from 10 s to fit the 10-minute budget):
  a 32-character string, a 16 KiB string, and a 64 KiB `Buffer` (a binary attachment).
- **echo, lean clients**: the 32-character echo again, from 50 lean clients
  (`benchmarks/lean_client.mjs`): Engine.IO and Socket.IO spoken by hand over the `ws` package,
  the same frames as socket.io-client's (`42<id>["echo",P]`, answered by `43<id>[P]`), a fraction
  of its CPU. Node's `ws` masks and unmasks with `bufferutil` on both sides (server included),
  as Socket.IO's docs advise; sio-core does with websockets' C `apply_mask` (the `fast` extra).
- **echo 64 KiB bytes, lean clients**: the binary echo again from the lean clients (the
  placeholder event `451-<id>[...]` and its attachment, answered by `461-<id>[...]` and the
  attachment), for the same reason: socket.io-client nears a full core on it.
- **connect, echo, disconnect**: 500 clients, 50 at a time, each connecting with the client's
  defaults (long-polling, upgraded to WebSocket in the background), emitting one `echo` and
  waiting for its ack, then disconnecting. socket.io-client saturates the generator's core here
  for every server, so the cycles per second say little; the server's CPU per cycle (its CPU
  seconds over the run divided by the cycles) tells the servers apart.
- **fan-out**: 1000 WebSocket clients in room `all`; a 1-message round first proves every client
  is in the room, then one request makes the server emit 200 messages to the room; the rate is
  200 000 deliveries over the time from the request until the last client got its last message.
- **memory**: server RSS (`VmRSS` of `/proc/PID/status`) after one warm-up connection, then with
  1000 and 5000 idle WebSocket clients (1 s settle each); per connection = (RSS5000 - RSS0)/5000.

**The wsproto ceiling** (`benchmarks/servers/ws_ceiling.py`) is a bare WebSocket server on the
same stack as sio-core (wsproto on an asyncio `Protocol`, on uvloop when installed) with no
Engine.IO or Socket.IO code: it accepts the upgrade, sends an Engine.IO open packet offering no
upgrade, answers the Socket.IO CONNECT, and turns each `42<id>["echo",P]` into `43<id>[P]` (and
`451-<id>[...]` into `461-<id>[...]`, sending the attachment back verbatim) by slicing the text,
without parsing JSON. Every frame still goes through wsproto both ways, so it pays what any
Python server on wsproto pays per message and nothing more. It runs in the same rounds as the
others, on the scenarios it can serve: connect WS-only, the three echoes and memory; polling and
fan-out are beyond it (`—`).
"""

READING = """\
## How to read it

Each cell is the median over {runs} rounds with the min-max spread in parentheses; `vs py-sio` is
the ratio of medians to python-socketio (above 1 is better for rates, below 1 for latency and
memory), and `{ceiling}`, for sio-core, the ratio of medians to the wsproto ceiling (the share of
the bare server's rate sio-core reaches). `—` marks a scenario the server does not run.
`!` marks a cell where the load generator used more than 0.9 of a core in some run:
there, the client side may be the limit and the server's figure is a lower bound; on a ratio,
it marks the reference so bounded, which makes a rate's ratio an upper bound (the ceiling, the
fastest Python server here, is the likeliest to be held back by the client). The CPU table
gives, per scenario, the server's median CPU and the load generator's highest, in cores: a
server near 1.00 is the bottleneck, as intended.

Caveats: one 2-core machine, one client process; python-socketio runs on uvicorn's defaults
from `uvicorn[standard]` (uvloop and httptools), and sio-core on asyncio and the ceiling run on
uvloop when the project's venv has it (see the versions); uvicorn's WebSocket
permessage-deflate, on by default, is turned off (`ws_per_message_deflate=False`) because
Node's socket.io and sio-core do not compress by default; the Node client may itself bound the
fastest server.
"""


def render(
    context: dict[str, Any], table: str, cpu_table: str, warnings: list[str], plots: list[str]
) -> str:
    """The whole page."""
    versions = "\n".join(f"- {name}: {version}" for name, version in context["versions"].items())
    notes = "\n".join(f"- {line}" for line in warnings) or "- load generator never saturated"
    images = "\n".join(f"![{name}](benchmarks/{name})" for name in plots)
    setup = (
        f"## Setup\n\n- date: {context['date']}\n- machine: {context['machine']}\n"
        f"- {context['pinning']}; open-files limit {context['nofile']}\n"
        f"- {context['runs']} alternating rounds (server order rotated each round); "
        f"the whole run took {context['elapsed']:.0f} s\n\n### Versions\n\n{versions}\n"
    )
    return "\n".join(
        [
            INTRO,
            setup,
            "## Results\n",
            table,
            "\n### CPU during each scenario (cores: server median / load generator max)\n",
            cpu_table,
            "\n### Load generator saturation and errors\n",
            notes,
            "",
            SCENARIOS.format(echo_seconds=f"{context['echo_seconds']:g}"),
            READING.format(runs=context["runs"], ceiling=CEILING_HEADER),
            "## Plots\n",
            images,
            "\nRaw numbers of every run: [benchmarks/results.json](benchmarks/results.json).\n",
        ]
    )
