#!/usr/bin/env node
// A Node Socket.IO 4.8 server on one of the official Redis adapters: the Node half of the mixed
// clusters in tests/cluster. Python tests drive it through socket.io-client (client.mjs) with the
// small contract below, and compare what it sees with what sio-core nodes see.
//
// Command line (every option has the form --name value):
//   node node_server.mjs --adapter classic|sharded|streams --redis redis://127.0.0.1:PORT
//                        [--key socket.io] [--port 0] [--name node] [--namespaces /,/chat]
//                        [--requests-timeout 5000] [--subscription-mode dynamic]
//                        [--recovery 0]
//   --adapter           classic: @socket.io/redis-adapter createAdapter (key = --key)
//                       sharded: createShardedAdapter (channelPrefix = --key, subscriptionMode)
//                       streams: @socket.io/redis-streams-adapter createAdapter (streamName and
//                       channelPrefix = --key, sessionKeyPrefix = <key>:session:)
//   --port 0            picks a free port; the ready line tells which
//   --requests-timeout  the classic adapter's requestsTimeout (ms); the others have none
//   --recovery          connectionStateRecovery's maxDisconnectionDuration (ms); 0: off
// Once its adapters' subscriptions are in place and it listens, it prints ONE line on stdout:
//   {"ready":true,"name":...,"port":...,"adapter":...,"uid":<the adapter uid of "/">}
// Diagnostics go to stderr. It runs until killed (SIGTERM/SIGINT close it cleanly).
//
// The contract: client events on any namespace in --namespaces, each answered through its ack.
// `sel` is a selection {in?: [rooms], except?: [rooms], timeout?: ms}, applied to the socket's
// namespace: `nsp.in(in).except(except).timeout(timeout)` (only the parts given). Failures are
// acked as {error: message}.
//   info                          -> {name, port, adapter, uid}
//   set-data (value)              socket.data = value -> true
//   join (rooms) / leave (room)   socket.join / socket.leave -> true (join acks once the
//                                 sharded adapter's per-room subscription is in place)
//   fetch-sockets (sel)           sel.fetchSockets() -> [{id, rooms (sorted), data}] sorted by id
//   broadcast ({...sel, event, args, volatile?, local?})  sel.emit(event, ...args) -> true
//                                 (binary args arrive as Buffers and go out as binary)
//   sockets-join ({...sel, rooms}) / sockets-leave ({...sel, rooms})  -> true
//   disconnect-sockets ({...sel, close?})  -> true
//   server-side-emit ({event, args, ack?})  nsp.serverSideEmit(event, ...args[, callback])
//                                 -> true, or with ack {error: message|null, responses: [...]}
//   broadcast-with-ack ({...sel, event, args}) sel.emit(event, ...args, callback) with the
//                                 selection's timeout -> {error: message|null, responses: [...]}
//   server-side-seen              -> [{event, args}] every serverSideEmit this node received
//   remote ({...sel, op, event?, args?, rooms?, close?})  for each RemoteSocket of
//                                 sel.fetchSockets(): op "emit" remote.emit(event, ...args),
//                                 "join" remote.join(rooms), "leave" remote.leave(rooms[0]),
//                                 "disconnect" remote.disconnect(close) -> [their ids]
//   tick ({event, count, interval})  sel.emit(event, n) for n = 0..count-1, one every
//                                 `interval` ms -> true at once (the ticks follow)
//   recovered                     -> socket.recovered
// Server-side listeners (what other nodes' serverSideEmit reaches), on every namespace:
//   "ping-server" (...args, ack?)  recorded, and answered {from: name, args}
//   "note" (...args)               recorded only
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";

const { values: options } = parseArgs({
  options: {
    adapter: { type: "string", default: "classic" },
    redis: { type: "string" },
    key: { type: "string", default: "socket.io" },
    port: { type: "string", default: "0" },
    name: { type: "string", default: "node" },
    namespaces: { type: "string", default: "/" },
    "requests-timeout": { type: "string", default: "5000" },
    "subscription-mode": { type: "string", default: "dynamic" },
    recovery: { type: "string", default: "0" },
  },
});
if (!options.redis) throw new Error("--redis redis://host:port is required");

const log = (...parts) => console.error(`[${options.name}]`, ...parts);

// The name marks this server's connections in CLIENT LIST (duplicates keep it): see streamsReady.
const pubClient = createClient({ url: options.redis, name: `node-${options.name}` });
const subClient = pubClient.duplicate();
for (const client of [pubClient, subClient]) client.on("error", (err) => log("redis:", err.message));
await Promise.all([pubClient.connect(), subClient.connect()]);

function adapterOf(kind) {
  if (kind === "sharded") {
    return createShardedAdapter(pubClient, subClient, {
      channelPrefix: options.key,
      subscriptionMode: options["subscription-mode"],
    });
  }
  if (kind === "streams") {
    return createStreamsAdapter(pubClient, {
      streamName: options.key,
      channelPrefix: options.key,
      sessionKeyPrefix: `${options.key}:session:`,
    });
  }
  return createAdapter(pubClient, subClient, {
    key: options.key,
    requestsTimeout: Number(options["requests-timeout"]),
  });
}

const httpServer = createServer();
const recovery = Number(options.recovery);
const io = new Server(httpServer, {
  adapter: adapterOf(options.adapter),
  ...(recovery > 0 ? { connectionStateRecovery: { maxDisconnectionDuration: recovery } } : {}),
});
const seen = [];

let barriers = 0;
/** Resolves once Redis has applied every (un)subscription the adapters asked for so far: the
 * subscriber connection is one ordered stream, so a round trip of our own comes back after them.
 */
async function subscriptionsApplied() {
  const channel = `${options.key}-barrier#${options.name}#${barriers++}`;
  await subClient.subscribe(channel, () => {});
  await subClient.unsubscribe(channel);
}

function selection(nsp, { in: rooms, except, timeout } = {}) {
  let operator = nsp;
  if (rooms?.length) operator = operator.in(rooms);
  if (except?.length) operator = operator.except(except);
  if (timeout !== undefined) operator = operator.timeout(timeout);
  return operator;
}

function describe(socket) {
  return { id: socket.id, rooms: [...socket.rooms].sort(), data: socket.data ?? null };
}

/** Registers a contract event whose handler's result (or error) goes back through the ack. */
function handle(socket, event, handler) {
  socket.on(event, async (...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : () => {};
    try {
      ack(await handler(...args));
    } catch (err) {
      ack({ error: err?.message ?? String(err) });
    }
  });
}

function withCallback(start) {
  return new Promise((resolve) =>
    start((err, responses) =>
      resolve({ error: err ? err.message : null, responses: responses ?? err?.responses ?? [] }),
    ),
  );
}

function serve(nsp) {
  nsp.on("ping-server", (...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : null;
    seen.push({ event: "ping-server", nsp: nsp.name, args });
    ack?.({ from: options.name, args });
  });
  nsp.on("note", (...args) => {
    seen.push({ event: "note", nsp: nsp.name, args });
  });
  nsp.on("connection", (socket) => {
    handle(socket, "info", () => ({
      name: options.name,
      port: httpServer.address().port,
      adapter: options.adapter,
      uid: nsp.adapter.uid,
    }));
    handle(socket, "set-data", (value) => {
      socket.data = value;
      return true;
    });
    handle(socket, "join", async (rooms) => {
      await socket.join(rooms);
      await subscriptionsApplied(); // the sharded adapter's per-room channel, in dynamic mode
      return true;
    });
    handle(socket, "leave", async (room) => {
      await socket.leave(room);
      return true;
    });
    handle(socket, "fetch-sockets", async (sel) => {
      const sockets = await selection(nsp, sel).fetchSockets();
      return sockets.map(describe).sort((a, b) => a.id.localeCompare(b.id));
    });
    handle(socket, "broadcast", ({ event, args = [], volatile, local, ...sel }) => {
      let operator = selection(nsp, sel);
      if (volatile) operator = operator.volatile;
      if (local) operator = operator.local;
      operator.emit(event, ...args);
      return true;
    });
    handle(socket, "sockets-join", ({ rooms, ...sel }) => {
      selection(nsp, sel).socketsJoin(rooms);
      return true;
    });
    handle(socket, "sockets-leave", ({ rooms, ...sel }) => {
      selection(nsp, sel).socketsLeave(rooms);
      return true;
    });
    handle(socket, "disconnect-sockets", ({ close = false, ...sel }) => {
      selection(nsp, sel).disconnectSockets(close);
      return true;
    });
    handle(socket, "server-side-emit", ({ event, args = [], ack = false }) => {
      if (!ack) return nsp.serverSideEmit(event, ...args);
      return withCallback((callback) => nsp.serverSideEmit(event, ...args, callback));
    });
    handle(socket, "broadcast-with-ack", ({ event, args = [], ...sel }) =>
      withCallback((callback) => selection(nsp, sel).emit(event, ...args, callback)),
    );
    handle(socket, "server-side-seen", () => seen);
    handle(socket, "tick", ({ event, count, interval, ...sel }) => {
      let n = 0;
      const timer = setInterval(() => {
        selection(nsp, sel).emit(event, n++);
        if (n >= count) clearInterval(timer);
      }, interval);
      return true;
    });
    handle(socket, "recovered", () => socket.recovered);
    handle(socket, "remote", async ({ op, event, args = [], rooms = [], close = false, ...sel }) => {
      const sockets = await selection(nsp, sel).fetchSockets();
      for (const remote of sockets) {
        if (op === "emit") remote.emit(event, ...args);
        else if (op === "join") remote.join(rooms);
        else if (op === "leave") remote.leave(rooms[0]);
        else if (op === "disconnect") remote.disconnect(close);
        else throw new Error(`unknown op ${op}`);
      }
      return sockets.map((remote) => remote.id);
    });
  });
}

/** The streams adapter subscribes and starts reading on its own time: wait until Redis counts
 * its private channel and lists its reader blocked in XREAD (it reads from `$` from then on). */
async function streamsReady() {
  const privateChannel = `${options.key}#/#${io.of("/").adapter.uid}#`;
  for (;;) {
    const counts = await pubClient.sendCommand(["PUBSUB", "NUMSUB", privateChannel]);
    const clients = await pubClient.sendCommand(["CLIENT", "LIST"]);
    const reading = clients
      .split("\n")
      .some((line) => line.includes(`name=node-${options.name} `) && line.includes("cmd=xread"));
    if (Number(counts[1]) === 1 && reading) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const name of options.namespaces.split(",")) serve(io.of(name));
await subscriptionsApplied();
if (options.adapter === "streams") await streamsReady();

httpServer.listen(Number(options.port), "127.0.0.1", () => {
  const ready = {
    ready: true,
    name: options.name,
    port: httpServer.address().port,
    adapter: options.adapter,
    uid: io.of("/").adapter.uid,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
});

async function shutdown() {
  io.close();
  await Promise.allSettled([pubClient.quit(), subClient.quit()]);
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
