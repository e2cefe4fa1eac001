#!/usr/bin/env node
// Node's @socket.io/redis-emitter 5.x, run once: what a Node worker or cron job does to reach the
// clients of a cluster without being a server. Tests run it against classic-adapter clusters
// (the emitter PUBLISHes, so sharded-adapter nodes never hear it) of Node and sio-core nodes.
//
// Usage: node node_emitter.mjs --redis redis://127.0.0.1:PORT [--key socket.io] '<json action>'
// The action (binary values as {"$bin": "<base64>"} at any depth):
//   {"op": "emit", "event": ..., "args": [...]}      emitter.emit(event, ...args)
//   {"op": "socketsJoin", "rooms": [...]}            / "socketsLeave"
//   {"op": "disconnectSockets", "close": false}
//   {"op": "serverSideEmit", "event": ..., "args": [...]}
// and, for every op but serverSideEmit, an optional selection:
//   "nsp": "/", "in": [rooms], "except": [rooms]
// It exits 0 once Redis has processed what it published (QUIT comes after it on the same
// connection), non-zero on any failure.
import { parseArgs } from "node:util";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";

const { values: options, positionals } = parseArgs({
  options: {
    redis: { type: "string" },
    key: { type: "string", default: "socket.io" },
  },
  allowPositionals: true,
});
if (!options.redis || positionals.length !== 1) {
  throw new Error("usage: node_emitter.mjs --redis URL [--key KEY] '<json action>'");
}

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (typeof value.$bin === "string") return Buffer.from(value.$bin, "base64");
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

const action = decode(JSON.parse(positionals[0]));
const client = createClient({ url: options.redis });
client.on("error", (err) => console.error("redis:", err.message));
await client.connect();

const emitter = new Emitter(client, { key: options.key }).of(action.nsp ?? "/");
let target = emitter;
if (action.in?.length) target = target.in(action.in);
if (action.except?.length) target = target.except(action.except);

switch (action.op) {
  case "emit":
    target.emit(action.event, ...(action.args ?? []));
    break;
  case "socketsJoin":
    target.socketsJoin(action.rooms);
    break;
  case "socketsLeave":
    target.socketsLeave(action.rooms);
    break;
  case "disconnectSockets":
    target.disconnectSockets(action.close ?? false);
    break;
  case "serverSideEmit":
    emitter.serverSideEmit(action.event, ...(action.args ?? []));
    break;
  default:
    throw new Error(`unknown op ${JSON.stringify(action.op)}`);
}
await client.quit();
