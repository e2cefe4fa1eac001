#!/usr/bin/env node
// The official socket.io-client 4.x, steered line by line, for the connection state recovery
// tests (tests/interop/test_recovery_js_client.py). The only argument is a JSON object:
//   url          "http://127.0.0.1:PORT"
//   transports   ["websocket"] | ["polling"] | ... (default ["websocket"])
//   reconnect_ms null: the Manager never reconnects by itself (the test says "connect");
//                a number: it reconnects on its own after that many ms, as in production
// Commands, one per line on stdin:
//   drop       close the Engine.IO connection under the socket (a network failure, for the
//              server: "transport close"); the client keeps its pid and last offset
//   connect    connect the socket again (socket.io-client sends its pid and offset)
//   exit       close everything and exit
// What it sees, one JSON object per line on stdout:
//   {"type": "connect", "id", "recovered"}     {"type": "disconnect", "reason"}
//   {"type": "event", "name", "args"}          (args as the handlers get them: the offset,
//                                               when there is one, is the last)
//   {"type": "connect_error", "message"}       {"type": "error", "message"}
// The client never acts on its own but for the Manager's reconnections; it always exits
// within timeout_ms (default 20000).
import { Manager } from "socket.io-client";
import { createInterface } from "node:readline";

const { url, transports = ["websocket"], reconnect_ms = null, timeout_ms = 20000 } = JSON.parse(
  process.argv[2] ?? "{}",
);

function say(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const manager = new Manager(url, {
  transports,
  reconnection: reconnect_ms !== null,
  reconnectionDelay: reconnect_ms ?? 1000,
  reconnectionDelayMax: reconnect_ms ?? 1000,
  randomizationFactor: 0,
  timeout: 5000,
});
const socket = manager.socket("/");

socket.on("connect", () => say({ type: "connect", id: socket.id, recovered: socket.recovered }));
socket.on("disconnect", (reason) => say({ type: "disconnect", reason }));
socket.on("connect_error", (err) => say({ type: "connect_error", message: err.message }));
socket.onAny((name, ...args) => say({ type: "event", name, args }));

function exit() {
  manager._close?.();
  socket.disconnect();
  process.stdout.write("", () => process.exit(0));
}

const hardTimeout = setTimeout(() => {
  say({ type: "error", message: "timed out" });
  exit();
}, timeout_ms);

const COMMANDS = {
  drop: () => socket.io.engine.close(),
  connect: () => socket.connect(),
  exit: () => {
    clearTimeout(hardTimeout);
    exit();
  },
};

createInterface({ input: process.stdin }).on("line", (line) => {
  const command = COMMANDS[line.trim()];
  if (command) command();
  else say({ type: "error", message: `unknown command ${JSON.stringify(line)}` });
});

socket.connect();
