// A lean Socket.IO client for the echo scenarios: Engine.IO v4 and Socket.IO v5 over one
// WebSocket (the `ws` package), spoken by hand, without socket.io-client's layers.
//
// socket.io-client spends more CPU per message than a fast server does, so with it the load
// generator, not the server, sets the pace of the echo scenarios (binary echo saturated it).
// This client does only what those scenarios need, exactly as the protocol says: it answers
// the open packet with a CONNECT to "/", answers pings, sends `42<id>["echo",<payload>]` (or
// `451-<id>["echo",{"_placeholder":true,"num":0}]` and the attachment) and matches each
// `43<id>[...]` / `461-<id>[...]` + attachment to the emit that asked, by id.
import WebSocket from "ws";

const PLACEHOLDER = '{"_placeholder":true,"num":0}';

export class LeanSocket {
  /** Opens the WebSocket and connects to the main namespace; resolves once connected. */
  static connect(url, timeoutMs) {
    const target = `${url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`;
    const socket = new LeanSocket(new WebSocket(target, { perMessageDeflate: false }));
    return socket.#connected(timeoutMs);
  }

  #ws;
  #nextId = 0;
  #pending = new Map(); // ack id -> { resolve, reject, timer }
  #binaryAck = null; // the pending entry whose attachment comes next
  #onConnect = null;

  constructor(ws) {
    this.#ws = ws;
    ws.binaryType = "nodebuffer";
    ws.on("message", (data, isBinary) => (isBinary ? this.#onBinary(data) : this.#onText(data.toString())));
    ws.on("close", () => this.#failAll(new Error("connection closed")));
    ws.on("error", (error) => this.#failAll(error));
  }

  #connected(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("connect timed out")), timeoutMs);
      this.#onConnect = (error) => {
        clearTimeout(timer);
        this.#onConnect = null;
        if (error) reject(error);
        else resolve(this);
      };
    });
  }

  /** Emits "echo" with `payload` (a string, or a Buffer sent as an attachment); resolves with
   * the size of what the ack carried back. */
  echo(payload, timeoutMs) {
    const id = this.#nextId++;
    const binary = Buffer.isBuffer(payload);
    const answered = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`ack ${id} timed out`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
    if (binary) {
      this.#ws.send(`451-${id}["echo",${PLACEHOLDER}]`);
      this.#ws.send(payload);
    } else {
      this.#ws.send(`42${id}["echo",${JSON.stringify(payload)}]`);
    }
    return answered;
  }

  close() {
    this.#ws.close();
  }

  #onText(text) {
    const kind = text[0];
    if (kind === "0") return this.#ws.send("40"); // open: CONNECT to "/"
    if (kind === "2") return this.#ws.send("3"); // ping: pong
    if (kind !== "4") return undefined;
    const packet = text[1];
    if (packet === "0") return this.#onConnect?.(null);
    if (packet === "4") return this.#onConnect?.(new Error(`connect refused: ${text}`));
    if (packet === "3") return this.#onAck(text, 2);
    if (packet === "6") return this.#onBinaryAck(text);
    return undefined;
  }

  /** `43<id>[<payload>]`: the ack of a text echo; its size is the JSON string's length. */
  #onAck(text, from) {
    const bracket = text.indexOf("[", from);
    const entry = this.#take(Number(text.slice(from, bracket)));
    if (entry === undefined) return;
    const answer = JSON.parse(text.slice(bracket));
    entry.resolve(typeof answer[0] === "string" ? answer[0].length : -1);
  }

  /** `461-<id>[<placeholder>]`: its attachment is the next binary message. */
  #onBinaryAck(text) {
    const dash = text.indexOf("-");
    const bracket = text.indexOf("[", dash);
    this.#binaryAck = this.#take(Number(text.slice(dash + 1, bracket))) ?? null;
  }

  #onBinary(data) {
    const entry = this.#binaryAck;
    this.#binaryAck = null;
    entry?.resolve(data.length);
  }

  #take(id) {
    const entry = this.#pending.get(id);
    if (entry === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(entry.timer);
    return entry;
  }

  #failAll(error) {
    this.#onConnect?.(error);
    for (const entry of this.#pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.#pending.clear();
  }
}
