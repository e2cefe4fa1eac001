// The load generator of the recovery benchmark (issue 13): socket.io-client sockets that each
// lose their connection on a schedule and come back a little later, while the server broadcasts
// at a steady rate; how much of what was sent each socket ends up with.
//
//   node benchmarks/recovery_load.mjs --urls http://127.0.0.1:A[,http://127.0.0.1:B]
//        [--clients 500] [--count 600] [--interval 50] [--drop-every 10] [--offline 2]
//        [--hard-timeout 300]
//
// One more socket, the controller, asks the first server to broadcast `count` events, one every
// `interval` ms ("tick" of the benchmark servers and of tests/cluster's). Each client closes its
// Engine.IO connection every `drop-every` seconds (the clients staggered over that period, none
// before it has an event, so an offset, and none too late to be back before the end), stays
// away `offline` seconds, then connects again: to the same server, or with two URLs to the other
// one (recovery across a cluster). socket.io-client sends its pid and offset by itself.
//
// Counted: delivered (each client's distinct events) over sent (count x clients); duplicates;
// reconnects and how many came back recovered; the recovery latency, from the reconnect to the
// `connect` event of a recovered socket (its missed events have been handed over by then), p50
// and p99. Prints ONE JSON line on stdout. Every wait has a deadline; a hard timer ends the
// process whatever happens.
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const URLS = (args.urls ?? "").split(",").filter(Boolean);
const CLIENTS = Number(args.clients ?? 500);
const COUNT = Number(args.count ?? 600);
const INTERVAL = Number(args.interval ?? 50);
const DROP_EVERY = Number(args["drop-every"] ?? 10) * 1000;
const OFFLINE = Number(args.offline ?? 2) * 1000;
const WAIT_MS = 30_000;
const EVENT = "seq";
if (URLS.length < 1 || URLS.length > 2) throw new Error("--urls needs one or two servers");
setTimeout(() => {
  console.error("recovery_load: hard timeout");
  process.exit(2);
}, Number(args["hard-timeout"] ?? 300) * 1000).unref();

function withDeadline(promise, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function percentile(samples, p) {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One socket, what it received, and its comings and goings. */
class Client {
  constructor(index, home, away) {
    this.index = index;
    this.home = home;
    this.away = away;
    this.seen = new Set();
    this.duplicates = 0;
    this.connected = false;
    this.socket = io(this.home, { transports: ["websocket"], reconnection: false, forceNew: true });
    this.socket.on(EVENT, (n) => {
      if (this.seen.has(n)) this.duplicates += 1;
      this.seen.add(n);
    });
    this.socket.on("connect", () => (this.connected = true));
    this.socket.on("disconnect", () => (this.connected = false));
  }

  ready() {
    return withDeadline(
      new Promise((resolve, reject) => {
        if (this.connected) return resolve();
        this.socket.once("connect", resolve);
        this.socket.once("connect_error", reject);
      }),
      `connect ${this.index}`,
    );
  }

  /** Drop, stay away, come back (to the other server when there are two); the outcome. */
  async bounce() {
    this.socket.io.engine.close();
    await new Promise((resolve) => setTimeout(resolve, OFFLINE));
    [this.home, this.away] = [this.away, this.home];
    this.socket.io.uri = this.home;
    const started = performance.now();
    const back = withDeadline(
      new Promise((resolve, reject) => {
        this.socket.once("connect", resolve);
        this.socket.once("connect_error", reject);
      }),
      `reconnect ${this.index}`,
    );
    this.socket.connect();
    await back;
    return { recovered: this.socket.recovered, ms: performance.now() - started };
  }
}

const clients = Array.from(
  { length: CLIENTS },
  (_, i) => new Client(i, URLS[i % URLS.length], URLS[(i + 1) % URLS.length]),
);
await Promise.all(clients.map((client) => client.ready()));
const controller = new Client(-1, URLS[0], URLS[0]);
await controller.ready();

const outcomes = [];
const streamMs = COUNT * INTERVAL;
const started = performance.now();
controller.socket.emit("tick", { event: EVENT, count: COUNT, interval: INTERVAL });

/** Each client's drops: staggered over one period, the first after the first event, the last
 * one back before the stream ends. */
async function schedule(client) {
  let at = INTERVAL * 2 + (client.index / CLIENTS) * DROP_EVERY;
  while (at + OFFLINE + 1000 < streamMs) {
    const wait = started + at - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    outcomes.push(await client.bounce());
    at += DROP_EVERY;
  }
}

await Promise.all(clients.map(schedule));
await withDeadline(
  new Promise((resolve) => {
    const check = setInterval(() => {
      if (controller.seen.size >= COUNT) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  }),
  "the last broadcast",
).catch((error) => {
  throw new Error(`${error.message}: the controller got ${controller.seen.size} of ${COUNT}`);
});
await new Promise((resolve) => setTimeout(resolve, 500)); // what is on the wire arrives

const delivered = clients.reduce((sum, client) => sum + client.seen.size, 0);
const recovered = outcomes.filter((outcome) => outcome.recovered);
const result = {
  clients: CLIENTS,
  sent: COUNT * CLIENTS,
  delivered,
  delivered_ratio: delivered / (COUNT * CLIENTS),
  duplicates: clients.reduce((sum, client) => sum + client.duplicates, 0),
  reconnects: outcomes.length,
  recovered: recovered.length,
  recovery_rate: outcomes.length ? recovered.length / outcomes.length : null,
  recovery_p50_ms: percentile(recovered.map((outcome) => outcome.ms), 50),
  recovery_p99_ms: percentile(recovered.map((outcome) => outcome.ms), 99),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
for (const client of [...clients, controller]) client.socket.disconnect();
process.exit(0);
