// The chat page: plain browser JavaScript, no build step. The protocol it speaks is written
// down in examples/chat/README.md; `io` comes from socket.io-client's dist/socket.io.min.js.
"use strict";

(() => {
  const TYPING_IDLE_MS = 1500;
  const $ = (id) => document.getElementById(id);

  const ui = {
    status: $("status"), me: $("me"), login: $("login"), chat: $("chat"),
    nickForm: $("nick-form"), nickInput: $("nick-input"), nickError: $("nick-error"),
    joinForm: $("join-form"), roomInput: $("room-input"), roomError: $("room-error"),
    rooms: $("rooms"), users: $("users"), roomTitle: $("room-title"), leave: $("leave-button"),
    messages: $("messages"), typing: $("typing"),
    messageForm: $("message-form"), messageInput: $("message-input"), send: $("send-button"),
    messageError: $("message-error"),
  };

  // Everything the page shows is derived from this state by render().
  const state = {
    nick: null,       // our nickname once the server accepted it
    active: null,     // name of the room shown on the right
    rooms: new Map(), // room name -> {messages: [], users: [], typing: Set, unread: 0}
  };

  const socket = io({ transports: ["polling", "websocket"] });
  window.chatSocket = socket; // for the devtools console and the browser test

  // ---- state helpers -------------------------------------------------------------------

  function room(name) {
    if (!state.rooms.has(name)) {
      state.rooms.set(name, { messages: [], users: [], typing: new Set(), unread: 0 });
    }
    return state.rooms.get(name);
  }

  function addEntry(name, entry) {
    if (!state.rooms.has(name)) return; // a late event for a room we already left
    const r = room(name);
    r.messages.push(entry);
    if (name !== state.active) r.unread += 1;
    render();
  }

  function timeOf(at) {
    const d = new Date(at);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function typingText(nicks) {
    const list = [...nicks].sort();
    if (list.length === 0) return "";
    if (list.length === 1) return `${list[0]} is typing…`;
    if (list.length === 2) return `${list[0]} and ${list[1]} are typing…`;
    return "several people are typing…";
  }

  // ---- rendering (textContent only: nothing a peer sends is ever parsed as HTML) ------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderMessage(entry) {
    if (entry.kind === "system") return el("li", "system", entry.text);
    const li = el("li", entry.nick === state.nick ? "message mine" : "message");
    li.append(el("time", "at", timeOf(entry.at)), el("span", "nick", entry.nick),
      el("span", "text", entry.text));
    return li;
  }

  function renderRooms() {
    ui.rooms.replaceChildren(...[...state.rooms.keys()].sort().map((name) => {
      const li = el("li", name === state.active ? "room active" : "room");
      const button = el("button", "room-button", `# ${name}`);
      button.type = "button";
      button.dataset.room = name;
      li.append(button);
      const unread = state.rooms.get(name).unread;
      if (unread > 0) li.append(el("span", "unread", String(unread)));
      return li;
    }));
  }

  function renderActive() {
    const r = state.active === null ? null : state.rooms.get(state.active);
    ui.roomTitle.textContent = r ? `# ${state.active}` : "Join a room to start";
    ui.leave.hidden = !r;
    ui.messageInput.disabled = !r || !socket.connected;
    ui.send.disabled = !r || !socket.connected;
    ui.messages.replaceChildren(...(r ? r.messages.map(renderMessage) : []));
    ui.users.replaceChildren(...(r ? r.users.map((n) => el("li", n === state.nick ? "me" : "", n)) : []));
    ui.typing.textContent = r ? typingText(r.typing) : "";
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function render() {
    ui.login.hidden = state.nick !== null;
    ui.chat.hidden = state.nick === null;
    ui.me.textContent = state.nick ? `you are ${state.nick}` : "";
    renderRooms();
    renderActive();
  }

  function setStatus(online, text) {
    ui.status.textContent = text;
    ui.status.className = online ? "status online" : "status offline";
    render();
  }

  // ---- talking to the server -----------------------------------------------------------

  function request(event, payload) {
    // Every request is acknowledged with {ok, error?}; a dead link answers with a timeout.
    return new Promise((resolve) => {
      socket.timeout(5000).emit(event, payload, (err, reply) => {
        resolve(err ? { ok: false, error: "the server did not answer" } : reply);
      });
    });
  }

  async function setNickname(name) {
    const reply = await request("set nickname", name);
    if (!reply.ok) {
      ui.nickError.textContent = reply.error;
      return false;
    }
    ui.nickError.textContent = "";
    state.nick = reply.nick;
    render();
    return true;
  }

  async function joinRoom(name) {
    const reply = await request("join room", name);
    if (!reply.ok) {
      ui.roomError.textContent = reply.error;
      return;
    }
    ui.roomError.textContent = "";
    const r = room(reply.room);
    r.users = reply.users;
    activate(reply.room);
  }

  async function leaveRoom(name) {
    stopTyping();
    await request("leave room", name);
    state.rooms.delete(name);
    if (state.active === name) state.active = [...state.rooms.keys()].sort()[0] ?? null;
    render();
  }

  function activate(name) {
    stopTyping();
    state.active = name;
    room(name).unread = 0;
    render();
    ui.messageInput.focus();
  }

  // The typing indicator: "on" when we start typing, "off" after a pause or on send.
  let typingRoom = null;
  let typingTimer = null;

  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingRoom !== null && socket.connected) socket.emit("typing", { room: typingRoom, on: false });
    typingRoom = null;
  }

  function noteTyping() {
    if (state.active === null) return;
    if (typingRoom !== state.active) {
      stopTyping();
      typingRoom = state.active;
      socket.emit("typing", { room: typingRoom, on: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  async function sendMessage() {
    const text = ui.messageInput.value.trim();
    if (!text || state.active === null) return;
    stopTyping();
    ui.messageInput.value = "";
    const reply = await request("chat message", { room: state.active, text });
    ui.messageError.textContent = reply.ok ? "" : reply.error;
  }

  // ---- server events -------------------------------------------------------------------

  socket.on("connect", async () => {
    setStatus(true, "connected");
    // A reconnect is a brand-new socket to the server: claim the nickname and rooms again.
    if (state.nick !== null) {
      const rooms = [...state.rooms.keys()];
      const nick = state.nick;
      state.nick = null;
      if (await setNickname(nick)) for (const name of rooms) await joinRoom(name);
    }
  });

  socket.on("disconnect", (reason) => {
    typingRoom = null;
    for (const r of state.rooms.values()) r.typing.clear();
    setStatus(false, `disconnected (${reason})`);
  });

  socket.on("connect_error", (err) => setStatus(false, `cannot connect: ${err.message}`));

  socket.on("chat message", ({ room: name, nick, text, at }) => {
    if (state.rooms.has(name)) state.rooms.get(name).typing.delete(nick);
    addEntry(name, { kind: "message", nick, text, at });
  });

  socket.on("system message", ({ room: name, text, at }) => addEntry(name, { kind: "system", text, at }));

  socket.on("room users", ({ room: name, users }) => {
    if (!state.rooms.has(name)) return;
    const r = state.rooms.get(name);
    r.users = users;
    for (const nick of [...r.typing]) if (!users.includes(nick)) r.typing.delete(nick);
    render();
  });

  socket.on("typing", ({ room: name, nick, on }) => {
    if (!state.rooms.has(name)) return;
    const typing = state.rooms.get(name).typing;
    if (on) typing.add(nick); else typing.delete(nick);
    render();
  });

  // ---- page events ---------------------------------------------------------------------

  ui.nickForm.addEventListener("submit", (e) => {
    e.preventDefault();
    setNickname(ui.nickInput.value).then((ok) => ok && joinRoom(ui.roomInput.value));
  });

  ui.joinForm.addEventListener("submit", (e) => {
    e.preventDefault();
    joinRoom(ui.roomInput.value);
  });

  ui.rooms.addEventListener("click", (e) => {
    const name = e.target.dataset && e.target.dataset.room;
    if (name) activate(name);
  });

  ui.leave.addEventListener("click", () => state.active !== null && leaveRoom(state.active));
  ui.messageInput.addEventListener("input", noteTyping);
  ui.messageForm.addEventListener("submit", (e) => {
    e.preventDefault();
    sendMessage();
  });

  render();
})();
