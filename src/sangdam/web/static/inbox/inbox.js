// The agent inbox: conversation list, thread, customer panel, all live.
import { ReconnectingSocket, el, formatTime, randomId, renderText, wsUrl } from "/static/shared.js";
import { STATUS_LABELS, loadExternalCard, loadGithub, renderActivity, renderProfile } from "/static/inbox/customer_panel.js";
import { createDesk } from "/static/inbox/desk.js";
import { $, api, boot, t } from "/static/inbox/page.js";

const locale = boot.user.locale;

const state = {
  tab: "open",
  conversations: new Map(),   // id -> agent view (newest version wins)
  messages: new Map(),        // conversation id -> Map(seq -> message)
  current: null,
  contact: null,
  agents: new Map(),
  epoch: null,
  lastEventId: null,
  pending: [],                // replies not yet acknowledged, retried with their client_id
};

// Canned responses and tags (desk.js): it reads and changes state only through these.
const desk = createDesk({
  api,
  t,
  current: () => state.current,
  contactLocale: () => (state.contact ? state.contact.contact.locale : null),
  upsert: (conversation) => upsertConversation(conversation),
  send: (body) => submitReply(body),
  showError: (message) => showComposerError(message),
  reloadList: () => loadList(),
});

// ---- conversation list -------------------------------------------------------

function inTab(conversation) {
  switch (state.tab) {
    case "mine": return conversation.status === "open" && conversation.assignee_id === boot.agent.id;
    case "unassigned": return conversation.status === "open" && conversation.assignee_id === null;
    case "resolved": return conversation.status === "resolved";
    case "bot": return conversation.status === "bot";
    default: return conversation.status === "open";
  }
}

function upsertConversation(conversation) {
  const known = state.conversations.get(conversation.id);
  if (known && known.version > conversation.version) return;
  const merged = { ...known, ...conversation };
  if (conversation.my_last_seen_seq === undefined || conversation.my_last_seen_seq === null) {
    merged.my_last_seen_seq = known ? known.my_last_seen_seq : 0;
  }
  state.conversations.set(conversation.id, merged);
  renderList();
  if (state.current === conversation.id) renderHeader();
}

function renderList() {
  const list = $("conversation-list");
  const items = [...state.conversations.values()].filter(inTab).filter(desk.matchesFilter)
    .sort((a, b) => b.last_activity_at.localeCompare(a.last_activity_at) || b.id - a.id);
  list.replaceChildren();
  for (const conversation of items) {
    const unread = conversation.last_seq > (conversation.my_last_seen_seq || 0) && conversation.last_message_sender === "contact";
    const item = el("li", { class: `conversation${conversation.id === state.current ? " active" : ""}${unread ? " unread" : ""}`, "data-id": conversation.id },
      el("div", { class: "row" },
        el("strong", { class: "name", text: conversation.contact_name || `${t("Visitor")} #${conversation.contact_id}` }),
        el("small", { class: "muted", text: formatTime(conversation.last_activity_at, locale) })),
      el("div", { class: "preview", text: conversation.last_message_preview }),
      conversation.category ? el("small", { class: "category", text: conversation.category }) : null,
      desk.listChips(conversation),
      conversation.waiting_since ? el("small", { class: "waiting", text: t("Waiting for a reply") }) : null);
    item.addEventListener("click", () => openConversation(conversation.id));
    list.append(item);
  }
  $("list-empty").hidden = items.length > 0;
  const unreadTotal = [...state.conversations.values()].filter((c) => c.status === "open" && c.last_seq > (c.my_last_seen_seq || 0) && c.last_message_sender === "contact").length;
  document.title = `${unreadTotal ? `(${unreadTotal}) ` : ""}${t("Inbox")} · ${boot.workspaceName}`;
  refreshCounts();
}

let countsTimer = null;
function refreshCounts() {
  // Coalesced: a burst of events costs one request, not one per event.
  clearTimeout(countsTimer);
  countsTimer = setTimeout(async () => {
    const counts = await api("conversations/counts").catch(() => null);
    if (!counts) return;
    for (const [name, value] of Object.entries(counts)) {
      const node = document.querySelector(`[data-count="${name}"]`);
      if (node) node.textContent = value ? String(value) : "";
    }
  }, 300);
}

async function loadList() {
  const status = state.tab === "resolved" || state.tab === "bot" ? state.tab : "open";
  const assignee = state.tab === "mine" ? "me" : state.tab === "unassigned" ? "unassigned" : "any";
  const page = await api(`conversations?status=${status}&assignee=${assignee}&limit=100${desk.listParams()}`);
  for (const conversation of page.conversations) upsertConversation(conversation);
  renderList();
}

// ---- thread -------------------------------------------------------------------

function messagesOf(id) {
  let byseq = state.messages.get(id);
  if (!byseq) { byseq = new Map(); state.messages.set(id, byseq); }
  return byseq;
}

function addMessage(message) {
  const byseq = messagesOf(message.conversation_id);
  const highest = byseq.size ? Math.max(...byseq.keys()) : null;
  byseq.set(message.seq, message);
  if (message.conversation_id !== state.current) return;
  if (highest !== null && message.seq > highest + 1) catchUp(message.conversation_id, highest);
  renderMessages();
  markRead();
}

async function catchUp(id, afterSeq) {
  // A gap in seqs means something was missed: fetch it, never guess by time.
  const page = await api(`conversations/${id}/messages?after_seq=${afterSeq}&limit=500`);
  for (const message of page.messages) messagesOf(id).set(message.seq, message);
  if (id === state.current) renderMessages();
}

// Lines the system adds to a conversation; the customer sees their own wording in the widget.
const ACTIVITY_TEXTS = {
  resolved: () => t("Resolved · the customer was told the chat ended"),
  rated: (content) => t("Customer rating: {rating}").replace("{rating}", ratingText(content))
    + (content.comment ? ` · “${content.comment}”` : ""),
  moved: () => t("Passed to another colleague · the customer was told"),
  survey: (content) => t("Survey sent: {name}").replace("{name}", content.name || ""),
};

// A rating as the agent reads it: stars out of 5, or a thumb on the good/bad scale.
function ratingText(content) {
  if (content.scale === "good_bad") return content.score >= 4 ? `👍 ${t("Good")}` : `👎 ${t("Bad")}`;
  return `${"★".repeat(content.score)}${"☆".repeat(5 - content.score)} ${content.score}/5`;
}

const MESSENGERS = { telegram: "Telegram", line: "LINE" };

function renderHeader() {
  const conversation = state.conversations.get(state.current);
  if (!conversation) return;
  $("thread-title").textContent = conversation.contact_name || `${t("Visitor")} #${conversation.contact_id}`;
  $("thread-status").textContent = t(STATUS_LABELS[conversation.status] || "Open");
  $("thread-category").hidden = !conversation.category;
  $("thread-category").textContent = conversation.category || "";
  $("thread-status").dataset.status = conversation.status;
  // Offline and email conversations: replies also go out by email (email/service.py).
  const origin = conversation.origin || {};
  const byEmail = origin.channel === "email" || (origin.offline && origin.email);
  // Messenger conversations (channels/): replies go out through that app.
  const messenger = MESSENGERS[origin.channel];
  $("thread-channel").hidden = !byEmail && !messenger;
  $("thread-channel").textContent = byEmail ? `${t(origin.offline ? "Offline message" : "Email")} · ${t("replies also go to")} ${origin.email}`
    : messenger ? `${messenger} · ${t("replies go out through the app")}` : "";
  $("toggle-status").textContent = conversation.status === "resolved" ? t("Reopen") : t("Resolve");
  const assignee = conversation.assignee_id === null ? null : state.agents.get(conversation.assignee_id);
  $("assign-me").hidden = conversation.assignee_id === boot.agent.id;
  $("assign-me").title = assignee ? `${t("Assigned to")} ${assignee.name}` : t("Unassigned");
  $("thread-assignee").textContent = assignee ? `${t("Assigned to")}: ${assignee.name}` : t("Unassigned");
  desk.renderThreadTags(conversation);
}

function renderMessages() {
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const messages = [...messagesOf(state.current).values()].sort((a, b) => a.seq - b.seq);
  const conversation = state.conversations.get(state.current);
  list.replaceChildren();
  for (const message of messages) {
    if ((message.content || {}).collapsed) {
      // An automatic reply (out of office…): kept, folded, never the conversation's news.
      list.append(el("li", { class: "message system collapsed", "data-seq": message.seq },
        el("details", {}, el("summary", { text: `${t("Automatic reply")} · ${formatTime(message.created_at, locale)}` }),
          el("div", { class: "system-text", text: message.body }))));
      continue;
    }
    if (message.sender_type === "system") {
      const text = ACTIVITY_TEXTS[(message.content || {}).activity];
      list.append(el("li", { class: `message system ${(message.content || {}).activity || ""}`, "data-seq": message.seq },
        el("span", { class: "system-text", text: `${text ? text(message.content) : message.body} · ${formatTime(message.created_at, locale)}` })));
      continue;
    }
    const body = el("div", { class: "bubble" });
    if (message.sender_type === "bot" && message.content && message.content.html) {
      body.innerHTML = message.content.html;  // Markdown rendered on the server, raw HTML escaped
    } else {
      renderText(body, message.body);
    }
    if (message.content && message.content.buttons) {
      body.append(el("div", { class: "bot-buttons", text: message.content.buttons.map((b) => `[${b.label}]`).join(" ") }));
    }
    const side = message.sender_type === "contact" ? "theirs" : "mine";
    const seen = side === "mine" && conversation && message.seq <= conversation.contact_last_seen_seq;
    list.append(el("li", { class: `message ${side} ${message.kind} ${message.sender_type}`, "data-seq": message.seq },
      el("small", { class: "sender", text: message.kind === "note" ? `${t("Internal note")} · ${message.sender_name}` : (message.sender_name || (side === "theirs" ? t("Visitor") : "")) }),
      body,
      el("small", { class: "meta muted", text: formatTime(message.created_at, locale) + (message.content && message.content.channel === "email" ? ` · ${t("Email")}` : "") + (seen ? ` · ${t("Seen")}` : "") })));
  }
  for (const item of state.pending.filter((p) => p.conversationId === state.current)) {
    const body = el("div", { class: "bubble" });
    renderText(body, item.body);
    list.append(el("li", { class: `message mine pending ${item.private ? "note" : "text"}` }, body,
      el("small", { class: "meta muted", text: item.error || t("Sending…") })));
  }
  if (atBottom || messages.length < 60) list.scrollTop = list.scrollHeight;
  // The header shows how the customer rated the conversation's latest ending.
  const rated = [...messages].reverse().find((m) => (m.content || {}).activity === "rated");
  $("thread-rating").hidden = !rated;
  $("thread-rating").textContent = rated ? ratingText(rated.content) : "";
  $("thread-rating").title = rated ? t("Customer rating: {rating}").replace("{rating}", ratingText(rated.content)) : "";
}

async function openConversation(id) {
  state.current = id;
  closeTransfer();
  $("learn-offer")?.remove();
  history.replaceState(null, "", `/inbox/${boot.workspaceId}?c=${id}`);
  $("thread-placeholder").hidden = true;
  $("thread").hidden = false;
  renderList();
  if (!state.conversations.has(id)) upsertConversation(await api(`conversations/${id}`));
  renderHeader();
  const page = await api(`conversations/${id}/messages?limit=100`);
  state.messages.set(id, new Map(page.messages.map((m) => [m.seq, m])));
  renderMessages();
  markRead();
  loadCustomer(state.conversations.get(id).contact_id);
  loadBotPath(id);
  loadAssignments(id);
  loadGithub($("github-issues"), api, id, t);
  $("composer-input").focus();
}

function markRead() {
  const conversation = state.conversations.get(state.current);
  if (!conversation || document.hidden) return;
  const seq = conversation.last_seq;
  if (seq <= (conversation.my_last_seen_seq || 0)) return;
  conversation.my_last_seen_seq = seq;
  renderList();
  if (!socket.send({ type: "read", conversation_id: conversation.id, seq })) {
    api(`conversations/${conversation.id}/read`, { method: "POST", body: { seq } }).catch(() => {});
  }
}

// ---- customer panel -----------------------------------------------------------

async function loadCustomer(contactId) {
  const detail = await api(`contacts/${contactId}`);
  state.contact = detail;
  renderCustomer();
  loadExternalCard($("external-card"), api, contactId, t);
}

function renderCustomer() {
  const detail = state.contact;
  if (!detail) return;
  const c = detail.contact;
  $("customer-pane").hidden = false;
  desk.showContact(c.id);
  const facts = $("customer-facts");
  facts.replaceChildren();
  renderProfile($("customer-profile"), c, t, locale, `/inbox/${boot.workspaceId}/customers/${c.id}`);
  renderActivity($("customer-activity"), detail, t, locale);
  const rows = [
    [t("Language"), c.locale],
    [t("Time zone"), c.timezone],
    [t("Device"), c.device],
    [t("OS"), c.os],
    [t("Browser"), c.browser],
    [t("Current page"), c.current_url, c.current_title],
    [t("Referrer"), c.referrer],
    [t("First seen"), formatTime(c.first_seen_at, locale)],
    [t("Last seen"), formatTime(c.last_seen_at, locale)],
  ];
  for (const [label, value, title] of rows) {
    if (!value) continue;
    const dd = el("dd", {});
    if (/^https?:\/\//.test(value)) {
      dd.append(el("a", { href: value, target: "_blank", rel: "noopener noreferrer", text: title || value, title: value }));
    } else dd.textContent = value;
    facts.append(el("dt", { text: label }), dd);
  }
  // The customer's other conversations: the open one is on the screen already.
  const others = detail.conversations.filter((conversation) => conversation.id !== state.current);
  const past = $("past-conversations");
  past.replaceChildren();
  for (const conversation of others) {
    const link = el("button", { class: "link", type: "button", text: `#${conversation.id} · ${conversation.last_message_preview || "…"}` });
    link.addEventListener("click", () => openConversation(conversation.id));
    past.append(el("li", {}, link,
      el("small", { class: "muted", text: ` ${t(STATUS_LABELS[conversation.status] || "Open")} · ${formatTime(conversation.last_activity_at, locale)}` })));
  }
  $("past-empty").hidden = others.length > 0;
}

// ---- bot path and knowledge -------------------------------------------------------

const STEP_LABELS = {
  button: "Pressed", question: "Asked", answered: "Bot answered", suggested: "Bot suggested",
  no_answer: "Bot had no answer", helpful: "Marked helpful", not_helpful: "Marked not helpful",
  handed_off: "Handed off", small_talk: "Greeted back",
};

const REASON_LABELS = { requested: "Customer asked for a person", out_of_scope: "Out of the bot's scope", missing_faq: "The FAQ entry was removed", off_hours: "Off hours: taken for the team" };

async function loadBotPath(id) {
  const path = await api(`conversations/${id}/bot-path`).catch(() => null);
  if (state.current !== id) return;
  const section = $("bot-path");
  section.hidden = !path || path.steps.length === 0;
  if (section.hidden) return;
  const list = $("bot-steps");
  list.replaceChildren();
  if (path.category) list.append(el("li", { class: "category-line" }, el("strong", { text: `${t("Category")}: ` }), path.category));
  for (const step of path.steps) {
    const reason = step.data.reason ? t(REASON_LABELS[step.data.reason] || step.data.reason) : "";
    const detail = step.data.label || step.data.text || step.data.question || reason || (step.data.faqs || []).join(", ") || "";
    list.append(el("li", { "data-kind": step.kind }, el("strong", { text: t(STEP_LABELS[step.kind] || step.kind) }), detail ? ` · ${detail}` : ""));
  }
}

async function loadAssignments(id) {
  const events = await api(`conversations/${id}/assignments`).catch(() => []);
  if (state.current !== id) return;
  $("assignments").hidden = events.length === 0;
  const list = $("assignment-list");
  list.replaceChildren();
  for (const event of events) {
    const who = event.agent_id === null ? "" : (state.agents.get(event.agent_id) || {}).name || `#${event.agent_id}`;
    const loads = event.candidates.map((c) => `${c.name} ${c.load}/${c.cap}`).join(", ");
    list.append(el("li", { title: loads },
      el("strong", { text: t(ASSIGNMENT_LABELS[event.kind] || event.kind) }), who ? ` · ${who}` : "",
      el("div", { class: "muted", text: reasonText(event) })));
  }
}

// The why of an assignment in the agent's language; events from before keys existed keep
// their English text. Each template is a literal t() call so the catalog test sees it.
const REASON_TEXTS = {
  least_loaded: () => t("least-loaded online member of {team} ({load}/{cap})"),
  assigned_by: () => t("assigned by {name}"),
  assigned_by_hand: () => t("assigned by hand"),
  claimed_by: () => t("claimed by {name}"),
  went_away: () => t("{name} went away"),
  went_offline: () => t("{name} went offline"),
  no_answer: () => t("no answer within {minutes} min"),
  disconnected: () => t("{name} disconnected"),
  deactivated: () => t("{name} was deactivated"),
  transferred: () => t("transferred to {team} by {name}"),
  transferred_to: () => t("transferred to {agent} by {name}"),
  rule: () => t("automation rule “{rule}”"),
};

function reasonText(event) {
  const detail = event.detail || {};
  const template = REASON_TEXTS[detail.key];
  if (!template) return event.reason;
  const params = detail.params || {};
  return template().replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

const ASSIGNMENT_LABELS = { assigned: "Assigned automatically", claimed: "Claimed", manual: "Assigned by hand", requeued: "Back to the queue" };

let searchTimer = null;
async function searchKnowledge() {
  const query = $("knowledge-query").value.trim();
  const results = $("knowledge-results");
  if (!query) { results.replaceChildren(); return; }
  const found = await api(`knowledge/search?q=${encodeURIComponent(query)}`).catch(() => ({ hits: [] }));
  results.replaceChildren();
  for (const hit of found.hits) {
    const item = el("li", { class: "hit" },
      el("strong", { text: hit.title }),
      el("small", { class: "muted", text: ` ${hit.kind === "faq" ? "FAQ" : t("Article")}${hit.category ? ` · ${hit.category}` : ""}` }),
      el("div", { class: "hit-text", text: hit.text.slice(0, 200) }));
    item.addEventListener("click", () => {
      // Remembered so that, once sent, the customer's question can join this FAQ entry.
      if (hit.kind === "faq") state.usedFaq = { conversationId: state.current, id: hit.id, title: hit.title };
      // One step: the answer goes into the reply box, ready to send.
      const input = $("composer-input");
      input.value = input.value ? `${input.value}\n${hit.text}` : hit.text;
      $("knowledge").hidden = true;
      input.focus();
    });
    results.append(item);
  }
  if (found.hits.length === 0) results.append(el("li", { class: "muted", text: t("Nothing found.") }));
}

// ---- transfer: to a colleague, or to a team's queue, with a note -------------------

const PRESENCE_LABELS = { online: "Online", away: "Away", offline: "Offline" };

async function openTransfer() {
  const conversation = state.conversations.get(state.current);
  if (!conversation) return;
  const [floor, teams] = await Promise.all([api("agents/status").catch(() => []), api("teams").catch(() => [])]);
  // Colleagues who can take it, present ones first; "Assign to me" is its own button.
  const colleagues = floor.filter((a) => a.active !== false && a.id !== boot.agent.id && a.id !== conversation.assignee_id)
    .sort((a, b) => Number(b.present) - Number(a.present) || a.name.localeCompare(b.name));
  $("transfer-agents").replaceChildren(...colleagues.map((a) => el("option", {
    value: `agent:${a.id}`,
    text: `${a.name} · ${t(PRESENCE_LABELS[a.present ? "online" : a.availability === "away" ? "away" : "offline"])} · ${a.load}/${a.max_concurrent}`,
  })));
  $("transfer-teams").replaceChildren(...teams.map((team) => el("option", {
    value: `team:${team.id}`,
    text: `${team.name} · ${t("{n} waiting").replace("{n}", team.queue_size)}${team.open_now ? "" : ` · ${t("closed now")}`}`,
  })));
  $("transfer-agents").hidden = colleagues.length === 0;
  $("transfer-submit").disabled = colleagues.length + teams.length === 0;
  $("transfer-note").value = "";
  $("transfer-error").hidden = true;
  $("transfer-panel").hidden = false;
  $("transfer").setAttribute("aria-expanded", "true");
  $("transfer-target").focus();
}

function closeTransfer() {
  $("transfer-panel").hidden = true;
  $("transfer").setAttribute("aria-expanded", "false");
}

async function submitTransfer(event) {
  event.preventDefault();
  const [kind, id] = $("transfer-target").value.split(":");
  if (!id) return;
  const note = $("transfer-note").value.trim();
  $("transfer-submit").disabled = true;
  try {
    upsertConversation(await api(`conversations/${state.current}/transfer`, {
      method: "POST",
      body: { [kind === "agent" ? "agent_id" : "team_id"]: Number(id), note: note || null },
    }));
    closeTransfer();
    loadAssignments(state.current);
  } catch (error) {
    $("transfer-error").textContent = error.message;
    $("transfer-error").hidden = false;
  } finally {
    $("transfer-submit").disabled = false;
  }
}

// ---- sending --------------------------------------------------------------------

async function deliver(item) {
  try {
    const message = await api(`conversations/${item.conversationId}/messages`, {
      method: "POST",
      body: { body: item.body, client_id: item.clientId, private: item.private },
    });
    state.pending = state.pending.filter((p) => p !== item);
    messagesOf(message.conversation_id).set(message.seq, message);
    if (!item.private) offerLearning(item).catch(() => {});
  } catch (error) {
    if (error.status && error.status < 500 && error.status !== 409) {
      item.error = error.message;
    } else {
      // Network trouble: retry with the same client_id, so it lands once.
      setTimeout(() => deliver(item), 2000);
      item.error = t("Not sent yet — retrying…");
    }
  }
  if (item.conversationId === state.current) renderMessages();
}

function submitReply(text) {
  const input = $("composer-input");
  const body = text === undefined ? input.value : text;
  if (!body.trim() || state.current === null) return;
  if (body.length > boot.maxMessageChars) {
    showComposerError(`${t("The message is too long")} (${body.length}/${boot.maxMessageChars})`);
    return;
  }
  const mode = document.querySelector("input[name=mode]:checked").value;
  const item = { conversationId: state.current, body, private: mode === "note", clientId: randomId() };
  state.pending.push(item);
  input.value = "";
  renderMessages();
  deliver(item);
}

// ---- the bot learns from the team ---------------------------------------------------
// After an agent answers a question the bot could not, one click adds that question to the
// FAQ entry the agent answered from, or makes a new entry of the agent's answer.

async function offerLearning(item) {
  const offer = await api(`conversations/${item.conversationId}/bot-learn`);
  $("learn-offer")?.remove();
  if (!offer.question || !offer.can_edit_faq || state.current !== item.conversationId) return;
  const used = state.usedFaq && state.usedFaq.conversationId === item.conversationId ? state.usedFaq : null;
  const bar = el("div", { id: "learn-offer", class: "learn-offer", role: "status" },
    el("span", { text: t("Teach the bot “{question}”:").replace("{question}", offer.question) }));
  const teach = async (body, done) => {
    try {
      const entry = await api("bot/learn", { method: "POST", body: { conversation_id: item.conversationId, ...body } });
      bar.replaceChildren(el("span", { text: done.replace("{faq}", entry.question) }));
      if (used) state.usedFaq = null;
    } catch (error) { bar.append(el("span", { class: "error", text: error.message })); }
  };
  if (used) {
    const add = el("button", { type: "button", class: "secondary", text: t("Add to the FAQ “{faq}”").replace("{faq}", used.title) });
    add.addEventListener("click", () => teach({ faq_id: used.id }, t("Added to “{faq}”: the bot answers this question now.")));
    bar.append(add);
  }
  const create = el("button", { type: "button", class: "secondary", text: t("New FAQ from this answer") });
  create.addEventListener("click", () => teach({ answer: item.body }, t("New FAQ entry “{faq}”: the bot answers this question now.")));
  bar.append(create);
  $("composer").before(bar);
}

function showComposerError(message) {
  const box = $("composer-error");
  box.textContent = message;
  box.hidden = false;
  setTimeout(() => { box.hidden = true; }, 6000);
}

// ---- notifications ----------------------------------------------------------------

function chime() {
  // A short two-tone beep, generated: no audio file to ship.
  try {
    const audio = new AudioContext();
    [660, 880].forEach((frequency, index) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.value = 0.08;
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + index * 0.15);
      tone.stop(audio.currentTime + index * 0.15 + 0.12);
    });
  } catch { /* audio may be blocked until the agent interacts with the page */ }
}

function notify(title, body, conversationId) {
  chime();
  if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
  const notification = new Notification(title, { body, tag: `sangdam-${conversationId}` });
  notification.onclick = () => { window.focus(); openConversation(conversationId); notification.close(); };
}

// ---- realtime -------------------------------------------------------------------

let typingTimer = null;
function onFrame(frame) {
  if (frame.epoch && frame.event_id) {
    if (state.epoch && frame.epoch !== state.epoch) { resync(); }
    state.epoch = frame.epoch;
    state.lastEventId = frame.event_id;
  }
  switch (frame.type) {
    case "ready":
      state.epoch = frame.epoch;
      state.lastEventId = frame.last_event_id;
      setConn("open");
      if (!frame.resumed) resync();
      break;
    case "resync_required": state.epoch = null; state.lastEventId = null; break;
    case "resume_required": socket.reconnectNow(); break;
    case "message.created": addMessage(frame.data.message); break;
    case "conversation.created":
    case "conversation.updated": {
      const before = state.conversations.get(frame.data.conversation.id);
      const after = frame.data.conversation;
      // A customer now waits for a person (new, or handed over by the bot).
      if (after.status === "open" && after.assignee_id === null && (!before || before.status !== "open")) {
        notify(t("New inquiry"), after.last_message_preview, after.id);
      }
      upsertConversation(frame.data.conversation);
      if (frame.data.conversation.id === state.current) { loadBotPath(state.current); loadAssignments(state.current); }
      break;
    }
    case "mention":
      if (frame.data.agent_id === boot.agent.id) notify(frame.data.reminder ? `${t("Reminder")} · ${frame.data.by}` : frame.data.transfer ? `${frame.data.by} ${t("transferred a conversation to you")}` : `${frame.data.by} ${t("mentioned you")}`, frame.data.preview, frame.data.conversation_id);
      break;
    case "conversation.read": {
      const conversation = state.conversations.get(frame.data.conversation_id);
      if (!conversation) break;
      if (frame.data.reader === "contact") conversation.contact_last_seen_seq = frame.data.seq;
      if (frame.data.reader === "agent" && frame.data.reader_id === boot.agent.id) conversation.my_last_seen_seq = Math.max(conversation.my_last_seen_seq || 0, frame.data.seq);
      renderList();
      if (conversation.id === state.current) renderMessages();
      break;
    }
    case "contact.updated":
      if (state.contact && state.contact.contact.id === frame.data.contact.id) {
        state.contact.contact = frame.data.contact;
        renderCustomer();
      }
      desk.contactUpdated(frame.data);
      break;
    case "typing":
      if (frame.data.conversation_id === state.current) {
        const who = frame.data.sender_type === "contact" ? t("Customer") : frame.data.name;
        $("typing").textContent = `${who} ${t("is typing…")}`;
        $("typing").hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { $("typing").hidden = true; }, 4000);
      }
      break;
    case "error": showComposerError(t(frame.message)); break;
  }
}

async function resync() {
  // A fresh snapshot: the list, and the open thread caught up past what we hold.
  await loadList();
  if (state.current !== null) {
    const byseq = messagesOf(state.current);
    const highest = byseq.size ? Math.max(...byseq.keys()) : 0;
    await catchUp(state.current, highest);
    upsertConversation(await api(`conversations/${state.current}`));
  }
}

function setConn(value) {
  const node = $("conn-state");
  node.dataset.state = value;
  node.textContent = value === "open" ? t("Live") : t("Reconnecting…");
}

const socket = new ReconnectingSocket(() => {
  const params = new URLSearchParams({ workspace_id: boot.workspaceId });
  if (state.epoch && state.lastEventId) { params.set("epoch", state.epoch); params.set("last_event_id", state.lastEventId); }
  return wsUrl(`/ws/agent?${params}`);
}, {
  onFrame,
  onState: (value) => { if (value !== "open") setConn("closed"); },
  onClose: (event) => { if (event.code === 4401) { location.href = "/login"; return false; } return true; },
});

// ---- wiring ---------------------------------------------------------------------

function wire() {
  $("me-name").textContent = boot.agent.name;
  // Browsers ask for notification permission only after a click.
  document.addEventListener("click", () => {
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
  }, { once: true });
  $("settings-link").hidden = boot.agent.role === "agent";
  $("locale-select").value = locale;
  $("locale-select").addEventListener("change", async (event) => {
    await api("/api/v1/me/locale", { method: "PUT", body: { locale: event.target.value } });
    location.reload();
  });
  $("logout").addEventListener("click", async () => {
    await api("/api/v1/logout", { method: "POST" }).catch(() => {});
    location.href = "/login";
  });
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.addEventListener("click", () => {
      state.tab = tab.dataset.tab;
      for (const other of document.querySelectorAll("[data-tab]")) other.setAttribute("aria-selected", String(other === tab));
      loadList();
    });
  }
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); submitReply(); });
  $("composer-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submitReply(); }
  });
  let lastTyping = 0;
  $("composer-input").addEventListener("input", () => {
    const now = Date.now();
    if (state.current !== null && now - lastTyping > 2500) {
      lastTyping = now;
      const mode = document.querySelector("input[name=mode]:checked").value;
      socket.send({ type: "typing", conversation_id: state.current, private: mode === "note" });
    }
  });
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => $("composer").classList.toggle("note-mode", radio.value === "note" && radio.checked));
  }
  $("knowledge-toggle").addEventListener("click", () => {
    $("knowledge").hidden = !$("knowledge").hidden;
    if (!$("knowledge").hidden) $("knowledge-query").focus();
  });
  $("knowledge-query").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(searchKnowledge, 200); });
  $("knowledge-query").addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); searchKnowledge(); } });
  $("toggle-status").addEventListener("click", async () => {
    const conversation = state.conversations.get(state.current);
    const status = conversation.status === "resolved" ? "open" : "resolved";
    upsertConversation(await api(`conversations/${state.current}/status`, { method: "POST", body: { status } }));
  });
  $("assign-me").addEventListener("click", async () => {
    const conversation = state.conversations.get(state.current);
    try {
      // Unassigned: claim it from the queue (first one wins); otherwise take it over.
      upsertConversation(conversation.assignee_id === null
        ? await api(`conversations/${state.current}/claim`, { method: "POST" })
        : await api(`conversations/${state.current}/assignee`, { method: "POST", body: { agent_id: boot.agent.id } }));
    } catch (error) { showComposerError(error.message); }
    loadAssignments(state.current);
  });
  $("transfer").addEventListener("click", () => ($("transfer-panel").hidden ? openTransfer() : closeTransfer()));
  $("transfer-cancel").addEventListener("click", closeTransfer);
  $("transfer-panel").addEventListener("submit", submitTransfer);
  $("availability-select").addEventListener("change", async (event) => {
    const status = await api("me/availability", { method: "PUT", body: { availability: event.target.value } });
    $("availability-select").value = status.availability;
  });
  document.addEventListener("visibilitychange", markRead);
}

async function main() {
  wire();
  const agents = await api("agents");
  for (const agent of agents) state.agents.set(agent.id, agent);
  await desk.start();
  const floor = await api("agents/status").catch(() => []);
  const me = floor.find((a) => a.id === boot.agent.id);
  if (me) $("availability-select").value = me.availability;
  await loadList();
  const requested = Number(new URLSearchParams(location.search).get("c"));
  if (requested) openConversation(requested).catch(() => {});
}

main();
