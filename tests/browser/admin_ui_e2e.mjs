// The Socket.IO admin UI (npm @socket.io/admin-ui, ui/dist) in headless Chromium, watching our server.
//
// Started by tests/browser/test_admin_ui_browser.py, which serves the UI at --ui and runs
// examples/admin_ui.py at --server. This script connects three socket.io-client clients to the
// server, each joining rooms, then logs the UI in and reads what its Sockets and Rooms pages
// show; it prints one JSON object (what each page showed, the clients' ids, the screenshots).
// Every step waits at most --step-timeout ms; on a stuck step it prints the same JSON with an
// "error" and exits 1, so the failure says what the page was showing.
//
// usage: node admin_ui_e2e.mjs --ui URL --server URL --password P --out DIR [--chromium PATH]
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    ui: { type: "string" },
    server: { type: "string" },
    username: { type: "string", default: "admin" },
    password: { type: "string" },
    out: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    "step-timeout": { type: "string", default: "15000" },
  },
});
if (!args.ui || !args.server || !args.password || !args.out) {
  console.error("usage: node admin_ui_e2e.mjs --ui URL --server URL --password P --out DIR");
  process.exit(2);
}
const STEP_MS = Number(args["step-timeout"]);

// socket.io-client comes with the interop tests' packages, as for the chat page.
const interop = join(fileURLToPath(new URL(".", import.meta.url)), "..", "interop", "package.json");
const { io } = createRequire(interop)("socket.io-client");

// Debian's Chromium, never a downloaded one; no network beyond 127.0.0.1.
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const CLIENTS = { alice: ["lobby", "sans-io"], bob: ["lobby"], carol: ["sans-io", "trio"] };

const report = { clients: {}, snapshots: {}, pageErrors: [], screenshots: [] };
const sockets = [];

function withTimeout(promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${STEP_MS} ms: ${what}`)), STEP_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// One client of "/", in its rooms once this resolves (the server acks each join).
async function client(name, rooms) {
  const socket = io(args.server, { transports: ["websocket"], forceNew: true, reconnection: false });
  sockets.push(socket);
  await withTimeout(new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  }), `${name} connects`);
  for (const room of rooms) {
    await withTimeout(socket.emitWithAck("join", room), `${name} joins ${room}`);
  }
  report.clients[name] = socket.id;
}

// The rows of the page's one data table, as cell texts; null while the page slides in (the
// old page's table is still there) or out.
function tableRows(page) {
  return page.evaluate(() => {
    const tables = document.querySelectorAll(".v-data-table");
    const sliding = document.querySelector("[class*='-transition-enter'], [class*='-transition-leave']");
    if (tables.length !== 1 || sliding) return null;
    return [...tables[0].querySelectorAll("tbody tr")]
      .map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent.trim()))
      .filter((cells) => cells.length > 1);
  });
}

async function waitForRows(page, what, predicate) {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const rows = await tableRows(page);
    if (rows && predicate(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`timed out after ${STEP_MS} ms waiting for: ${what}`);
    await page.waitForTimeout(50);
  }
}

async function screenshot(page, name) {
  await page.waitForFunction(() =>
    !document.querySelector("[class*='-transition-enter'], [class*='-transition-leave']"));
  const path = join(args.out, `admin-ui-${name}.png`);
  await page.screenshot({ path });
  report.screenshots.push(path);
}

let browser;
let page;
try {
  for (const [name, rooms] of Object.entries(CLIENTS)) await client(name, rooms);
  const ids = Object.values(report.clients);

  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: CHROMIUM_FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  // The UI asks Google Fonts and jsDelivr for its font and icons: nothing leaves the machine.
  await context.route((url) => url.hostname !== "127.0.0.1", (route) => route.abort());
  page = await context.newPage();
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));
  page.setDefaultTimeout(STEP_MS);

  await page.goto(args.ui);
  await page.getByLabel("Server URL").fill(args.server);
  await page.getByLabel("Username").fill(args.username);
  await page.getByLabel("Password").fill(args.password);
  await page.getByRole("button", { name: "Connect" }).click();

  await page.goto(`${args.ui}#/sockets/`);
  report.snapshots.sockets = await waitForRows(page, "every client on the Sockets page",
    (rows) => ids.every((id) => rows.some((cells) => cells[0] === id)));
  await screenshot(page, "sockets");

  await page.goto(`${args.ui}#/rooms/`);
  report.snapshots.rooms = await waitForRows(page, "the clients' rooms on the Rooms page",
    (rows) => ["lobby", "sans-io", "trio"].every((room) => rows.some((cells) => cells[0] === room)));
  await screenshot(page, "rooms");

  await page.goto(`${args.ui}#/n/%2F/sockets/${report.clients.alice}`);
  const roomsCard = page.locator(".v-card", { has: page.locator(".v-card__title", { hasText: /^\s*Rooms\s*$/ }) });
  await roomsCard.getByText("sans-io", { exact: true }).waitFor();
  report.snapshots.aliceRooms = await roomsCard.locator("tbody tr td:first-child").allInnerTexts();
  await screenshot(page, "socket");
  console.log(JSON.stringify(report));
} catch (error) {
  report.error = String(error?.stack ?? error);
  if (page) report.snapshots.failedAt = { url: page.url(), text: await page.innerText("body").catch(() => null) };
  console.log(JSON.stringify(report));
  process.exitCode = 1;
} finally {
  for (const socket of sockets) socket.disconnect();
  await browser?.close();
}
