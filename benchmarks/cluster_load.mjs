// The load generator of the cluster benchmark: socket.io-client sockets split between two servers
// of one cluster, all in one room, and one more socket that asks its server to broadcast to it.
//
//   node benchmarks/cluster_load.mjs --urls http://127.0.0.1:A,http://127.0.0.1:B
//        [--clients 200] [--rounds 50] [--burst 100] [--hard-timeout 120]
//
// The servers keep tests/cluster/node_server.mjs's contract ("join", "broadcast"); the sender
// sits on the first URL. Two phases, after a warm-up round:
//   latency     `rounds` broadcasts, one at a time: each carries the time it was asked for, and
//               every client notes how long it took to reach it, split into the clients on the
//               sender's server (local) and those on the other one (remote, through Redis);
//   throughput  `burst` broadcasts asked for at once: deliveries per second until the last
//               client has the last one.
// Prints ONE JSON line on stdout. All clients live in this process, so one clock times both
// ends; every wait has a deadline, and a hard timer ends the process whatever happens.
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const URLS = (args.urls ?? "").split(",").filter(Boolean);
const CLIENTS = Number(args.clients ?? 200);
const ROUNDS = Number(args.rounds ?? 50);
const BURST = Number(args.burst ?? 100);
const WAIT_MS = 30_000;
const ROOM = "bench";
if (URLS.length !== 2) throw new Error("--urls needs the two servers' URLs");
setTimeout(() => {
  console.error("cluster_load: hard timeout");
  process.exit(2);
}, Number(args["hard-timeout"] ?? 120) * 1000).unref();

function withDeadline(promise, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function connect(url) {
  const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
  return withDeadline(
    new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", reject);
    }),
    `connect to ${url}`,
  );
}

function percentile(samples, p) {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Every client's deliveries: who got which round, when. */
class Deliveries {
  constructor() {
    this.waiters = new Map(); // round -> {left, resolve}
    this.latencies = { local: [], remote: [] };
  }

  expect(round, count) {
    return withDeadline(
      new Promise((resolve) => this.waiters.set(round, { left: count, resolve })),
      `round ${round}`,
    );
  }

  deliver(side, round, askedAt) {
    this.latencies[side].push(performance.now() - askedAt);
    const waiter = this.waiters.get(round);
    if (waiter && --waiter.left === 0) {
      this.waiters.delete(round);
      waiter.resolve();
    }
  }
}

const deliveries = new Deliveries();
const clients = await Promise.all(
  Array.from({ length: CLIENTS }, (_, i) => connect(URLS[i % 2])),
);
await Promise.all(
  clients.map((socket, i) => {
    const side = i % 2 === 0 ? "local" : "remote";
    socket.on("tick", (round, askedAt) => deliveries.deliver(side, round, askedAt));
    return withDeadline(socket.timeout(WAIT_MS).emitWithAck("join", ROOM), "join");
  }),
);
const sender = await connect(URLS[0]);

function broadcast(round) {
  const request = { in: [ROOM], event: "tick", args: [round, performance.now()] };
  sender.emit("broadcast", request);
}

let round = 0;
async function oneRound() {
  round += 1;
  const done = deliveries.expect(round, CLIENTS);
  broadcast(round);
  await done;
}

await oneRound(); // warm-up: connections, JIT, first subscriptions
deliveries.latencies = { local: [], remote: [] };
for (let i = 0; i < ROUNDS; i++) await oneRound();
const { local, remote } = deliveries.latencies;

const started = performance.now();
const burst = [];
for (let i = 0; i < BURST; i++) {
  round += 1;
  burst.push(deliveries.expect(round, CLIENTS));
  broadcast(round);
}
await Promise.all(burst);
const seconds = (performance.now() - started) / 1000;

const result = {
  clients: CLIENTS,
  rounds: ROUNDS,
  burst: BURST,
  local_p50_ms: percentile(local, 50),
  local_p99_ms: percentile(local, 99),
  remote_p50_ms: percentile(remote, 50),
  remote_p99_ms: percentile(remote, 99),
  deliveries_per_s: (CLIENTS * BURST) / seconds,
};
result.added_p50_ms = result.remote_p50_ms - result.local_p50_ms;
result.added_p99_ms = result.remote_p99_ms - result.local_p99_ms;
process.stdout.write(`${JSON.stringify(result)}\n`);
for (const socket of [...clients, sender]) socket.disconnect();
process.exit(0);
