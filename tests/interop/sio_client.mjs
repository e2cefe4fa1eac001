#!/usr/bin/env node
// Drives the official socket.io-client 4.x (a peer none of us wrote) against a server that follows
// the conformance contract of examples/conformance.py, as told by a JSON scenario given as the
// only argument, and prints ONE JSON line of what it saw (the restart scenario first prints a
// {"stage": "connected"} line so that the test knows when to restart the server). The tests in
// tests/interop/test_socketio_js_client.py assert on that line. The script always ends: a hard
// timeout prints what was collected so far with "timed_out": true.
//
// Common scenario fields:
//   url           "http://127.0.0.1:PORT"
//   scenario      one of the names in SCENARIOS below
//   transports    ["polling"] | ["websocket"] | ["polling", "websocket"] (the default)
//   wait_upgrade  wait until the polling connection has upgraded to websocket before acting
//   timeout_ms    hard timeout of the whole script (default 10000)
//   parser        "json" (the default) | "msgpack" (socket.io-msgpack-parser, for every Manager)
// Binary values travel in the JSON as {"$bin": "<base64>"} (a Buffer), at any depth, both ways.
// Sent values may also hold {"$u8": "<base64>"} (a Uint8Array, which the msgpack parser writes
// as an ext type 0, not as bin) and {"$undefined": true} (undefined).
//
// Result fields always present: timed_out, error (an exception message or null), transport (of
// the engine when the scenario ended), upgraded; the others depend on the scenario.
import { Manager } from "socket.io-client";
import { kill } from "node:process";

const scenario = JSON.parse(process.argv[2] ?? "{}");
const {
  url,
  transports = ["polling", "websocket"],
  wait_upgrade = false,
  timeout_ms = 10000,
  parser = "json",
} = scenario;
const parserOption =
  parser === "msgpack" ? { parser: (await import("socket.io-msgpack-parser")).default } : {};

const result = { timed_out: false, error: null, transport: null, upgraded: false };
const managers = [];

function finish(code = 0) {
  for (const manager of managers) {
    if (manager.engine) result.transport ??= manager.engine.transport?.name ?? null;
    manager._close?.();
  }
  if (scenario.freeze_pid) kill(scenario.freeze_pid, "SIGCONT");
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(code));
}

const hardTimeout = setTimeout(() => {
  result.timed_out = true;
  finish();
}, timeout_ms);

// --- JSON <-> socket.io values ------------------------------------------------------------
function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (typeof value.$bin === "string") return Buffer.from(value.$bin, "base64");
    if (typeof value.$u8 === "string") return new Uint8Array(Buffer.from(value.$u8, "base64"));
    if (value.$undefined === true) return undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

function encode(value) {
  if (Buffer.isBuffer(value)) return { $bin: value.toString("base64") };
  if (value instanceof ArrayBuffer) return { $bin: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) {
    return { $bin: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

// --- connection helpers -------------------------------------------------------------------
function manager(options = {}) {
  const created = new Manager(url, {
    transports,
    reconnection: false,
    timeout: 5000,
    ...parserOption,
    ...options,
  });
  managers.push(created);
  return created;
}

/** Resolves with the first of `events` that `emitter` emits: {event, args}. */
function first(emitter, ...events) {
  return new Promise((resolve) => {
    const handlers = events.map((event) => {
      const handler = (...args) => {
        events.forEach((other, i) => emitter.off(other, handlers[i]));
        resolve({ event, args });
      };
      emitter.on(event, handler);
      return handler;
    });
  });
}

/** Opens `nsp` on `mgr`, recording its `auth` event; resolves once connected (or refused). */
async function open(mgr, nsp = "/", auth = undefined) {
  const socket = mgr.socket(nsp, auth === undefined ? {} : { auth });
  const record = { connected: false, id: null, auth: null, connect_error: null };
  const authSeen = first(socket, "auth").then(({ args }) => {
    record.auth = encode(args[0]);
  });
  socket.connect();
  const outcome = await first(socket, "connect", "connect_error");
  if (outcome.event === "connect") {
    record.connected = true;
    record.id = socket.id;
    await authSeen;
  } else {
    const [err] = outcome.args;
    record.connect_error = { message: err.message, data: err.data ?? null };
  }
  return { socket, record };
}

async function upgraded(mgr) {
  const engine = mgr.engine;
  if (engine.transport.name !== "websocket") await first(engine, "upgrade");
  result.upgraded = true;
}

/** The usual start: one Manager, `/` opened with `auth`, upgraded first when asked. */
async function start(auth = undefined, options = {}) {
  const mgr = manager(options);
  const opened = await open(mgr, "/", auth);
  if (!opened.record.connected) throw new Error(`could not connect: ${JSON.stringify(opened.record)}`);
  if (wait_upgrade) await upgraded(mgr);
  return { mgr, ...opened };
}

// --- scenarios ----------------------------------------------------------------------------
const SCENARIOS = {
  // auth (any JSON), namespaces (default ["/"]): every namespace shares one Manager, so one
  // Engine.IO connection. Result: sockets {nsp: {connected, id, auth, connect_error}},
  // engine_ids {nsp: the Engine.IO id under that socket}.
  async auth({ auth, namespaces = ["/"] }) {
    const mgr = manager();
    result.sockets = {};
    result.engine_ids = {};
    const opened = await Promise.all(namespaces.map((nsp) => open(mgr, nsp, auth)));
    namespaces.forEach((nsp, i) => {
      result.sockets[nsp] = opened[i].record;
      result.engine_ids[nsp] = opened[i].socket.io.engine.id;
    });
    if (wait_upgrade) await upgraded(mgr);
  },

  // args: the arguments of `message`; result.reply: the arguments of `message-back`.
  async event({ args }) {
    const { socket } = await start();
    const reply = first(socket, "message-back");
    socket.emit("message", ...decode(args));
    result.reply = encode((await reply).args);
  },

  // args: the arguments of `message-with-ack`; result.reply: the arguments of its ack.
  async ack({ args }) {
    const { socket } = await start();
    const reply = await new Promise((resolve, reject) => {
      socket.timeout(5000).emit("message-with-ack", ...decode(args), (err, ...answer) => {
        if (err) reject(err);
        else resolve(answer);
      });
    });
    result.reply = encode(reply);
  },

  // answer: what the client acks `ping-me` with at once; late_answer: what it acks with only
  // after the server reported its timeout (then a `message` round trip shows the connection
  // survived the stale ack). Result: ping_me_args, server_ack_result (the server's
  // `server-ack-result`: our answer, or "timeout"), reply_after_late_answer.
  async server_ack({ answer, late_answer }) {
    const { socket } = await start();
    let heldAck = null;
    socket.on("ping-me", (...args) => {
      const ack = args.pop();
      result.ping_me_args = encode(args);
      if (answer !== undefined) ack(decode(answer));
      else heldAck = ack;
    });
    const outcome = first(socket, "server-ack-result");
    socket.emit("server-ack");
    result.server_ack_result = encode((await outcome).args[0]);
    if (late_answer !== undefined && heldAck) {
      heldAck(decode(late_answer));
      const reply = first(socket, "message-back");
      socket.emit("message", "still here");
      result.reply_after_late_answer = encode((await reply).args);
    }
  },

  // nsp (default "/restricted"), auth. Result: socket {connected, id, auth, connect_error}.
  async restricted({ nsp = "/restricted", auth }) {
    const mgr = manager();
    const opened = await open(mgr, nsp, auth);
    result.socket = opened.record;
    if (wait_upgrade && opened.record.connected) await upgraded(mgr);
  },

  // Four clients, each with its own connection: two join `room`, one joins `other_room`, and a
  // fourth (in no room) broadcasts `payload` to `room`, then a marker to `other_room`. The marker
  // reaching the outsider after the payload would have is what shows the payload did not reach
  // it (one server socket, one sender: its broadcasts go out in order). Result: join_acks,
  // received {member1, member2, outsider} (the `room-message` arguments each got).
  async rooms({ room = "r1", other_room = "r2", payload }) {
    const names = ["member1", "member2", "outsider", "sender"];
    const clients = {};
    for (const name of names) clients[name] = await start(undefined, { forceNew: true });
    result.received = { member1: [], member2: [], outsider: [] };
    const done = {};
    for (const name of ["member1", "member2", "outsider"]) {
      done[name] = new Promise((resolve) => {
        clients[name].socket.on("room-message", (...args) => {
          result.received[name].push(encode(args));
          resolve();
        });
      });
    }
    result.join_acks = await Promise.all([
      clients.member1.socket.timeout(5000).emitWithAck("join", room),
      clients.member2.socket.timeout(5000).emitWithAck("join", room),
      clients.outsider.socket.timeout(5000).emitWithAck("join", other_room),
    ]);
    clients.sender.socket.emit("to-room", room, decode(payload));
    clients.sender.socket.emit("to-room", other_room, "marker");
    await Promise.all(Object.values(done));
  },

  // trigger: "disconnect-me" | "close-me" (events asking the server to disconnect us),
  // "client" (socket.disconnect() here), "kill" (SIGKILL kill_pid), "freeze" (SIGSTOP
  // freeze_pid: a server that stops pinging). The Manager may reconnect, so that `active` tells
  // whether the client would. Result: reason, description, active (after the disconnect),
  // engine_close (the Engine.IO close reason, if the connection closed).
  async disconnect({ trigger, kill_pid, freeze_pid }) {
    const { mgr, socket } = await start(undefined, {
      reconnection: true,
      reconnectionDelay: 60000,
    });
    result.engine_close = null;
    mgr.engine.on("close", (reason) => {
      result.engine_close = reason;
    });
    const gone = first(socket, "disconnect");
    if (trigger === "client") socket.disconnect();
    else if (trigger === "kill") kill(kill_pid, "SIGKILL");
    else if (trigger === "freeze") kill(freeze_pid, "SIGSTOP");
    else socket.emit(trigger);
    const { args } = await gone;
    result.reason = args[0];
    result.description = args[1] === undefined ? null : String(args[1]?.description ?? args[1]);
    result.active = socket.active;
    // Give an Engine.IO close that follows the Socket.IO disconnect a moment to be seen.
    await new Promise((resolve) => setTimeout(resolve, 50));
  },

  // auth. Prints {"stage": "connected"} once connected; the test then kills the server and
  // starts a new one on the same port. Result: reason (of the disconnect), reconnect_attempt,
  // auth_after (the `auth` event after reconnecting), reply (of a `message` sent after it).
  async restart({ auth }) {
    const { mgr, socket } = await start(auth, {
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
      randomizationFactor: 0,
    });
    const gone = first(socket, "disconnect");
    process.stdout.write(`${JSON.stringify({ stage: "connected", id: socket.id })}\n`);
    result.reason = (await gone).args[0];
    const authAgain = first(socket, "auth");
    const reconnect = first(mgr, "reconnect");
    await first(socket, "connect");
    result.reconnect_attempt = (await reconnect).args[0];
    result.auth_after = encode((await authAgain).args[0]);
    if (wait_upgrade) await upgraded(mgr);
    const reply = first(socket, "message-back");
    socket.emit("message", "after restart");
    result.reply = encode((await reply).args);
  },
};

const run = SCENARIOS[scenario.scenario];
if (!run) {
  result.error = `unknown scenario ${JSON.stringify(scenario.scenario)}`;
  finish(2);
} else {
  run(scenario)
    .catch((err) => {
      result.error = String(err?.stack ?? err);
    })
    .finally(() => {
      clearTimeout(hardTimeout);
      finish();
    });
}
