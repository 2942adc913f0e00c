// The chat panel inside the widget iframe. Talks only to its own origin.
import { ReconnectingSocket, el, formatTime, randomId, renderText, wsUrl } from "/static/shared.js";

// On the company's site this frame is third-party: browsers that block third-party storage
// (Chrome's incognito windows, Brave) throw on any use of localStorage. The chat then keeps
// its token and outbox in memory, for as long as the page is open.
const localStorage = (() => {
  try { window.localStorage.getItem("sangdam"); return window.localStorage; } catch {
    const memory = new Map();
    return {
      getItem: (key) => (memory.has(key) ? memory.get(key) : null),
      setItem: (key, value) => memory.set(key, String(value)),
      removeItem: (key) => memory.delete(key),
    };
  }
})();
const boot = JSON.parse(document.getElementById("bootstrap").textContent);
const t = (text) => boot.messages[text] || text;
const locale = boot.locale;
const storage = `sangdam:${boot.key}`;
const $ = (id) => document.getElementById(id);

const state = {
  token: localStorage.getItem(`${storage}:token`),
  context: null,
  conversations: new Map(),   // id -> visitor view
  messages: new Map(),        // conversation id -> Map(seq -> message)
  lastSeq: {},                // conversation id -> highest seq held (read receipts)
  // conversation id -> the seq up to which this page holds every message: advanced only by
  // the socket's in-order stream and by history pages, never by an ack (an ack can run
  // ahead of a reply still on its way). hello sends these, so a reconnect resumes there.
  position: {},
  loaded: new Set(),          // conversations whose latest history page was fetched
  current: null,              // conversation id, "new", or null (home)
  open: false,
  unread: 0,
  inFlight: new Set(),
  // Sends not yet acknowledged survive reloads and are retried with the same client_id.
  outbox: JSON.parse(localStorage.getItem(`${storage}:outbox`) || "[]"),
  identity: null,             // the host page's Sangdam.boot({...}), checked by the server
  identified: null,           // the identity last sent, so each is sent once
  tracked: [],                // Sangdam.track calls waiting for the session
  session: false,
  email: null,                // the contact's address, once known: replies can reach them
  writingAgain: new Set(),    // ended conversations the customer chose to write in again
};
let socket = null;

function saveOutbox() { localStorage.setItem(`${storage}:outbox`, JSON.stringify(state.outbox)); }
function toParent(message) { parent.postMessage({ sangdam: message.type, ...message }, "*"); }

async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(`/api/widget/v1${path}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      // Errors come back in the widget's language.
      "Accept-Language": locale,
      ...(state.token ? { Authorization: `Bearer ${state.token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(response.status === 429
      ? t("Too many requests right now. Please try again in {seconds} seconds.").replace("{seconds}", response.headers.get("Retry-After") || "60")
      : (data && data.message) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

async function startSession() {
  const context = state.context || { url: document.referrer || null, locale: navigator.language };
  if (state.token) {
    try {
      return await api("/session", { method: "POST", body: context });
    } catch (error) {
      if (error.status !== 401) throw error;
      state.token = null;
    }
  }
  const created = await api("/visitors", { method: "POST", body: { inbox_key: boot.key, context } });
  state.token = created.token;
  localStorage.setItem(`${storage}:token`, created.token);
  // A new visitor: the old one's sends can't be delivered, but a first message typed
  // while this request ran (a new conversation) still can.
  state.outbox = state.outbox.filter((item) => item.conversation_id === null);
  saveOutbox();
  // Nor are the old one's conversations this visitor's: hello must not name them.
  state.position = {};
  state.loaded.clear();
  return { ...created, conversations: [] };
}

async function identify() {
  // Returns true when this browser now speaks for another contact (a new token).
  const sent = JSON.stringify(state.identity);
  if (!state.identity || state.identified === sent) return false;
  state.identified = sent;
  const result = await api("/identify", { method: "POST", body: state.identity });
  // For the company's developers: why Sangdam.boot did not verify (see docs/customers.md).
  if (!result.verified && result.problem) console.warn(`Sangdam.boot: identity not verified (${result.problem})`);
  if (!result.token) return false;
  state.token = result.token;
  localStorage.setItem(`${storage}:token`, result.token);
  state.outbox = [];
  saveOutbox();
  return true;
}

function track(item) {
  if (!state.session) { if (state.tracked.length < 50) state.tracked.push(item); return; }
  api("/events", { method: "POST", body: { event: item.event, props: item.props || {}, context: item.context || {} } })
    .catch(() => {});  // analytics never get in the customer's way
}

function upsertConversation(conversation) {
  const known = state.conversations.get(conversation.id);
  state.conversations.set(conversation.id, { ...known, ...conversation });
  renderHome();
}

// The server never sends a conversation past this many positions in one hello.
const MAX_HELLO_CONVERSATIONS = 100;

function advance(conversationId, seq) {
  state.position[conversationId] = Math.max(state.position[conversationId] || 0, seq);
}

function addMessage(message) {
  let byseq = state.messages.get(message.conversation_id);
  if (!byseq) { byseq = new Map(); state.messages.set(message.conversation_id, byseq); }
  const isNew = !byseq.has(message.seq);
  byseq.set(message.seq, message);
  state.lastSeq[message.conversation_id] = Math.max(state.lastSeq[message.conversation_id] || 0, message.seq);
  if (isNew && message.sender_type !== "contact" &&
      !(state.open && state.current === message.conversation_id && !document.hidden)) {
    state.unread += 1;
    toParent({ type: "unread", count: state.unread });
  }
  if (state.current === message.conversation_id) { renderMessages(); markRead(); }
  // The bot just said nobody is working (hours may have closed since the page loaded):
  // the header stops promising a quick answer.
  if (isNew && message.content && message.content.away && state.config && state.config.hours.open) {
    state.config.hours = { ...state.config.hours, open: false, next_open: message.content.away.next_open || null };
    renderSubtitle();
    renderEmailField();
    renderQueue();
  }
}

function renderHome() {
  const list = $("conversations");
  list.replaceChildren();
  const items = [...state.conversations.values()].sort((a, b) => b.last_activity_at.localeCompare(a.last_activity_at));
  $("history-title").hidden = items.length === 0;
  for (const conversation of items) {
    const button = el("button", { class: "conversation", type: "button" },
      el("span", { class: "preview", text: conversation.last_message_preview || "…" }),
      el("small", { class: "muted", text: (conversation.status === "resolved" ? `${t("Ended")} · ` : "") + formatTime(conversation.last_activity_at, locale) }));
    button.addEventListener("click", () => openConversation(conversation.id));
    list.append(el("li", {}, button));
  }
}

// Help-center articles on the home screen: the first ones, or the best matches as the visitor types.
let helpQuery = null;
async function showArticles(query) {
  if (query === helpQuery) return;
  helpQuery = query;
  const params = new URLSearchParams({ lang: locale, q: query });
  let found;
  try {
    found = await api(`/articles?${params}`);
  } catch {
    return;  // the chat works without it
  }
  if (query !== helpQuery) return;  // a newer search is on its way
  const list = $("help-articles");
  list.replaceChildren(...found.articles.map((article) => el("li", {},
    el("a", { href: article.url, target: "_blank", rel: "noopener" },
      el("strong", { text: article.title }),
      article.description ? el("small", { class: "muted", text: article.description }) : null))));
  $("help-empty").hidden = found.articles.length > 0 || !query;
  $("help").hidden = found.articles.length === 0 && !query;
}

function wireHelpSearch() {
  let timer = null;
  $("help-search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => showArticles($("help-search").value.trim()), 250);
  });
}

function bubbleFor(message) {
  const body = el("div", { class: "bubble" });
  if (message.sender_type === "bot" && message.content && message.content.html) {
    // Rendered on the server from the admin's Markdown with raw HTML escaped.
    body.innerHTML = message.content.html;
    for (const link of body.querySelectorAll("a")) { link.target = "_blank"; link.rel = "noopener noreferrer"; }
  } else if (message.sender_type === "bot" && message.content && message.content.away && message.content.away.next_open) {
    // The bot's "we're away": when people are back, in the customer's own time.
    renderText(body, message.content.away.template.replace("{when}", formatOpening(message.content.away.next_open)));
  } else {
    renderText(body, message.body);
  }
  if (message.content && message.content.link) {
    body.append(el("a", { class: "more", href: message.content.link.url, target: "_blank", rel: "noopener noreferrer", text: message.content.link.label }));
  }
  return body;
}

function buttonRow(buttons) {
  const row = el("div", { class: "buttons" });
  for (const button of buttons) {
    const node = el("button", { type: "button", class: "choice", text: button.label });
    node.addEventListener("click", () => press(button));
    row.append(node);
  }
  return row;
}

function renderMessages() {
  const list = $("messages");
  const id = state.current;
  const byseq = typeof id === "number" ? state.messages.get(id) : null;
  const messages = byseq ? [...byseq.values()].sort((a, b) => a.seq - b.seq) : [];
  const pending = state.outbox.filter((item) =>
    item.conversation_id === id || (id === "new" && item.conversation_id === null));
  const conversation = state.conversations.get(id);
  const seenUpTo = conversation ? conversation.agent_last_seen_seq : 0;
  const welcome = state.config && state.config.bot ? state.config.bot[locale] : null;
  list.replaceChildren();
  if (messages.length === 0) {
    const greeting = el("li", { class: "message theirs" }, el("div", { class: "bubble", text: welcome ? welcome.greeting : $("greeting").textContent }));
    if (welcome && pending.length === 0) greeting.append(buttonRow(welcome.buttons));
    list.append(greeting);
  }
  const lastWithButtons = [...messages].reverse().find((m) => m.content && m.content.buttons);
  const botActive = conversation && conversation.status === "bot";
  for (const message of messages) {
    if (message.sender_type === "system") { list.append(systemLine(message)); continue; }
    const mine = message.sender_type === "contact";
    const item = el("li", { class: `message ${mine ? "mine" : "theirs"} ${message.sender_type}`, "data-seq": message.seq },
      mine ? null : el("small", { class: "sender", text: message.sender_name || t("Support") }),
      bubbleFor(message),
      el("small", { class: "meta muted", text: formatTime(message.created_at, locale) +
        (mine && message.seq <= seenUpTo ? ` · ${t("Seen")}` : "") }));
    if (botActive && message === lastWithButtons && pending.length === 0) item.append(buttonRow(message.content.buttons));
    list.append(item);
  }
  for (const item of pending) {
    const body = el("div", { class: "bubble" });
    renderText(body, item.body);
    list.append(el("li", { class: `message mine pending${item.failed ? " failed" : ""}`, "data-client-id": item.client_id },
      body, el("small", { class: "meta muted", text: item.failed ? item.failed : t("Sending…") })));
  }
  list.scrollTop = list.scrollHeight;
  // An ended chat: the composer gives way to "write again" (which reopens it) or a new one.
  const ended = Boolean(conversation) && conversation.status === "resolved" && !state.writingAgain.has(id) && pending.length === 0;
  $("ended").hidden = !ended;
  $("composer").hidden = ended;
  renderRating(conversation, messages, ended);
  renderEmailField();
}

// ---- the rating an ended chat asks for (csat/) ----------------------------------------

// How a score reads: stars out of 5, or a thumb on the good/bad scale.
function scoreText(score, scale) {
  if (scale === "good_bad") return score >= 4 ? "👍" : "👎";
  return "★".repeat(score) + "☆".repeat(5 - score);
}

const rating = { conversation: null, score: null, scale: null, sending: false };

function renderRating(conversation, messages, ended) {
  const settings = state.config && state.config.rating;
  const scale = settings ? settings.rating_scale : "off";
  // This ending is rated once a "rated" line follows its "resolved" line.
  const lastOf = (activity) => Math.max(0, ...messages.filter((m) => (m.content || {}).activity === activity).map((m) => m.seq));
  const rated = ended && lastOf("rated") > lastOf("resolved");
  const asking = ended && scale !== "off" && !rated;
  $("rating").hidden = !asking;
  $("rating-thanks").hidden = !rated;
  if (!asking) return;
  if (rating.conversation !== conversation.id || rating.scale !== scale) {
    Object.assign(rating, { conversation: conversation.id, score: null, scale });
    $("rating-comment").value = "";
    const scores = scale === "good_bad"
      ? [[5, "👍", t("Good")], [1, "👎", t("Bad")]]
      : [1, 2, 3, 4, 5].map((n) => [n, "★".repeat(n), t("{score} out of 5").replace("{score}", n)]);
    $("rating-scores").replaceChildren(...scores.map(([score, label, name]) => {
      const button = el("button", { type: "button", text: label, "data-score": score });
      button.setAttribute("aria-label", name);
      button.addEventListener("click", () => chooseScore(score));
      return button;
    }));
  }
  for (const button of $("rating-scores").children) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.score) === rating.score));
  }
  const withComment = Boolean(settings.ask_comment) && rating.score !== null;
  $("rating-comment").hidden = !withComment;
  $("rating-send").hidden = !withComment;
}

function chooseScore(score) {
  rating.score = score;
  if (state.config.rating.ask_comment) { renderMessages(); $("rating-comment").focus(); }
  else sendRating();
}

async function sendRating() {
  if (rating.score === null || rating.sending || typeof state.current !== "number") return;
  rating.sending = true;
  const comment = $("rating-comment").value.trim();
  try {
    await api(`/conversations/${state.current}/rating`, { method: "POST", body: { score: rating.score, comment: comment || null } });
    // The "rated" line comes through the socket; until then the form gives way to the thanks.
    $("rating").hidden = true;
    $("rating-thanks").hidden = false;
  } catch (error) {
    showError(error.message);
  } finally {
    rating.sending = false;
  }
}

// Lines the system adds (the chat ended), in the customer's language.
const ACTIVITY_TEXTS = {
  resolved: () => t("This conversation has ended."),
  // The chat went to someone else (no answer in time, the agent left, a transfer).
  moved: () => t("Your conversation is being passed to another colleague."),
  rated: (content) => t("You rated this conversation {rating}.").replace("{rating}", scoreText(content.score, content.scale)),
};

function systemLine(message) {
  const content = message.content || {};
  if (content.activity === "survey") return surveyLine(message);
  const text = ACTIVITY_TEXTS[content.activity];
  return el("li", { class: "message system", "data-seq": message.seq },
    el("span", { class: "system-text", text: text ? text(message.content) : message.body }),
    el("small", { class: "meta muted", text: formatTime(message.created_at, locale) }));
}

// ---- a post-chat survey (csat/): a card the customer opens and answers once ----------------

const surveyCards = new Map(); // send id -> its card, kept across re-renders

function surveyLine(message) {
  const sendId = message.content.send_id;
  if (!surveyCards.has(sendId)) {
    const card = el("div", { class: "survey-card", "data-send": sendId },
      el("span", { class: "system-text", text: t("Please answer a short survey about this chat.") }));
    const open = el("button", { type: "button", class: "survey-open", text: t("Answer the survey") });
    open.addEventListener("click", () => openSurvey(card, sendId));
    card.append(open);
    surveyCards.set(sendId, card);
  }
  return el("li", { class: "message system", "data-seq": message.seq }, surveyCards.get(sendId),
    el("small", { class: "meta muted", text: formatTime(message.created_at, locale) }));
}

function surveyDone(card, text) {
  card.replaceChildren(el("span", { class: "system-text survey-thanks", text }));
}

async function openSurvey(card, sendId) {
  const survey = await api(`/surveys/${sendId}`);
  if (survey.answered) { surveyDone(card, t("Thank you for answering the survey.")); return; }
  const form = el("form", { class: "survey-form" }, el("strong", { text: survey.name }));
  survey.questions.forEach((question, index) => {
    const name = `q${index}`;
    const choices = question.kind === "rating" ? ["1", "2", "3", "4", "5"] : question.options;
    const field = el("fieldset", { "data-kind": question.kind },
      el("legend", { text: question.text + (question.required ? " *" : "") }));
    if (question.kind === "text") {
      field.append(el("textarea", { name, rows: 2, maxLength: 2000, required: question.required }));
    } else {
      for (const choice of choices) {
        field.append(el("label", { class: "survey-choice" },
          el("input", { type: "radio", name, value: choice, required: question.required }), ` ${choice}`));
      }
    }
    form.append(field);
  });
  const error = el("p", { class: "error", role: "alert", hidden: true });
  form.append(error, el("button", { type: "submit", text: t("Send answers") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.checkValidity()) { form.reportValidity(); return; }
    const values = new FormData(form);
    const answers = survey.questions.map((question, index) => {
      const value = String(values.get(`q${index}`) || "").trim();
      if (!value) return null;
      return question.kind === "rating" ? Number(value) : value;
    });
    try {
      await api(`/surveys/${sendId}/response`, { method: "POST", body: { answers } });
      surveyDone(card, t("Thank you for answering the survey."));
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  card.replaceChildren(form);
}

async function openConversation(id) {
  state.current = id;
  // Outside business hours a new conversation asks where to send the answer.
  renderEmailField();
  $("home").hidden = true;
  $("chat").hidden = false;
  $("back").hidden = false;
  if (typeof id === "number" && !state.loaded.has(id)) {
    const page = await api(`/conversations/${id}/messages?limit=100`);
    page.messages.forEach(addMessage);
    // The latest page holds everything up to its newest message.
    if (page.messages.length) advance(id, page.messages[page.messages.length - 1].seq);
    state.loaded.add(id);
  }
  renderMessages();
  renderQueue();
  markRead();
  $("input").focus();
}

// "2026-12-03" for the day ``date`` falls on in ``zone``.
function dayIn(date, zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

// "내일 오전 9시", "12월 7일 (월) 오전 9:30", "tomorrow 9 AM": when ``date`` is in ``zone``.
function openingIn(date, zone) {
  const minute = Number(new Intl.DateTimeFormat("en-US", { timeZone: zone, minute: "numeric" }).format(date));
  const time = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: "numeric", ...(minute ? { minute: "2-digit" } : {}) }).format(date);
  const days = Math.round((Date.parse(dayIn(date, zone)) - Date.parse(dayIn(new Date(), zone))) / 86400000);
  if (days === 0) return `${t("today")} ${time}`;
  if (days === 1) return `${t("tomorrow")} ${time}`;
  const day = new Intl.DateTimeFormat(locale, { timeZone: zone, weekday: "short", month: "short", day: "numeric" }).format(date);
  return `${day} ${time}`;
}

function zoneName(date, zone) {
  const parts = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "long" }).formatToParts(date);
  const part = parts.find((p) => p.type === "timeZoneName");
  return part ? part.value : zone;
}

// When the team is back: in the team's time zone (its "9 AM" is what the business hours
// say), and in the customer's own as well when that reads differently.
function formatOpening(iso) {
  const date = new Date(iso);
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const team = (state.config && state.config.hours && state.config.hours.timezone) || own;
  const theirs = openingIn(date, team);
  let mine = theirs;
  try { mine = openingIn(date, own); } catch (error) { return theirs; }
  if (mine === theirs) return theirs;
  return t("{when} ({zone}; {own} your time)")
    .replace("{when}", theirs).replace("{zone}", zoneName(date, team)).replace("{own}", mine);
}

// The header's promise: "usually within minutes" only while people are working.
function renderSubtitle() {
  const hours = state.config ? state.config.hours : { open: true };
  const when = !hours.open && hours.next_open ? formatOpening(hours.next_open) : "";
  $("subtitle").textContent = hours.open ? t("We usually reply in a few minutes")
    : when ? t("We're away · back {when}").replace("{when}", when) : t("We're away · we'll answer by email");
}

// While the team is away, the customer can always leave an address for the answer, until
// they have given one: in a new chat with the first message, in any other with "Save".
function renderEmailField() {
  const closed = Boolean(state.config) && !state.config.hours.open;
  const conversation = typeof state.current === "number" ? state.conversations.get(state.current) : null;
  const inChat = state.current === "new" || (conversation && conversation.status !== "resolved");
  $("email-field").hidden = !(closed && inChat && !state.email);
  $("email-save").hidden = state.current === "new";
  $("email-saved").hidden = !(closed && inChat && state.email);
  if (state.email) $("email-saved").textContent = t("We'll send our answer to {email}.").replace("{email}", state.email);
}

async function saveEmail() {
  const value = $("email").value.trim();
  if (!value || typeof state.current !== "number") return;
  try {
    const contact = await api(`/conversations/${state.current}/email`, { method: "POST", body: { email: value } });
    state.email = contact.email;
    renderEmailField();
  } catch (error) {
    showError(error.message);
  }
}

function showHome() {
  state.current = null;
  $("home").hidden = false;
  $("chat").hidden = true;
  $("back").hidden = true;
  renderHome();
}

let lastReadSent = {};
function markRead() {
  const id = state.current;
  if (typeof id !== "number" || !state.open || document.hidden) return;
  state.unread = 0;
  toParent({ type: "unread", count: 0 });
  const seq = state.lastSeq[id] || 0;
  if (seq > (lastReadSent[id] || 0) && socket && socket.open) {
    lastReadSent[id] = seq;
    socket.send({ type: "read", conversation_id: id, seq });
  }
}

function flushOutbox() {
  if (!socket || !socket.open || !state.ready) return;
  let startingNew = false;
  for (const item of state.outbox) {
    if (item.failed) continue;
    if (item.conversation_id === null) {
      if (startingNew) continue;       // wait for the first message to create the conversation
      startingNew = true;
    }
    if (state.inFlight.has(item.client_id)) continue;
    state.inFlight.add(item.client_id);
    socket.send({
      type: "message.send", ref: item.client_id, client_id: item.client_id,
      conversation_id: item.conversation_id, body: item.body, button: item.button,
      email: item.conversation_id === null ? item.email : undefined,
      context: item.conversation_id === null ? state.context : undefined,
    });
  }
}

function onAck(frame) {
  state.inFlight.delete(frame.ref);
  const index = state.outbox.findIndex((item) => item.client_id === frame.ref);
  const item = index === -1 ? null : state.outbox.splice(index, 1)[0];
  if (frame.conversation) {
    upsertConversation(frame.conversation);
    if (item && item.conversation_id === null) {
      // The first message created the conversation: the rest now know where to go.
      for (const queued of state.outbox) if (queued.conversation_id === null) queued.conversation_id = frame.conversation.id;
      if (state.current === "new") { state.current = frame.conversation.id; renderQueue(); }
      if (item.email) state.email = item.email;
      renderEmailField();
    }
  }
  saveOutbox();
  if (frame.message) {
    addMessage(frame.message);
    // Known now, even if nothing came through the stream yet: a reconnect asks for all of it.
    advance(frame.message.conversation_id, 0);
  }
  renderMessages();
  flushOutbox();
}

const PERMANENT = new Set(["empty_body", "message_too_long", "idempotency_conflict", "not_found", "bad_frame", "invalid_client_id", "stale_button"]);
// Socket errors a customer can meet, in their language (HTTP errors come translated).
const ERROR_TEXTS = {
  message_too_long: (frame) => t("Your message is too long: {limit} characters at most. Split it into several messages.")
    .replace("{limit}", (frame.details && frame.details.limit) || ""),
  empty_body: () => t("The message is empty. Type something before sending."),
  stale_button: () => t("That button is not available any more. Type your question instead."),
  not_found: () => t("This conversation is no longer available. Start a new one."),
  internal_error: () => t("Something went wrong on our side. Your message will be sent again in a moment."),
};
const errorText = (frame) => (ERROR_TEXTS[frame.code] ? ERROR_TEXTS[frame.code](frame) : t(frame.message));

function onError(frame) {
  const item = state.outbox.find((entry) => entry.client_id === frame.ref);
  if (item) {
    state.inFlight.delete(item.client_id);
    if (PERMANENT.has(frame.code)) { item.failed = errorText(frame); saveOutbox(); renderMessages(); }
  }
  if (frame.code === "rate_limited") {
    // Too fast for the server's limits: the message stays in the outbox and goes out then.
    const seconds = (frame.details && frame.details.retry_after) || 10;
    showError(t("You're sending messages too fast. We'll send yours in {seconds} seconds.").replace("{seconds}", seconds));
    clearTimeout(onError.retry);
    onError.retry = setTimeout(flushOutbox, seconds * 1000);
    return;
  }
  if (frame.code === "internal_error" && item) {
    // Stored or not, the same client_id makes a second try safe.
    clearTimeout(onError.retry);
    onError.retry = setTimeout(flushOutbox, 3000);
  }
  showError(errorText(frame));
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

function renderQueue() {
  const box = $("queue");
  const conversation = state.conversations.get(state.current);
  // Outside business hours the offline notice says when to expect an answer instead.
  const waiting = conversation && conversation.queue_position && state.config && state.config.hours.open;
  box.hidden = !waiting;
  if (waiting) {
    box.textContent = t("You are number {position} in line · about {minutes} min")
      .replace("{position}", conversation.queue_position)
      .replace("{minutes}", conversation.estimated_wait_minutes || 1);
  }
}

let typingTimer = null;
function onFrame(frame) {
  switch (frame.type) {
    case "ready":
      state.ready = true;
      $("net").hidden = true;
      flushOutbox();
      break;
    case "ack": onAck(frame); break;
    case "error": onError(frame); break;
    case "message.created":
      // The socket sends each conversation's messages in order, catching up gaps itself.
      addMessage(frame.data.message);
      advance(frame.data.message.conversation_id, frame.data.message.seq);
      break;
    case "conversation.created":
    case "conversation.updated": {
      const incoming = frame.data.conversation;
      const known = state.conversations.get(incoming.id);
      // Someone took it, or it ended: the customer no longer waits in line.
      if (known && (incoming.status !== "open" || incoming.assigned)) { incoming.queue_position = null; }
      // Reopened: when it ends again, the customer is offered the choice again.
      if (incoming.status !== "resolved") state.writingAgain.delete(incoming.id);
      upsertConversation(incoming);
      if (state.current === incoming.id) { renderMessages(); renderQueue(); }
      break;
    }
    case "queue.updated": {
      const conversation = state.conversations.get(frame.data.conversation_id);
      if (conversation) {
        conversation.queue_position = frame.data.position;
        conversation.estimated_wait_minutes = frame.data.eta_minutes;
        if (state.current === conversation.id) renderQueue();
      }
      break;
    }
    case "conversation.read": {
      const conversation = state.conversations.get(frame.data.conversation_id);
      if (conversation && frame.data.reader === "agent") {
        conversation.agent_last_seen_seq = Math.max(conversation.agent_last_seen_seq, frame.data.seq);
        if (state.current === conversation.id) renderMessages();
      }
      break;
    }
    case "typing":
      if (frame.data.sender_type === "agent" && frame.data.conversation_id === state.current) {
        $("typing").textContent = `${frame.data.name || t("Support")} ${t("is typing…")}`;
        $("typing").hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { $("typing").hidden = true; }, 4000);
      }
      break;
  }
}

function connect() {
  socket = new ReconnectingSocket(() => wsUrl("/ws/widget"), {
    onOpen: (ws) => {
      state.ready = false;
      state.inFlight.clear();
      const conversations = {};
      const ids = Object.keys(state.position).map(Number).sort((a, b) => b - a);
      for (const id of ids.slice(0, MAX_HELLO_CONVERSATIONS)) conversations[id] = state.position[id];
      ws.send(JSON.stringify({ type: "hello", token: state.token, conversations }));
    },
    onFrame,
    onState: (s) => { if (s === "closed") { state.ready = false; $("net").hidden = false; } },
    onClose: (event) => {
      if (event.code === 4401) {
        // The token was revoked or the workspace reset: start over as a new visitor.
        state.token = null;
        localStorage.removeItem(`${storage}:token`);
        startSession().then(() => socket.reconnectNow()).catch(() => {});
        return false;
      }
      return true;
    },
  });
}

function queue(item) {
  const starting = state.current === "new";
  const email = !$("email-field").hidden ? $("email").value.trim() : "";
  // In a chat that exists, an address typed but not saved goes with this message.
  if (email && !starting) saveEmail();
  state.outbox.push({ client_id: randomId(), conversation_id: starting ? null : state.current, email: (starting && email) || undefined, ...item });
  saveOutbox();
  renderMessages();
  flushOutbox();
}

function send(text) {
  if (!text.trim()) return;
  queue({ body: text });
}

function press(button) {
  queue({ body: button.label, button: button.id });
}

let lastTyping = 0;
function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send($("input").value);
    $("input").value = "";
  });
  $("input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("input").addEventListener("input", () => {
    const now = Date.now();
    if (typeof state.current === "number" && now - lastTyping > 2500 && socket) {
      lastTyping = now;
      socket.send({ type: "typing", conversation_id: state.current });
    }
  });
  $("new-conversation").addEventListener("click", () => openConversation("new"));
  $("start-new").addEventListener("click", () => openConversation("new"));
  $("email-save").addEventListener("click", saveEmail);
  $("email").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && typeof state.current === "number") { event.preventDefault(); saveEmail(); }
  });
  $("rating").addEventListener("submit", (event) => { event.preventDefault(); sendRating(); });
  $("write-again").addEventListener("click", () => {
    state.writingAgain.add(state.current);
    renderMessages();
    $("input").focus();
  });
  $("back").addEventListener("click", showHome);
  $("close").addEventListener("click", () => toParent({ type: "close" }));
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("message", (event) => {
    if (event.source !== parent) return;
    const data = event.data || {};
    if (data.sangdam === "context") {
      const first = state.context === null;
      state.context = data.context;
      if (data.open !== undefined) state.open = data.open;
      if (!first && socket) socket.send({ type: "page", context: data.context });
    }
    if (data.sangdam === "visibility") { state.open = data.open; markRead(); }
    if (data.sangdam === "context" && data.identity !== undefined) state.identity = data.identity;
    if (data.sangdam === "boot") {
      state.identity = data.identity;
      // A sign-in after the chat loaded: another contact means another history; start over.
      if (state.session) identify().then((switched) => { if (switched) location.reload(); }).catch(() => {});
    }
    if (data.sangdam === "track") track(data);
    if (data.sangdam === "shutdown") {
      localStorage.removeItem(`${storage}:token`);
      localStorage.removeItem(`${storage}:outbox`);
      location.reload();
    }
  });
}

async function main() {
  wire();
  toParent({ type: "ready" });
  // Give the host page a moment to say where the visitor is.
  await new Promise((resolve) => setTimeout(resolve, 150));
  if (state.context === null) state.context = { url: null, referrer: document.referrer || null, locale: navigator.language };
  let session = await startSession();
  // A member signed by the company's backend gets their own contact, on any browser.
  if (await identify().catch(() => false)) session = await startSession();
  state.session = true;
  state.tracked.splice(0).forEach(track);
  state.config = session.config;
  state.email = (session.contact && session.contact.email) || null;
  // Every promise of a quick answer knows about business hours.
  const closed = !session.config.hours.open;
  const when = closed && session.config.hours.next_open ? formatOpening(session.config.hours.next_open) : "";
  if (closed) {
    $("offline").textContent = when
      ? t("We're away right now. Leave a message and your email, and we'll reply from {when}.").replace("{when}", when)
      : t("We're away right now. Leave a message and your email, and we'll reply as soon as we're back.");
    $("offline").hidden = false;
  }
  renderEmailField();
  if (session.config.help_url) {
    $("help-link").href = `${session.config.help_url}/${locale}`;
    $("help-link").hidden = false;
    wireHelpSearch();
    showArticles("");
  }
  // The visitor may have opened a new chat before the session loaded: show the bot's buttons now.
  if (state.current === "new") renderMessages();
  $("title").textContent = session.config.workspace_name;
  renderSubtitle();
  const greeting = closed ? session.config.away_greeting : session.config.greeting;
  $("greeting").textContent = greeting[locale] || greeting.en;
  // Closed: the notice above says it all; the greeting opens a new chat instead.
  $("greeting").hidden = closed;
  for (const conversation of session.conversations) upsertConversation(conversation);
  renderHome();
  const pendingNew = state.outbox.some((item) => item.conversation_id === null);
  const pendingExisting = state.outbox.find((item) => item.conversation_id !== null);
  if (pendingNew) openConversation("new");
  else if (pendingExisting) openConversation(pendingExisting.conversation_id);
  else if (session.conversations.length > 0 && session.conversations[0].status === "open") openConversation(session.conversations[0].id);
  connect();
}

main().catch((error) => showError(error.message));
