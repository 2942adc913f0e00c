// Helpers shared by the widget frame and the inbox (plain modern JavaScript).

export function randomId() {
  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;

/** Append text to `parent`, turning web addresses into links. Never parses HTML. */
export function renderText(parent, text) {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    const link = document.createElement("a");
    link.href = match[0];
    link.textContent = match[0];
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
    parent.append(link);
    last = match.index + match[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function formatTime(iso, locale) {
  const date = new Date(iso);
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  return new Intl.DateTimeFormat(locale, sameDay
    ? { hour: "numeric", minute: "2-digit" }
    : { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }).format(date);
}

/**
 * A WebSocket that reconnects with backoff. `onOpen(socket)` runs on every
 * connection; frames go to `onFrame`; `onState` hears "open" / "closed".
 */
export class ReconnectingSocket {
  constructor(url, { onOpen, onFrame, onState, onClose }) {
    this.url = url;
    this.handlers = { onOpen, onFrame, onState, onClose };
    this.attempt = 0;
    this.stopped = false;
    this.connect();
  }

  connect() {
    const url = typeof this.url === "function" ? this.url() : this.url;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.attempt = 0;
      this.handlers.onState?.("open");
      this.handlers.onOpen?.(socket);
    };
    socket.onmessage = async (event) => {
      const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
      let frame;
      try { frame = JSON.parse(text); } catch { return; }
      if (frame.type === "ping") { this.send({ type: "pong" }); return; }
      this.handlers.onFrame?.(frame);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.handlers.onState?.("closed");
      const retry = this.handlers.onClose?.(event);
      if (this.stopped || retry === false) return;
      // 1012: the server is restarting and another one takes over at once (not a failure,
      // so no backoff); a random pause spreads its sockets instead of all at one instant.
      const restarting = event.code === 1012;
      const delay = restarting ? 100 + Math.random() * 900
        : Math.min(15000, 500 * 2 ** this.attempt) * (0.7 + Math.random() * 0.6);
      if (!restarting) this.attempt += 1;
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  get open() { return this.socket && this.socket.readyState === WebSocket.OPEN; }

  send(frame) {
    if (!this.open) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  reconnectNow() {
    clearTimeout(this.timer);
    const old = this.socket;
    this.socket = null;
    if (old) { old.onclose = null; old.close(); }
    this.handlers.onState?.("closed");
    this.connect();
  }
}

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}
