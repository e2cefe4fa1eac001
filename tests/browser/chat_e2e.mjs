// Two headless Chromium pages chat through the chat example (examples/chat/) at --url.
//
// Started by tests/browser/test_chat_browser.py. It drives the pages and waits (bounded) for
// each step to show up on screen; the pytest asserts on what it prints: one JSON object with
// the DOM text each page showed at the interesting moments. On a stuck step it prints the same
// JSON with an "error" and exits 1, so the failure says what each page was showing.
//
// usage: node chat_e2e.mjs --url http://127.0.0.1:PORT/ --out DIR [--chromium /usr/bin/chromium]
import { parseArgs } from "node:util";
import { join } from "node:path";
import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    out: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    "step-timeout": { type: "string", default: "15000" },
  },
});
if (!args.url || !args.out) {
  console.error("usage: node chat_e2e.mjs --url URL --out DIR [--chromium PATH]");
  process.exit(2);
}
const STEP_MS = Number(args["step-timeout"]);
const ROOM = "sans-io";

// Debian's Chromium, never a downloaded one; no network beyond the page under test.
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const report = { snapshots: {}, pageErrors: [], screenshots: [] };

// What a person would read on the page, as plain data.
function snapshot(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? null;
    const all = (sel) => [...document.querySelectorAll(sel)].map((n) => n.textContent.trim());
    return {
      status: text("#status"),
      me: text("#me"),
      loginVisible: !document.getElementById("login").hidden,
      nickError: text("#nick-error"),
      roomTitle: text("#room-title"),
      rooms: all("#rooms .room-button"),
      users: all("#users li"),
      typing: text("#typing"),
      transport: window.chatSocket?.io.engine?.transport?.name ?? null,
      messages: [...document.querySelectorAll("#messages li")].map((li) =>
        li.classList.contains("system")
          ? { system: li.textContent.trim() }
          : { nick: li.querySelector(".nick").textContent, text: li.querySelector(".text").textContent }),
    };
  });
}

// Wait until `predicate(snapshot)` holds on `page`; `what` names the step in a failure.
async function waitFor(page, what, predicate) {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const snap = await snapshot(page);
    if (predicate(snap)) return snap;
    if (Date.now() > deadline) throw new Error(`timed out after ${STEP_MS} ms waiting for: ${what}`);
    await page.waitForTimeout(50);
  }
}

const said = (snap, nick, text) => snap.messages.some((m) => m.nick === nick && m.text === text);

async function setNickname(page, nick) {
  await page.fill("#nick-input", nick);
  await page.press("#nick-input", "Enter");
}

async function joinRoom(page, name) {
  await page.fill("#room-input", name);
  await page.press("#room-input", "Enter");
}

// Part one: nicknames, a room, typing, a message each way. The screenshots show its end.
async function conversation(alice, bob) {
  const snaps = report.snapshots;
  for (const page of [alice, bob]) await page.goto(args.url);
  for (const page of [alice, bob]) await waitFor(page, "connected", (s) => s.status === "connected");

  await setNickname(alice, "alice");
  await waitFor(alice, "alice logged in", (s) => s.me === "you are alice");

  await setNickname(bob, "ALICE");
  snaps.bobNickTaken = await waitFor(bob, "nickname refused", (s) => s.nickError !== "");

  await setNickname(bob, "bob");
  snaps.bobInLobby = await waitFor(bob, "bob in lobby", (s) => s.roomTitle === "# lobby");

  await joinRoom(alice, ROOM);
  await joinRoom(bob, ROOM);
  snaps.aliceJoined = await waitFor(alice, "both in the room, seen by alice",
    (s) => s.roomTitle === `# ${ROOM}` && s.users.length === 2);
  snaps.bobJoined = await waitFor(bob, "both in the room, seen by bob",
    (s) => s.roomTitle === `# ${ROOM}` && s.users.length === 2);

  await alice.click("#message-input");
  await alice.keyboard.type("hello from alice", { delay: 20 });
  snaps.bobSeesTyping = await waitFor(bob, "alice typing, seen by bob", (s) => s.typing !== "");
  snaps.aliceWhileTyping = await snapshot(alice);

  await alice.keyboard.press("Enter");
  snaps.bobGotMessage = await waitFor(bob, "bob sees alice's message",
    (s) => said(s, "alice", "hello from alice") && s.typing === "");
  await waitFor(alice, "alice sees her own message", (s) => said(s, "alice", "hello from alice"));

  await bob.click("#message-input");
  await bob.keyboard.type("hi alice, bob here", { delay: 10 });
  await bob.keyboard.press("Enter");
  snaps.aliceFinal = await waitFor(alice, "alice sees bob's reply",
    (s) => said(s, "bob", "hi alice, bob here") && s.typing === "");
  snaps.bobFinal = await waitFor(bob, "bob sees his own reply", (s) => said(s, "bob", "hi alice, bob here"));
}

// Part two: bob leaves the room, then closes his page; alice sees both.
async function goodbyes(alice, bob) {
  const snaps = report.snapshots;
  await bob.click("#leave-button");
  snaps.bobAfterLeaving = await waitFor(bob, "bob back in the lobby", (s) => s.roomTitle === "# lobby");
  snaps.aliceAfterBobLeft = await waitFor(alice, "alice sees bob leave the room",
    (s) => s.users.length === 1 && s.messages.some((m) => m.system === "bob left"));
  await bob.context().close();
  await alice.click('#rooms [data-room="lobby"]');
  snaps.aliceLobbyAfterBobQuit = await waitFor(alice, "alice sees bob quit the lobby",
    (s) => s.roomTitle === "# lobby" && s.users.length === 1
      && s.messages.some((m) => m.system === "bob left"));
}

async function screenshots(pages) {
  for (const [name, page] of Object.entries(pages)) {
    const path = join(args.out, `chat-${name}.png`);
    await page.screenshot({ path });
    report.screenshots.push(path);
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_FLAGS,
    timeout: 30000,
  });
  let failed = false;
  try {
    const pages = {};
    for (const name of ["alice", "bob"]) {
      const context = await browser.newContext({ viewport: { width: 900, height: 600 } });
      pages[name] = await context.newPage();
      pages[name].setDefaultTimeout(STEP_MS);
      pages[name].on("pageerror", (err) => report.pageErrors.push(`${name}: ${err.message}`));
      pages[name].on("console", (msg) => {
        if (msg.type() === "error") report.pageErrors.push(`${name} console: ${msg.text()}`);
      });
    }
    const step = async (part) => {
      if (failed) return;
      try {
        await part(pages.alice, pages.bob);
      } catch (err) {
        failed = true;
        report.error = String(err && err.stack ? err.stack : err);
        for (const [name, page] of Object.entries(pages)) {
          report.snapshots[`${name}AtFailure`] = await snapshot(page).catch((e) => String(e));
        }
      }
    };
    await step(conversation);
    await screenshots(pages);
    await step(goodbyes);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(report));
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  report.error = String(err && err.stack ? err.stack : err);
  console.log(JSON.stringify(report));
  process.exit(1);
});
