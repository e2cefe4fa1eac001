// The load generator: the official socket.io-client in Node, the same for every server.
//
//   node benchmarks/load.mjs SCENARIO --url http://127.0.0.1:3000 [--pid SERVER_PID] [options]
//
// Scenarios: connect-ws, connect-upgrade, cycle, echo, fanout, memory (see each function below).
// Prints ONE JSON line on stdout: the scenario's numbers, plus `loadgen_cpu` (this process's own
// CPU over the measured window, in cores: past 0.9 the generator, not the server, may be the
// limit) and `server_cpu` (the server's CPU from /proc/PID/stat over the same window).
// Every wait has a deadline, and a hard timer ends the process whatever happens.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";
import { LeanSocket } from "./lean_client.mjs";

const args = parseArgs(process.argv.slice(2));
const URL_ = args.url ?? "http://127.0.0.1:3000";
const SERVER_PID = args.pid ? Number(args.pid) : null;
const HARD_TIMEOUT_MS = Number(args["hard-timeout"] ?? 120) * 1000;
const WAIT_MS = 30_000; // longest wait for any one connection, ack or delivery round
const CLK_TCK = 100; // Linux USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) out[argv[i].slice(2)] = argv[++i];
    else out._.push(argv[i]);
  }
  return out;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what} after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function latencyStats(samples) {
  const sorted = Float64Array.from(samples).sort();
  return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), samples: sorted.length };
}

function serverCpuSeconds() {
  if (SERVER_PID === null) return null;
  // Fields after the ")" that ends the command name: utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${SERVER_PID}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function serverRssKiB() {
  const status = readFileSync(`/proc/${SERVER_PID}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)[1]);
}

/** Measures this process's and the server's CPU over a window, in cores (1.0 = one core). */
function cpuWindow() {
  const cpu0 = process.cpuUsage();
  const server0 = serverCpuSeconds();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const own = process.cpuUsage(cpu0);
    const server1 = serverCpuSeconds();
    return {
      wall_s: seconds,
      loadgen_cpu: (own.user + own.system) / 1e6 / seconds,
      server_cpu: server0 === null ? null : (server1 - server0) / seconds,
    };
  };
}

function connect(transports, { upgraded = false, upgrade = upgraded } = {}) {
  const socket = io(URL_, {
    transports,
    forceNew: true,
    reconnection: false,
    timeout: WAIT_MS,
    upgrade,
  });
  const started = performance.now();
  const ready = new Promise((resolve, reject) => {
    socket.once("connect_error", (error) => reject(error));
    socket.once("connect", () => {
      if (!upgraded) return resolve(socket);
      if (socket.io.engine.transport.name === "websocket") return resolve(socket);
      socket.io.engine.once("upgrade", () => resolve(socket));
    });
  });
  return withDeadline(ready, WAIT_MS, "connect").then(
    (s) => ({ socket: s, latency: performance.now() - started }),
    (error) => {
      socket.close();
      throw error;
    },
  );
}

/** A WebSocket-only connection of the lean client (`--client lean`), timed like `connect`. */
async function leanConnect() {
  const started = performance.now();
  const socket = await LeanSocket.connect(URL_, WAIT_MS);
  return { socket, latency: performance.now() - started };
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` in flight. */
async function pool(total, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < total) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

async function openMany(count, concurrency, sockets) {
  await pool(count, concurrency, async () => {
    sockets.push((await connect(["websocket"])).socket);
  });
}

function closeAll(sockets) {
  for (const socket of sockets) socket.close();
  sockets.length = 0;
}

/** connect-ws / connect-upgrade: open, wait for connect (and upgrade), close; repeat. With
 * `--client lean`, connect-ws opens lean clients instead of socket.io-client's. */
async function connectScenario(upgraded) {
  const total = Number(args.total ?? (upgraded ? 200 : 1000));
  const concurrency = Number(args.concurrency ?? 50);
  const transports = upgraded ? ["polling", "websocket"] : ["websocket"];
  const lean = args.client === "lean" && !upgraded;
  const latencies = [];
  const window = cpuWindow();
  await pool(total, concurrency, async () => {
    const { socket, latency } = lean ? await leanConnect() : await connect(transports, { upgraded });
    latencies.push(latency);
    socket.close();
  });
  const cpu = window();
  return { total, concurrency, conn_per_s: total / cpu.wall_s, ...latencyStats(latencies), ...cpu };
}

/**
 * cycle: what a short-lived client does, over and over: connect with the client's defaults
 * (long-polling, upgraded to WebSocket in the background), emit one event and wait for its
 * ack, disconnect.
 */
async function cycleScenario() {
  const total = Number(args.total ?? 500);
  const concurrency = Number(args.concurrency ?? 50);
  const latencies = [];
  let mismatches = 0;
  const window = cpuWindow();
  await pool(total, concurrency, async () => {
    const started = performance.now();
    const { socket } = await connect(["polling", "websocket"], { upgrade: true });
    try {
      const answer = await socket.timeout(WAIT_MS).emitWithAck("echo", "cycle");
      if (answer !== "cycle") mismatches++;
    } finally {
      socket.close();
    }
    latencies.push(performance.now() - started);
  });
  const cpu = window();
  // The client, not the server, is often the limit here: the server's CPU per cycle tells
  // the servers apart even then.
  const serverMs = cpu.server_cpu === null ? null : (cpu.server_cpu * cpu.wall_s * 1000) / total;
  return {
    total,
    concurrency,
    cycles_per_s: total / cpu.wall_s,
    server_ms_per_cycle: serverMs,
    mismatches,
    ...latencyStats(latencies),
    ...cpu,
  };
}

function echoPayload(size, binary) {
  if (binary) return Buffer.alloc(size, 7);
  return "x".repeat(size);
}

function payloadSize(value) {
  return typeof value === "string" ? value.length : value.byteLength;
}

/** The echo scenario's clients: socket.io-client's, or the lean ones (`--client lean`). */
async function echoClients(count, lean) {
  if (lean) {
    const sockets = [];
    await pool(count, 50, async () => sockets.push(await LeanSocket.connect(URL_, WAIT_MS)));
    return sockets.map((socket) => ({
      echo: (payload) => socket.echo(payload, WAIT_MS),
      close: () => socket.close(),
    }));
  }
  const sockets = [];
  await openMany(count, 50, sockets);
  return sockets.map((socket) => ({
    echo: (payload) => socket.timeout(WAIT_MS).emitWithAck("echo", payload).then(payloadSize),
    close: () => socket.close(),
  }));
}

/** echo: N clients, each in a closed loop of emit("echo", payload) -> ack, for a duration. */
async function echoScenario() {
  const clients = Number(args.clients ?? 50);
  const size = Number(args.size ?? 32);
  const binary = args.binary === "1";
  const lean = args.client === "lean";
  const seconds = Number(args.seconds ?? 5);
  const warmup = Number(args.warmup ?? 0.5);
  const payload = echoPayload(size, binary);
  const sockets = await echoClients(clients, lean);
  const rtts = [];
  let acks = 0;
  let mismatches = 0;
  const begin = performance.now();
  const measureFrom = begin + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  let window = null;
  const arm = setTimeout(() => (window = cpuWindow()), warmup * 1000);
  let cpu = null;
  const disarm = setTimeout(() => (cpu = window()), (warmup + seconds) * 1000);
  const loop = async (socket) => {
    while (performance.now() < end) {
      const sent = performance.now();
      const answered = await socket.echo(payload);
      const now = performance.now();
      if (answered !== size) mismatches++;
      if (sent >= measureFrom && now <= end) {
        acks++;
        rtts.push(now - sent);
      }
    }
  };
  try {
    await Promise.all(sockets.map(loop));
  } finally {
    clearTimeout(arm);
    clearTimeout(disarm);
    for (const socket of sockets) socket.close();
  }
  cpu ??= window ? window() : {};
  return { clients, size, binary, client: lean ? "lean" : "socket.io-client", acks_per_s: acks / seconds, mismatches, ...latencyStats(rtts), ...cpu };
}

/** Resolves once every client has counted `expected` ticks since the last reset. */
function allTicked(counters, expected) {
  return new Promise((resolve) => {
    counters.onProgress = () => {
      if (counters.done === counters.clients) resolve(performance.now());
    };
    counters.expected = expected;
    counters.onProgress();
  });
}

/** fanout: N clients in room "all"; one "fanout" request; time until all got all ticks. */
async function fanoutScenario() {
  const clients = Number(args.clients ?? 1000);
  const messages = Number(args.messages ?? 200);
  const sockets = [];
  await openMany(clients, 100, sockets);
  const counters = { clients, done: 0, expected: 0, onProgress: () => {} };
  const received = new Array(clients).fill(0);
  sockets.forEach((socket, i) => {
    socket.on("tick", () => {
      if (++received[i] === counters.expected) {
        counters.done++;
        counters.onProgress();
      }
    });
  });
  const round = async (count) => {
    received.fill(0);
    counters.done = 0;
    const finished = allTicked(counters, count);
    const started = performance.now();
    sockets[0].emit("fanout", count);
    const ended = await withDeadline(finished, WAIT_MS * 2, `fanout of ${count}`).catch((e) => {
      const missing = received.filter((n) => n < count).length;
      throw new Error(`${e.message}: ${missing} of ${clients} clients short of ${count} ticks`);
    });
    return ended - started;
  };
  try {
    await withDeadline(round(1), WAIT_MS, "membership check"); // every client is in "all"
    const window = cpuWindow();
    const elapsed = await round(messages);
    const cpu = window();
    const deliveries = clients * messages;
    return { clients, messages, deliveries, deliveries_per_s: deliveries / (elapsed / 1000), ...cpu };
  } finally {
    closeAll(sockets);
  }
}

/** memory: server RSS with 0, then 1000, then 5000 idle WebSocket clients. */
async function memoryScenario() {
  if (SERVER_PID === null) throw new Error("memory needs --pid");
  const steps = (args.steps ?? "1000,5000").split(",").map(Number);
  const settleMs = Number(args.settle ?? 1.5) * 1000;
  const warm = await connect(["websocket"]); // first-connection imports are not per-connection
  warm.socket.close();
  await sleep(settleMs);
  const rss = { 0: serverRssKiB() };
  const sockets = [];
  const window = cpuWindow();
  try {
    for (const step of steps) {
      await openMany(step - sockets.length, 100, sockets);
      await sleep(settleMs);
      rss[step] = serverRssKiB();
    }
  } finally {
    closeAll(sockets);
  }
  const cpu = window();
  const last = steps[steps.length - 1];
  return { rss_kib: rss, kib_per_conn: (rss[last] - rss[0]) / last, ...cpu };
}

const SCENARIOS = {
  "connect-ws": () => connectScenario(false),
  "connect-upgrade": () => connectScenario(true),
  cycle: cycleScenario,
  echo: echoScenario,
  fanout: fanoutScenario,
  memory: memoryScenario,
};

async function main() {
  const name = args._[0];
  if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}`);
  const hard = setTimeout(() => {
    console.log(JSON.stringify({ scenario: name, error: `hard timeout ${HARD_TIMEOUT_MS} ms` }));
    process.exit(3);
  }, HARD_TIMEOUT_MS);
  hard.unref();
  const result = await SCENARIOS[name]();
  console.log(JSON.stringify({ scenario: name, ...result }));
  await sleep(200); // let close frames go out before exiting
  process.exit(0);
}

main().catch((error) => {
  console.log(JSON.stringify({ scenario: args._[0], error: String(error?.stack ?? error) }));
  process.exit(1);
});
