// Settings › Segments and campaigns: a segment builder (conditions with AND/OR and groups,
// the count of matching customers live while editing) and campaigns sent to a segment.
import { el } from "/static/shared.js";
import { $, api, notice, t } from "/static/inbox/page.js";

const TYPES = {
  attribute: "Attribute", tag: "Tag", event: "Did an event", page_view: "Viewed a page",
  last_seen: "Last seen", language: "Language", visits: "Visits", member: "Identified member",
};
const VALUE_TYPES = { text: "Text (words)", number: "Number", date: "Date", boolean: "Yes/No" };
const OPS = {
  text: { "=": "is", "!=": "is not", contains: "contains", exists: "is set", not_exists: "is not set" },
  number: { "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", exists: "is set", not_exists: "is not set" },
  date: {
    "=": "is", before: "is before", after: "is after", within_days: "is within the last (days)",
    more_than_days_ago: "is more than (days) ago", exists: "is set", not_exists: "is not set",
  },
  boolean: { "=": "is", exists: "is set", not_exists: "is not set" },
};
const COMPARE = { "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥" };

const data = { tags: [], agents: [], segments: [] };

function select(label, options, value) {
  const node = el("select", { ariaLabel: label },
    ...Object.entries(options).map(([key, text]) => el("option", { value: key, text })));
  if (value !== undefined && value !== null) node.value = String(value);
  return node;
}

function translated(options) {
  return Object.fromEntries(Object.entries(options).map(([key, text]) => [key, t(text)]));
}

function input(label, value, attrs = {}) {
  return el("input", { ariaLabel: label, value: value ?? "", ...attrs });
}

function days(value) { return input(t("Days"), value ?? 7, { type: "number", min: 1, max: 3650, class: "narrow" }); }

function didSelect(did) { return select(t("Did"), { true: t("did"), false: t("did not") }, String(did ?? true)); }

// Each kind: its controls for a condition, and a reader that turns them back into JSON.
const KINDS = {
  attribute(c) {
    const key = input(t("Attribute"), c.key, { placeholder: "plan", maxLength: 100 });
    const kind = select(t("Value type"), translated(VALUE_TYPES), c.value_type || "text");
    const op = el("select", { ariaLabel: t("Operator") });
    const value = input(t("Value"), c.value);
    const signed = el("input", { type: "checkbox", checked: Boolean(c.signed_only) });
    const bool = select(t("Value"), { true: t("yes"), false: t("no") }, String(c.value ?? true));
    const refresh = () => {
      const kept = op.value || c.op;
      op.replaceChildren(...Object.entries(translated(OPS[kind.value])).map(([k, v]) => el("option", { value: k, text: v })));
      if (kept in OPS[kind.value]) op.value = kept;
      const none = op.value === "exists" || op.value === "not_exists";
      const isBool = kind.value === "boolean";
      value.hidden = none || isBool;
      bool.hidden = none || !isBool;
      value.type = kind.value === "number" || op.value.includes("days") ? "number" : kind.value === "date" ? "date" : "text";
    };
    kind.addEventListener("change", refresh);
    op.addEventListener("change", refresh);
    refresh();
    return {
      nodes: [key, kind, op, value, bool, el("label", { class: "inline" }, signed, " ", t("Signed values only"))],
      read: () => {
        const none = op.value === "exists" || op.value === "not_exists";
        let v = null;
        if (!none) {
          if (kind.value === "boolean") v = bool.value === "true";
          else if (kind.value === "number" || op.value.includes("days")) v = value.value === "" ? null : Number(value.value);
          else v = value.value;
        }
        return { type: "attribute", key: key.value.trim(), value_type: kind.value, op: op.value, value: v, signed_only: signed.checked };
      },
    };
  },
  tag(c) {
    const present = select(t("Has"), { true: t("has"), false: t("does not have") }, String(c.present ?? true));
    const tag = select(t("Tag"), Object.fromEntries(data.tags.map((x) => [String(x.id), x.name])), c.tag_id);
    return { nodes: [present, tag], read: () => ({ type: "tag", tag_id: Number(tag.value), present: present.value === "true" }) };
  },
  event(c) {
    const did = didSelect(c.did);
    const name = input(t("Event"), c.name, { placeholder: "order_failed", maxLength: 80 });
    const within = days(c.within_days);
    return {
      nodes: [did, name, t("in the last (days)"), within],
      read: () => ({ type: "event", name: name.value.trim(), within_days: Number(within.value), did: did.value === "true" }),
    };
  },
  page_view(c) {
    const did = didSelect(c.did);
    const url = input(t("Page address contains"), c.url_contains, { placeholder: "/pricing", maxLength: 500 });
    const within = days(c.within_days);
    return {
      nodes: [did, url, t("in the last (days)"), within],
      read: () => ({ type: "page_view", url_contains: url.value.trim(), within_days: Number(within.value), did: did.value === "true" }),
    };
  },
  last_seen(c) {
    const op = select(t("Operator"), { within_days: t("within the last (days)"), more_than_days_ago: t("more than (days) ago") }, c.op);
    const count = input(t("Days"), c.days ?? 10, { type: "number", min: 0, max: 3650, class: "narrow" });
    return { nodes: [op, count], read: () => ({ type: "last_seen", op: op.value, days: Number(count.value) }) };
  },
  language(c) {
    const codes = input(t("Languages (ko, en…)"), (c.any_of || ["ko"]).join(", "));
    return {
      nodes: [codes],
      read: () => ({ type: "language", any_of: codes.value.split(",").map((s) => s.trim()).filter(Boolean) }),
    };
  },
  visits(c) {
    const op = select(t("Operator"), COMPARE, c.op || ">=");
    const value = input(t("Visits"), c.value ?? 2, { type: "number", min: 0, class: "narrow" });
    return { nodes: [op, value], read: () => ({ type: "visits", op: op.value, value: Number(value.value) }) };
  },
  member(c) {
    const is = select(t("Identified member"), { true: t("is an identified member"), false: t("is not an identified member") }, String(c.identified ?? true));
    return { nodes: [is], read: () => ({ type: "member", identified: is.value === "true" }) };
  },
};

function conditionRow(condition, onChange, onRemove) {
  const row = el("div", { class: "rule-row segment-condition" });
  const kind = select(t("Condition"), translated(TYPES), condition.type || "attribute");
  const remove = el("button", { type: "button", class: "link danger", text: t("Remove") });
  let current;
  const draw = (c) => {
    current = KINDS[kind.value](c);
    row.replaceChildren(kind, ...current.nodes, remove);
  };
  kind.addEventListener("change", () => { draw({}); onChange(); });
  remove.addEventListener("click", () => { row.remove(); onRemove(); });
  draw(condition);
  row.read = () => current.read();
  return row;
}

function matchSelect(value, label) {
  return select(label, { all: t("all of these"), any: t("any of these") }, value);
}

// A list of conditions with its own all/any; groups inside the top level only.
function conditionList(spec, onChange, nested) {
  const box = el("div", { class: nested ? "segment-group" : "segment-top" });
  const match = matchSelect(spec.match || (nested ? "any" : "all"), t("Match"));
  const rows = el("div", {});
  const add = (c) => rows.append(c.type === "group"
    ? groupRow(c, onChange)
    : conditionRow(c, onChange, onChange));
  (spec.conditions || []).forEach(add);
  const addCondition = el("button", { type: "button", text: `+ ${t("Condition")}` });
  addCondition.addEventListener("click", () => { add({ type: "attribute" }); onChange(); });
  const tools = el("div", { class: "toolbar" }, addCondition);
  if (!nested) {
    const addGroup = el("button", { type: "button", text: `+ ${t("Group (AND/OR)")}` });
    addGroup.addEventListener("click", () => { add({ type: "group", match: "any", conditions: [{ type: "last_seen", op: "within_days", days: 10 }] }); onChange(); });
    tools.append(addGroup);
  }
  box.append(el("div", { class: "rule-row" }, el("span", { text: nested ? t("Any or all of:") : t("Customers who match") }), match), rows, tools);
  box.read = () => ({ match: match.value, conditions: [...rows.children].map((row) => row.read()) });
  return box;
}

function groupRow(spec, onChange) {
  const list = conditionList(spec, onChange, true);
  const remove = el("button", { type: "button", class: "link danger", text: t("Remove group") });
  const row = el("div", { class: "segment-group-row" }, list, remove);
  remove.addEventListener("click", () => { row.remove(); onChange(); });
  row.read = () => ({ type: "group", ...list.read() });
  return row;
}

let builder;
let timer;

function drawBuilder(filter) {
  builder = conditionList(filter, scheduleCount, false);
  $("segment-builder").replaceChildren(builder);
  scheduleCount();
}

function scheduleCount() {
  clearTimeout(timer);
  timer = setTimeout(countNow, 300);
}

async function countNow() {
  try {
    const result = await api("segments/preview", { method: "POST", body: builder.read() });
    $("segment-count").textContent = t("{count} customers match").replace("{count}", String(result.count));
    $("segment-preview").replaceChildren(...result.contacts.map((c) => el("li", { text: c.name || c.email || c.member_id || `#${c.id}` })));
  } catch (error) {
    $("segment-count").textContent = error.message;
    $("segment-preview").replaceChildren();
  }
}

function editSegment(segment) {
  const form = $("segment-form");
  form.id.value = segment ? segment.id : "";
  form.name.value = segment ? segment.name : "";
  $("segment-form-title").textContent = segment ? segment.name : t("New segment");
  drawBuilder(segment ? segment.filter : { match: "all", conditions: [] });
}

async function loadSegments() {
  data.segments = await api("segments");
  $("segment-rows").replaceChildren(...data.segments.map((segment) => {
    const edit = el("button", { type: "button", class: "link", text: t("Edit") });
    const remove = el("button", { type: "button", class: "link danger", text: t("Delete") });
    edit.addEventListener("click", () => editSegment(segment));
    remove.addEventListener("click", async () => {
      if (!confirm(`${t("Delete")} ${segment.name}?`)) return;
      try { await api(`segments/${segment.id}`, { method: "DELETE" }); await loadSegments(); } catch (error) { notice(error.message, true); }
    });
    return el("tr", { "data-id": String(segment.id) }, el("td", { text: segment.name }), el("td", {}, edit, " ", remove));
  }));
  const choice = $("campaign-form").segment_id;
  choice.replaceChildren(...data.segments.map((s) => el("option", { value: String(s.id), text: s.name })));
}

async function saveSegment(event) {
  event.preventDefault();
  const form = event.target;
  const body = { name: form.name.value.trim(), filter: builder.read() };
  try {
    const saved = await api(form.id.value ? `segments/${form.id.value}` : "segments", { method: form.id.value ? "PUT" : "POST", body });
    notice(t("Saved."));
    await loadSegments();
    editSegment(saved);
  } catch (error) { notice(error.message, true); }
}

const STATUS = { draft: "Draft", sending: "Sending", sent: "Sent" };

async function loadCampaigns() {
  const campaigns = await api("campaigns");
  $("campaigns-empty").hidden = campaigns.length > 0;
  $("campaign-rows").replaceChildren(...campaigns.map((c) => {
    const actions = el("td", {});
    if (c.status === "draft") {
      const send = el("button", { type: "button", class: "link", text: t("Send now") });
      const remove = el("button", { type: "button", class: "link danger", text: t("Delete") });
      send.addEventListener("click", async () => {
        if (!confirm(`${t("Send now")}: ${c.name}?`)) return;
        try { await api(`campaigns/${c.id}/send`, { method: "POST" }); await loadCampaigns(); } catch (error) { notice(error.message, true); }
      });
      remove.addEventListener("click", async () => {
        try { await api(`campaigns/${c.id}`, { method: "DELETE" }); await loadCampaigns(); } catch (error) { notice(error.message, true); }
      });
      actions.append(send, " ", remove);
    }
    const s = c.stats;
    return el("tr", { "data-id": String(c.id) },
      el("td", { text: c.name }), el("td", { text: t(STATUS[c.status] || c.status) }),
      el("td", { text: String(s.sent) }), el("td", { text: String(s.shown) }), el("td", { text: String(s.replied) }),
      el("td", { text: String(s.skipped_live_chat + s.skipped_cap) }), actions);
  }));
}

async function saveCampaign(event) {
  event.preventDefault();
  const form = event.target;
  const sender = form.sender.value;
  const body = {
    name: form.name.value.trim(),
    segment_id: Number(form.segment_id.value),
    sender_type: sender === "bot" ? "bot" : "agent",
    sender_agent_id: sender === "bot" ? null : Number(sender),
    body: form.body.value,
    frequency_cap_days: Number(form.frequency_cap_days.value || 0),
  };
  try {
    await api("campaigns", { method: "POST", body });
    form.reset();
    notice(t("Saved."));
    await loadCampaigns();
  } catch (error) { notice(error.message, true); }
}

async function start() {
  [data.tags, data.agents] = await Promise.all([api("tags"), api("agents")]);
  $("campaign-form").sender.replaceChildren(
    el("option", { value: "bot", text: t("The bot") }),
    ...data.agents.map((a) => el("option", { value: String(a.id), text: a.name })));
  $("segment-form").addEventListener("submit", saveSegment);
  $("segment-form").addEventListener("input", scheduleCount);
  $("segment-form").addEventListener("change", scheduleCount);
  $("segment-new").addEventListener("click", () => editSegment(null));
  $("campaign-form").addEventListener("submit", saveCampaign);
  editSegment(null);
  await Promise.all([loadSegments(), loadCampaigns()]);
}

start().catch((error) => notice(error.message, true));
