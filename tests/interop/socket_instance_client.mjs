#!/usr/bin/env node
// The official socket.io-client against the conformance server, for the port of the "Socket
// instance" page: connects `count` times in a row with the default transports (polling, then
// the upgrade to WebSocket, which starts as soon as the session opens), asks the server to
// disconnect it with `close-me` the moment it is connected, and prints ONE JSON line:
// {"reasons": {reason: how many times}, "timed_out": bool}. The disconnect races the upgrade;
// a server that loses the DISCONNECT in that race gives "transport close" (or nothing).
import { io } from "socket.io-client";

const { url, count = 20, timeout_ms = 3000 } = JSON.parse(process.argv[2] ?? "{}");
const result = { reasons: {}, timed_out: false };

function once() {
  return new Promise((resolve) => {
    const socket = io(url, { reconnection: false, forceNew: true, timeout: timeout_ms });
    const timer = setTimeout(() => {
      socket.close();
      resolve("timed out");
    }, timeout_ms);
    socket.on("connect", () => socket.emit("close-me"));
    socket.on("connect_error", (err) => {
      clearTimeout(timer);
      resolve(`connect_error: ${err.message}`);
    });
    socket.on("disconnect", (reason) => {
      clearTimeout(timer);
      socket.close();
      resolve(reason);
    });
  });
}

for (let i = 0; i < count; i++) {
  const reason = await once();
  result.reasons[reason] = (result.reasons[reason] ?? 0) + 1;
  if (reason === "timed out") result.timed_out = true;
}
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
