#!/usr/bin/env node
// Official socket.io-client 4.8 sockets, as many as asked for, in ONE Node process driven line
// by line from stdin and reporting on stdout: how Python tests put real JavaScript clients on
// any node of a cluster (Node or sio-core). One process serves a whole test session, as loading
// Node modules costs most of a second. (tests/interop/sio_client.mjs runs one scenario to its
// end in a process of its own; here the test acts step by step.)
//
// Usage: node client.mjs          (no arguments; exits when stdin closes)
// Every value below travels as JSON, with binary as {"$bin": "<base64>"} at any depth. `client`
// is a name the test chooses for each socket; `seq` numbers the test's commands.
// In (stdin, one JSON object per line):
//   {"seq":N,"cmd":"connect","client":C,"url":"http://127.0.0.1:PORT","nsp":"/","auth":...,
//    "transports":["websocket"],"answers":{event: value}}
//       open a socket (a Manager of its own) on url + nsp; `answers` says what to ack a server
//       event with when it asks for an ack (events not listed are acked with the socket's id)
//   {"seq":N,"cmd":"emit","client":C,"event":...,"args":[...],"ack":true,"timeout":5000}
//       emit; with ack (the default) the reply carries the ack's arguments; without, it comes
//       at once with args null
//   {"seq":N,"cmd":"close","client":C}   disconnect that socket and forget it
//   {"seq":N,"cmd":"drop","client":C}    close its Engine.IO connection under it (a network
//       failure: "transport close" on both sides); the socket keeps its pid and last offset
//   {"seq":N,"cmd":"reconnect","client":C,"url":...}  connect the socket again, to url (any
//       server of the cluster): socket.io-client sends its pid and offset (recovery)
// Out (stdout, one JSON object per line):
//   {"type":"reply","seq":N,"args":[...]}    success (connect: [socket id]; reconnect: [socket
//                                            id, recovered]; emit: the ack's args)
//   {"type":"reply","seq":N,"error":...}     failure (connect_error, ack timeout, bad command)
//   {"type":"event","client":C,"event":...,"args":[...],"ack":bool}   each event received
//   {"type":"disconnect","client":C,"reason":...}
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (typeof value.$bin === "string") return Buffer.from(value.$bin, "base64");
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

const out = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const sockets = new Map();

const commands = {
  connect({ seq, client, url, nsp = "/", auth, transports = ["websocket"], answers = {} }) {
    const socket = io(new URL(nsp, url).href, {
      transports,
      auth,
      reconnection: false,
      forceNew: true,
      timeout: 5000,
    });
    sockets.set(client, socket);
    socket.once("connect", () => out({ type: "reply", seq, args: [socket.id] }));
    socket.once("connect_error", (err) => {
      sockets.delete(client);
      out({ type: "reply", seq, error: `connect_error: ${err.message}` });
    });
    socket.on("disconnect", (reason) => out({ type: "disconnect", client, reason }));
    socket.onAny((event, ...args) => {
      const ack = typeof args.at(-1) === "function" ? args.pop() : null;
      out({ type: "event", client, event, args: encode(args), ack: ack !== null });
      ack?.(event in answers ? decode(answers[event]) : socket.id);
    });
  },

  emit({ seq, client, event, args = [], ack = true, timeout = 5000 }) {
    const socket = sockets.get(client);
    if (!ack) {
      socket.emit(event, ...decode(args));
      return out({ type: "reply", seq, args: null });
    }
    socket.timeout(timeout).emit(event, ...decode(args), (err, ...answer) => {
      out(err ? { type: "reply", seq, error: err.message } : { type: "reply", seq, args: encode(answer) });
    });
  },

  drop({ seq, client }) {
    const socket = sockets.get(client);
    socket.once("disconnect", () => out({ type: "reply", seq, args: null }));
    socket.io.engine.close();
  },

  reconnect({ seq, client, url }) {
    const socket = sockets.get(client);
    socket.io.uri = url; // the Manager opens its next Engine.IO connection there
    socket.once("connect", () => out({ type: "reply", seq, args: [socket.id, socket.recovered] }));
    socket.once("connect_error", (err) => out({ type: "reply", seq, error: err.message }));
    socket.connect();
  },

  close({ seq, client }) {
    sockets.get(client)?.disconnect();
    sockets.delete(client);
    out({ type: "reply", seq, args: null });
  },
};

createInterface({ input: process.stdin })
  .on("line", (line) => {
    const command = JSON.parse(line);
    try {
      commands[command.cmd](command);
    } catch (err) {
      out({ type: "reply", seq: command.seq, error: String(err?.stack ?? err) });
    }
  })
  .on("close", () => {
    for (const socket of sockets.values()) socket.disconnect();
    process.exit(0);
  });
