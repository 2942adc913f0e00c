// Settings › Live monitor: who waits where and for how long, who is in and with what load,
// today's CSAT. The numbers come from GET /monitor; the agents' event stream (/ws/agent)
// says when something changed, and the page asks again (at most every half second).
import { el, ReconnectingSocket, wsUrl } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";

const REFRESH_ON = new Set(["conversation.created", "conversation.updated", "message.created", "agent.updated", "queue.updated"]);
let latest = null;
let fetchedAt = 0;
let pending = null;
let inFlight = false;

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("{n} s").replace("{n}", s);
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return t("{n} min").replace("{n}", minutes);
  const rest = minutes % 60;
  const h = t("{n} h").replace("{n}", Math.floor(minutes / 60));
  return rest ? `${h} ${t("{n} min").replace("{n}", rest)}` : h;
}

// Waits grow between refreshes: add the time since the server measured them.
const since = (seconds) => (seconds === null || seconds === undefined ? null : seconds + (Date.now() - fetchedAt) / 1000);

function tile(key, name, value) {
  return [el("div", { class: "tile" }, el("dt", { text: name }), el("dd", { "data-tile": key }, el("strong", { text: String(value) })))];
}

function render() {
  const m = latest;
  if (!m) return;
  const names = new Map(m.agents.map((a) => [a.agent_id, a.name]));
  const csat = m.csat_today;
  $("monitor-tiles").replaceChildren(
    ...tile("waiting", t("Waiting now"), m.waiting_total),
    ...tile("longest", t("Longest wait"), duration(since(m.longest_wait_s))),
    ...tile("average", t("Average wait"), duration(since(m.average_wait_s))),
    ...tile("bot", t("With the bot"), m.chats.bot),
    ...tile("queue", t("In the queue"), m.chats.queue),
    ...tile("agents", t("With agents"), m.chats.agents),
    ...tile("online", t("Agents online / away"), `${m.agents_online} / ${m.agents_away}`),
    ...tile("csat", t("CSAT today"), csat.ratings ? `${csat.csat}% (${csat.ratings})` : "–"),
    ...tile("bot_resolved", t("Resolved by the bot today"), m.bot_resolved_today),
  );
  $("unanswered-rows").replaceChildren(...m.unanswered.map((c) => el("tr", {},
    el("td", {}, el("a", { href: `/inbox/${boot.workspaceId}?c=${c.conversation_id}`, text: `#${c.conversation_id} · ${c.preview || "…"}` })),
    el("td", { text: c.contact_name || "" }),
    el("td", { text: duration(since(c.waiting_s)) }),
    el("td", { text: c.assignee_id === null ? t("Unassigned") : names.get(c.assignee_id) || "" }))));
  $("unanswered-empty").hidden = m.unanswered.length > 0;
  $("queue-rows").replaceChildren(...m.waiting.map((q) => el("tr", {},
    el("td", { text: q.team || t("No team") }), el("td", { text: String(q.waiting) }),
    el("td", { text: duration(since(q.longest_wait_s)) }), el("td", { text: duration(since(q.average_wait_s)) }))));
  $("queue-empty").hidden = m.waiting.length > 0;
  $("monitor-agents").replaceChildren(...m.agents.map((a) => {
    const status = a.present ? t("Online") : a.availability === "away" ? t("Away") : t("Offline");
    const full = a.cap !== null && a.load >= a.cap;
    return el("tr", {}, el("td", { text: a.name }), el("td", { text: status }),
      el("td", { class: full ? "load-full" : "", text: a.cap === null ? String(a.load) : `${a.load} / ${a.cap}` }));
  }));
}

async function refresh() {
  if (inFlight) { schedule(); return; }
  inFlight = true;
  try {
    latest = await api("monitor");
    fetchedAt = Date.now();
    render();
    document.body.dataset.monitorAt = latest.at;
  } catch (error) {
    notice(error.message, true);
  } finally {
    inFlight = false;
  }
}

function schedule() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 500);
}

function setConn(value) {
  $("monitor-conn").dataset.state = value;
  $("monitor-conn").textContent = value === "open" ? t("Live") : t("Reconnecting…");
}

new ReconnectingSocket(() => wsUrl(`/ws/agent?${new URLSearchParams({ workspace_id: boot.workspaceId })}`), {
  onFrame: (frame) => {
    // Every (re)connection starts from a fresh snapshot: nothing missed while away.
    if (frame.type === "ready") { setConn("open"); refresh(); }
    else if (REFRESH_ON.has(frame.type)) schedule();
  },
  onState: (value) => { if (value !== "open") setConn("closed"); },
  onClose: (event) => { if (event.code === 4401) { location.href = "/login"; return false; } return true; },
});

$("busy-view").addEventListener("change", (event) => document.body.classList.toggle("busy-view", event.target.checked));
setConn("closed");
// The waits keep counting between events.
setInterval(render, 10000);
refresh();
