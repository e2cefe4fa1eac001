#!/usr/bin/env node
// Drives ONE session of the official engine.io-client (a peer none of us wrote) against a server,
// as described by a JSON scenario given as the only argument, and prints ONE JSON line of what it
// saw. tests/interop/test_engineio_client.py asserts on that line. The script always ends: a hard
// timeout prints what was collected so far with "timed_out": true.
//
// Scenario fields (all optional but url):
//   url            "http://127.0.0.1:PORT"
//   path           Engine.IO path, default "/engine.io"
//   transports     ["polling"] | ["websocket"] | ["polling", "websocket"] (default: the latter)
//   upgrade        let the client probe and upgrade (default true)
//   send           [{"text": "..."} | {"binary": "<base64>"}], sent in order
//   send_on        "open" (default) or "upgrade": when to send them
//   expect_messages  how many messages to collect before finishing (default 0)
//   wait_upgrade   also wait for the upgrade before finishing (default false)
//   hold_ms        stay connected this long once everything else is done (default 0)
//   until          "done" (default): the client closes itself once the above is met;
//                  "close": wait for the connection to be closed by something else
//   silent         stop answering the server's pings and disable the client's own ping timer,
//                  so that only the server can end the session
//   freeze_pid     SIGSTOP this pid once the session is open (SIGCONT when finishing): a server
//                  that stops pinging, so the client's heartbeat timer must fire
//   timeout_ms     hard timeout of the whole script (default 10000)
//
// Result fields: timed_out, handshake {sid, upgrades, pingInterval, pingTimeout, maxPayload},
// open_transport, transports_seen, upgraded, upgrade_errors, final_transport, messages
// ([{"text": s}] or [{"binary": base64}]; an empty message comes as {"text": null}), pings, close {reason, description}, errors,
// froze, elapsed_ms.
import { Socket } from "engine.io-client";

const scenario = JSON.parse(process.argv[2] ?? "{}");
const {
  url,
  path = "/engine.io",
  transports = ["polling", "websocket"],
  upgrade = true,
  send = [],
  send_on = "open",
  expect_messages = 0,
  wait_upgrade = false,
  hold_ms = 0,
  until = "done",
  silent = false,
  freeze_pid = null,
  timeout_ms = 10000,
} = scenario;

const started = Date.now();
const result = {
  timed_out: false,
  handshake: null,
  open_transport: null,
  transports_seen: [],
  upgraded: false,
  upgrade_errors: [],
  final_transport: null,
  messages: [],
  pings: 0,
  close: null,
  errors: [],
  froze: false,
  elapsed_ms: 0,
};
let finished = false;
let holding = false;

/** Keeps only the printable part of an error or close description (they may hold sockets). */
function describe(value, depth = 0) {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object") return String(value);
  if (depth > 2) return "[nested]";
  const out = {};
  for (const key of ["name", "message", "type", "code", "description"]) {
    if (value[key] !== undefined) out[key] = describe(value[key], depth + 1);
  }
  if (value.context && value.context.code !== undefined) out.close_code = value.context.code;
  return out;
}

function encodeMessage(data) {
  // engine.io-parser decodes a bare "4" (an empty message) as a message without data.
  if (data === undefined) return { text: null };
  if (typeof data === "string") return { text: data };
  return { binary: Buffer.from(data).toString("base64") };
}

function decodeMessage(spec) {
  if (spec.binary !== undefined) return Buffer.from(spec.binary, "base64");
  return spec.text;
}

function seeTransport(name) {
  if (!result.transports_seen.includes(name)) result.transports_seen.push(name);
  result.final_transport = name;
}

function thaw() {
  if (!result.froze) return;
  try {
    process.kill(freeze_pid, "SIGCONT");
  } catch (err) {
    result.errors.push(describe(err));
  }
}

function finish() {
  if (finished) return;
  finished = true;
  thaw();
  result.elapsed_ms = Date.now() - started;
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
}

const socket = new Socket(url, { path, transports, upgrade });

if (silent) {
  // Private API of the pinned engine.io-client: the client answers a ping through
  // _sendPacket("pong") and re-arms its own heartbeat timer through _resetPingTimeout().
  const sendPacket = socket._sendPacket.bind(socket);
  socket._sendPacket = (type, ...rest) => (type === "pong" ? undefined : sendPacket(type, ...rest));
  socket._resetPingTimeout = () => {};
}

function sendAll() {
  for (const spec of send) socket.send(decodeMessage(spec));
}

/** Finishes (closing from the client side) once every goal of the scenario is reached. */
function maybeDone() {
  if (until !== "done" || holding || finished) return;
  if (result.messages.length < expect_messages) return;
  if (wait_upgrade && !result.upgraded) return;
  holding = true;
  setTimeout(() => socket.close(), hold_ms);
}

socket.on("handshake", (data) => {
  const { sid, upgrades, pingInterval, pingTimeout, maxPayload } = data;
  result.handshake = { sid, upgrades, pingInterval, pingTimeout, maxPayload };
});
socket.on("open", () => {
  result.open_transport = socket.transport.name;
  seeTransport(socket.transport.name);
  if (freeze_pid !== null && !wait_upgrade) freeze();
  if (send_on === "open") sendAll();
  maybeDone();
});
socket.on("upgrade", (transport) => {
  result.upgraded = true;
  seeTransport(transport.name);
  if (freeze_pid !== null && wait_upgrade) freeze();
  if (send_on === "upgrade") sendAll();
  maybeDone();
});
socket.on("upgradeError", (err) => result.upgrade_errors.push(describe(err)));
socket.on("message", (data) => {
  result.messages.push(encodeMessage(data));
  maybeDone();
});
socket.on("ping", () => {
  result.pings += 1;
});
socket.on("error", (err) => result.errors.push(describe(err)));
socket.on("close", (reason, description) => {
  result.close = { reason, description: describe(description) };
  finish();
});

function freeze() {
  process.kill(freeze_pid, "SIGSTOP");
  result.froze = true;
}

setTimeout(() => {
  result.timed_out = true;
  finish();
}, timeout_ms);
