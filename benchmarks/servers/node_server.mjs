// The benchmark server on the official Node socket.io server, for comparison.
// Same handlers as sio_core_server.py: join "all" on connection, "echo" acks with its payload,
// "fanout" (n) emits n "tick" messages to room "all", "tick" ({event, count, interval}) emits
// event n to everyone every interval ms. Default server options; --recovery turns connection
// state recovery on, with its defaults.
//
//   node benchmarks/servers/node_server.mjs --port 3000 [--recovery]
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { Server } from "socket.io";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
}

const host = option("host", "127.0.0.1");
const port = Number(option("port", "3000"));
const httpServer = createServer();
const recovery = process.argv.includes("--recovery");
const io = new Server(httpServer, recovery ? { connectionStateRecovery: {} } : {});

io.on("connection", (socket) => {
  socket.join("all");
  socket.on("echo", (payload, ack) => {
    if (typeof ack === "function") ack(payload);
  });
  socket.on("fanout", (count) => {
    for (let index = 0; index < count; index++) io.to("all").emit("tick", index);
  });
  socket.on("tick", ({ event, count, interval }, ack) => {
    const started = performance.now();
    let index = 0;
    const next = () => {
      io.emit(event, index++);
      if (index >= count) return ack?.(true);
      setTimeout(next, started + (index + 1) * interval - performance.now()); // no drift
    };
    setTimeout(next, interval);
  });
});

httpServer.listen(port, host, () => {
  console.log(`listening on http://${host}:${port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
