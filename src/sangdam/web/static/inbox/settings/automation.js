// Settings › Automation rules: a builder for the trigger, the conditions (AND/OR, with
// groups) and the actions, each kind with its own controls; the JSON stays one click away
// and rules go to and come from a JSON file.
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";

const EVENT_LABELS = {
  conversation_created: "A conversation is created", message_received: "A customer message arrives",
  handed_off: "The bot hands off to a person", tagged: "A tag is added", attribute_changed: "A customer attribute changes",
  rated: "The customer rates the conversation",
};
const CHANNELS = { web_widget: "Website chat", email: "Email", api: "API" };
const LANGUAGES = { ko: "한국어", en: "English", ja: "日本語", zh: "中文" };
const OPERATORS = {
  "=": "is", "!=": "is not", "<": "is less than", "<=": "is at most", ">": "is more than",
  ">=": "is at least", contains: "contains", exists: "is set", not_exists: "is not set",
};
const SYMBOLS = { "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥" };
const ORDERING = new Set(["<", "<=", ">", ">="]);
const COMPARE = { text: "as text", number: "as numbers", version: "as versions (3.10 > 3.9)" };

// What the pickers offer, loaded once.
const data = { tags: [], teams: [], agents: [], canned: [], categories: [] };
let rules = [];
let uid = 0;

// ---- small builders for labelled controls -----------------------------------------------

function nextId() { uid += 1; return `rule-control-${uid}`; }

function select(label, options, value, attrs = {}) {
  const node = el("select", { ariaLabel: label, ...attrs },
    ...Object.entries(options).map(([key, text]) => el("option", { value: key, text })));
  if (value !== undefined && value !== null) node.value = String(value);
  return node;
}

function checkboxes(label, options, chosen) {
  const group = el("span", { class: "rule-checks", role: "group", ariaLabel: label });
  for (const [value, text] of Object.entries(options)) {
    const id = nextId();
    group.append(el("span", { class: "rule-check" },
      el("input", { type: "checkbox", id, value, checked: chosen.includes(value) }),
      el("label", { htmlFor: id, text })));
  }
  return group;
}

function checked(group) {
  return [...group.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
}

function options(items, text, empty) {
  const entries = Object.fromEntries(items.map((item) => [String(item.id), text(item)]));
  return Object.keys(entries).length ? entries : { "": empty };
}

function idOf(node) { return node.value ? Number(node.value) : null; }

function words(text) {
  return text.split(/[,\n]/).map((word) => word.trim()).filter(Boolean);
}

function categoryName(key) {
  const found = data.categories.find((c) => c.key === key);
  return found ? found.label[boot.locale] || found.label.ko || key : key;
}

// ---- conditions: each kind renders its controls and reads them back --------------------

const CONDITIONS = {
  channel: {
    label: "Channel is",
    blank: () => ({ any_of: ["web_widget"] }),
    render(c) {
      const boxes = checkboxes(t("Channel is"), Object.fromEntries(Object.entries(CHANNELS).map(([k, v]) => [k, t(v)])), c.any_of);
      return { nodes: [boxes], read: () => ({ type: "channel", any_of: checked(boxes) }) };
    },
  },
  language: {
    label: "Customer's language is",
    blank: () => ({ any_of: ["ko"] }),
    render(c) {
      const boxes = checkboxes(t("Customer's language is"), LANGUAGES, c.any_of);
      const other = el("input", { value: c.any_of.filter((x) => !(x in LANGUAGES)).join(", "), placeholder: "vi, th", ariaLabel: t("Other language codes"), class: "short" });
      return {
        nodes: [boxes, el("span", { class: "rule-inline-label", text: t("or") }), other],
        read: () => ({ type: "language", any_of: [...checked(boxes), ...words(other.value)] }),
      };
    },
  },
  text_contains: {
    label: "Message contains any of",
    blank: () => ({ any_of: [] }),
    render(c) {
      const box = el("textarea", { rows: 2, required: true, value: c.any_of.join("\n"), ariaLabel: t("Words or phrases, one per line"), placeholder: t("Words or phrases, one per line") });
      return { nodes: [box], read: () => ({ type: "text_contains", any_of: box.value.split("\n").map((w) => w.trim()).filter(Boolean) }) };
    },
  },
  bot_category: {
    label: "Bot topic is",
    blank: () => ({ any_of: [] }),
    render(c) {
      const known = Object.fromEntries(data.categories.map((cat) => [cat.key, categoryName(cat.key)]));
      for (const key of c.any_of) if (!(key in known)) known[key] = key;
      const boxes = checkboxes(t("Bot topic is"), known, c.any_of);
      const nodes = Object.keys(known).length ? [boxes] : [el("span", { class: "muted", text: t("The bot has no topics yet.") })];
      return { nodes, read: () => ({ type: "bot_category", any_of: checked(boxes) }) };
    },
  },
  attribute: {
    label: "Customer attribute",
    blank: () => ({ key: "", op: "=", value: "", compare: "text" }),
    render(c) {
      const key = el("input", { value: c.key || "", required: true, maxLength: 100, placeholder: "app_version", ariaLabel: t("Attribute"), class: "short" });
      key.setAttribute("list", "attribute-keys");
      const op = select(t("Comparison"), Object.fromEntries(Object.entries(OPERATORS).map(([k, v]) => [k, SYMBOLS[k] ? `${SYMBOLS[k]} ${t(v)}` : t(v)])), c.op);
      const value = el("input", { value: c.value === null || c.value === undefined ? "" : String(c.value), ariaLabel: t("Value"), class: "short", placeholder: "3.2.0" });
      const compare = select(t("Compare"), Object.fromEntries(Object.entries(COMPARE).map(([k, v]) => [k, t(v)])), c.compare || "text");
      const shape = () => {
        const needsValue = !["exists", "not_exists"].includes(op.value);
        value.hidden = !needsValue;
        value.required = needsValue;
        compare.hidden = !needsValue;
        if (ORDERING.has(op.value) && compare.value === "text") compare.value = "number";
      };
      op.addEventListener("change", shape);
      shape();
      return {
        nodes: [key, op, value, compare],
        read() {
          const out = { type: "attribute", key: key.value.trim(), op: op.value, compare: compare.value };
          if (!value.hidden) out.value = compare.value === "number" && value.value.trim() !== "" && !Number.isNaN(Number(value.value)) ? Number(value.value) : value.value.trim();
          return out;
        },
      };
    },
  },
  business_hours: {
    label: "Business hours",
    blank: () => ({ open: false }),
    render(c) {
      const open = select(t("Business hours"), { true: t("Open now (within business hours)"), false: t("Closed now (outside business hours)") }, String(c.open));
      return { nodes: [open], read: () => ({ type: "business_hours", open: open.value === "true" }) };
    },
  },
  has_tag: {
    label: "Has tag",
    blank: () => ({ tag_id: data.tags[0] ? data.tags[0].id : null, on: "conversation", present: true }),
    render(c) {
      const on = select(t("Where"), { conversation: t("The conversation"), contact: t("The customer") }, c.on || "conversation");
      const present = select(t("Has or lacks"), { true: t("has the tag"), false: t("does not have the tag") }, String(c.present !== false));
      const tag = select(t("Tag"), options(data.tags, (x) => x.name, t("No tags yet")), c.tag_id, { required: true });
      return { nodes: [on, present, tag], read: () => ({ type: "has_tag", tag_id: idOf(tag), on: on.value, present: present.value === "true" }) };
    },
  },
};

// ---- actions -----------------------------------------------------------------------------

const ACTIONS = {
  add_tag: {
    label: "Add a tag",
    blank: () => ({ tag_id: data.tags[0] ? data.tags[0].id : null, on: "conversation" }),
    render(a) {
      const tag = select(t("Tag"), options(data.tags, (x) => x.name, t("No tags yet")), a.tag_id, { required: true });
      const on = select(t("Where"), { conversation: t("to the conversation"), contact: t("to the customer") }, a.on || "conversation");
      return { nodes: [tag, on], read: () => ({ type: "add_tag", tag_id: idOf(tag), on: on.value }) };
    },
  },
  assign_team: {
    label: "Send to a team's queue",
    blank: () => ({ team_id: data.teams[0] ? data.teams[0].id : null }),
    render(a) {
      const team = select(t("Team"), options(data.teams, (x) => x.name, t("No teams yet")), a.team_id, { required: true });
      return { nodes: [team], read: () => ({ type: "assign_team", team_id: idOf(team) }) };
    },
  },
  assign_agent: {
    label: "Assign to an agent",
    blank: () => ({ agent_id: data.agents[0] ? data.agents[0].id : null }),
    render(a) {
      const agent = select(t("Agent"), options(data.agents, (x) => x.name, t("No agents")), a.agent_id, { required: true });
      return { nodes: [agent], read: () => ({ type: "assign_agent", agent_id: idOf(agent) }) };
    },
  },
  set_priority: {
    label: "Set the priority",
    blank: () => ({ priority: 5 }),
    render(a) {
      const priority = el("input", { type: "number", min: 0, max: 10, step: 1, required: true, value: String(a.priority ?? 5), class: "tiny", ariaLabel: t("Priority") });
      return {
        nodes: [priority, el("span", { class: "muted", text: t("0 is normal; higher waits less in the queue (up to 10).") })],
        read: () => ({ type: "set_priority", priority: Number(priority.value) }),
      };
    },
  },
  send_canned_reply: {
    label: "Send a canned response",
    blank: () => ({ canned_response_id: data.canned[0] ? data.canned[0].id : null }),
    render(a) {
      const canned = select(t("Canned response"), options(data.canned, (x) => `/${x.shortcut} · ${x.title}`, t("No team or workspace canned responses yet")), a.canned_response_id, { required: true });
      return {
        nodes: [canned, el("a", { href: `/inbox/${boot.workspaceId}/settings/canned`, text: t("Canned responses"), target: "_blank", rel: "noopener" })],
        read: () => ({ type: "send_canned_reply", canned_response_id: idOf(canned) }),
      };
    },
  },
  add_note: {
    label: "Leave an internal note",
    blank: () => ({ body: "", remind: false }),
    render(a) {
      const body = el("textarea", { rows: 2, required: true, maxLength: 5000, value: a.body || "", ariaLabel: t("Note"), placeholder: "{{contact.name}}…" });
      const id = nextId();
      const remind = el("input", { type: "checkbox", id, checked: Boolean(a.remind) });
      return {
        nodes: [body, el("span", { class: "rule-check" }, remind, el("label", { htmlFor: id, text: t("Also remind the assignee") }))],
        read: () => ({ type: "add_note", body: body.value, remind: remind.checked }),
      };
    },
  },
  notify_slack: {
    label: "Post to Slack",
    blank: () => ({ url: "" }),
    render(a) {
      const url = el("input", { type: "url", required: true, value: a.url || "", placeholder: "https://hooks.slack.com/services/…", ariaLabel: t("Slack incoming-webhook URL") });
      const text = el("textarea", { rows: 2, maxLength: 2000, value: a.text || "", ariaLabel: t("Message (empty: a summary)"), placeholder: t("Message (empty: a summary)") });
      return {
        nodes: [url, text],
        read() { const out = { type: "notify_slack", url: url.value.trim() }; if (text.value.trim()) out.text = text.value; return out; },
      };
    },
  },
  call_webhook: {
    label: "Call a webhook",
    blank: () => ({ url: "" }),
    render(a) {
      const url = el("input", { type: "url", required: true, value: a.url || "", placeholder: "https://example.com/hooks/sangdam", ariaLabel: t("Webhook URL") });
      const form = $("rule-form");
      const rule = rules.find((r) => String(r.id) === form.id.value);
      const hint = rule ? `${t("Signed with this rule's secret")}: ${rule.webhook_secret}` : t("Each call is signed (X-Sangdam-Signature); the rule's secret is shown once it is saved.");
      return { nodes: [url, el("span", { class: "muted rule-hint", text: hint })], read: () => ({ type: "call_webhook", url: url.value.trim() }) };
    },
  },
};

// ---- rows: a condition, a group of conditions, an action ---------------------------------

const readers = new WeakMap();

function rowControls(row, list, noun) {
  const up = el("button", { type: "button", class: "link", text: "↑", title: t("Move up"), ariaLabel: `${t("Move up")}: ${noun}` });
  const down = el("button", { type: "button", class: "link", text: "↓", title: t("Move down"), ariaLabel: `${t("Move down")}: ${noun}` });
  const remove = el("button", { type: "button", class: "link danger", text: "×", title: t("Remove"), ariaLabel: `${t("Remove")}: ${noun}` });
  up.addEventListener("click", () => { if (row.previousElementSibling) list.insertBefore(row, row.previousElementSibling); up.focus(); });
  down.addEventListener("click", () => { if (row.nextElementSibling) list.insertBefore(row.nextElementSibling, row); down.focus(); });
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    showEmpty();
    (next ? next.querySelector("select") : list.closest("fieldset").querySelector("button")).focus();
  });
  return el("span", { class: "rule-row-buttons" }, up, down, remove);
}

function kindRow(kinds, item, list, noun, extraKinds = {}) {
  const row = el("li", { class: "rule-row" });
  const labels = { ...Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, t(v.label)])), ...extraKinds };
  const kind = select(noun, labels, item.type, { class: "rule-kind" });
  const body = el("span", { class: "rule-controls" });
  let read = null;
  const render = (value) => {
    const made = kinds[value.type].render({ ...kinds[value.type].blank(), ...value });
    body.replaceChildren(...made.nodes);
    read = made.read;
  };
  kind.addEventListener("change", () => render({ type: kind.value, ...kinds[kind.value].blank() }));
  render(item);
  readers.set(row, () => read());
  row.append(kind, body, rowControls(row, list, noun));
  return row;
}

function conditionRow(condition, list) {
  return condition.type === "group" ? groupRow(condition, list) : kindRow(CONDITIONS, condition, list, t("Condition"));
}

function groupRow(group, list) {
  const row = el("li", { class: "rule-row rule-group" });
  const match = select(t("How the group's conditions combine"), { any: t("Any one of these (OR)"), all: t("All of these (AND)") }, group.match || "any");
  const inner = el("ol", { class: "rule-list" });
  for (const condition of group.conditions) inner.append(kindRow(CONDITIONS, condition, inner, t("Condition")));
  const add = el("button", { type: "button", class: "link", text: `+ ${t("Add condition to the group")}` });
  add.addEventListener("click", () => {
    const added = kindRow(CONDITIONS, { type: "text_contains", any_of: [] }, inner, t("Condition"));
    inner.append(added);
    added.querySelector("select").focus();
  });
  readers.set(row, () => ({ type: "group", match: match.value, conditions: [...inner.children].map((r) => readers.get(r)()) }));
  row.append(el("div", { class: "rule-group-head" }, el("strong", { text: t("Group") }), match, rowControls(row, list, t("Group"))), inner, add);
  return row;
}

function actionRow(action, list) { return kindRow(ACTIONS, action, list, t("Action")); }

function showEmpty() {
  $("conditions-empty").hidden = $("condition-rows").children.length > 0;
}

// ---- the whole rule ----------------------------------------------------------------------

function showTriggerFields() {
  const form = $("rule-form");
  $("trigger-tag-field").hidden = form.event.value !== "tagged";
  $("trigger-attribute-field").hidden = form.event.value !== "attribute_changed";
  $("trigger-rating-field").hidden = form.event.value !== "rated";
}

/** The builder's rule as the API takes it. */
function readRule() {
  const form = $("rule-form");
  const trigger = { event: form.event.value };
  if (form.event.value === "tagged" && form.trigger_tag.value) trigger.tag_id = Number(form.trigger_tag.value);
  if (form.event.value === "attribute_changed" && form.trigger_attribute.value.trim()) trigger.attribute = form.trigger_attribute.value.trim();
  if (form.event.value === "rated" && form.trigger_rating.value) trigger.rating = form.trigger_rating.value;
  const rule = rules.find((r) => String(r.id) === form.id.value);
  return {
    name: form.name.value.trim(),
    enabled: form.enabled.checked,
    position: rule ? rule.position : 0,
    trigger,
    match: form.match.value,
    conditions: [...$("condition-rows").children].map((row) => readers.get(row)()),
    actions: [...$("action-rows").children].map((row) => readers.get(row)()),
  };
}

/** Show ``rule`` (a stored rule, an imported one, or null for a new one) in the builder. */
function fill(rule, { id = rule && rule.id } = {}) {
  const form = $("rule-form");
  form.id.value = id || "";
  form.name.value = rule ? rule.name : "";
  form.enabled.checked = rule ? rule.enabled !== false : true;
  const trigger = rule ? rule.trigger : { event: "conversation_created" };
  form.event.value = trigger.event;
  form.trigger_tag.value = trigger.tag_id ? String(trigger.tag_id) : "";
  form.trigger_attribute.value = trigger.attribute || "";
  form.trigger_rating.value = trigger.rating || "";
  form.match.value = rule && rule.match ? rule.match : "all";
  const conditions = $("condition-rows");
  conditions.replaceChildren(...(rule ? rule.conditions : []).map((c) => conditionRow(c, conditions)));
  const actions = $("action-rows");
  const chosen = rule ? rule.actions : [{ type: "add_tag", ...ACTIONS.add_tag.blank() }];
  actions.replaceChildren(...chosen.map((a) => actionRow(a, actions)));
  $("rule-form-title").textContent = id ? `${t("Edit")} · ${rule.name}` : t("New rule");
  $("rule-json-panel").open = false;
  showTriggerFields();
  showEmpty();
}

function describeCondition(c) {
  switch (c.type) {
    case "group": return `(${c.conditions.map(describeCondition).join(c.match === "any" ? ` ${t("or")} ` : ` ${t("and")} `)})`;
    case "channel": return `${t("Channel is")} ${c.any_of.map((x) => t(CHANNELS[x] || x)).join(", ")}`;
    case "language": return `${t("Customer's language is")} ${c.any_of.join(", ")}`;
    case "text_contains": return `${t("Message contains any of")} “${c.any_of.join("”, “")}”`;
    case "bot_category": return `${t("Bot topic is")} ${c.any_of.map(categoryName).join(", ")}`;
    case "attribute": return `${c.key} ${SYMBOLS[c.op] || t(OPERATORS[c.op] || c.op)}${c.value === undefined || c.value === null ? "" : ` ${c.value}`}`;
    case "business_hours": return c.open ? t("Open now (within business hours)") : t("Closed now (outside business hours)");
    case "has_tag": {
      const tag = data.tags.find((x) => x.id === c.tag_id);
      return `${c.on === "contact" ? t("The customer") : t("The conversation")} ${c.present === false ? t("does not have the tag") : t("has the tag")} ${tag ? tag.name : c.tag_id}`;
    }
    default: return c.type;
  }
}

function describeAction(a) {
  const name = (list, id) => { const found = list.find((x) => x.id === id); return found ? found.name || `/${found.shortcut}` : `#${id}`; };
  switch (a.type) {
    case "add_tag": return `${t("Add a tag")} ${name(data.tags, a.tag_id)}`;
    case "assign_team": return `${t("Send to a team's queue")} ${name(data.teams, a.team_id)}`;
    case "assign_agent": return `${t("Assign to an agent")} ${name(data.agents, a.agent_id)}`;
    case "set_priority": return `${t("Set the priority")} ${a.priority}`;
    case "send_canned_reply": return `${t("Send a canned response")} ${name(data.canned, a.canned_response_id)}`;
    default: return ACTIONS[a.type] ? t(ACTIONS[a.type].label) : a.type;
  }
}

function summary(rule) {
  const joiner = rule.match === "any" ? ` ${t("or")} ` : ` ${t("and")} `;
  const conditions = rule.conditions.length ? rule.conditions.map(describeCondition).join(joiner) : t("always");
  return `${t("If")} ${conditions} → ${rule.actions.map(describeAction).join(", ")}`;
}

async function loadRules() {
  rules = await api("automation/rules");
  $("rules-empty").hidden = rules.length > 0;
  $("rule-rows").replaceChildren(...rules.map((rule) => {
    const enabled = el("input", { type: "checkbox", checked: rule.enabled, ariaLabel: `${t("Rule is on")}: ${rule.name}` });
    enabled.addEventListener("change", async () => {
      try { await api(`automation/rules/${rule.id}`, { method: "PUT", body: { ...asInput(rule), enabled: enabled.checked } }); }
      catch (error) { notice(error.message, true); enabled.checked = !enabled.checked; }
    });
    const edit = el("button", { type: "button", class: "link", text: t("Edit"), ariaLabel: `${t("Edit")}: ${rule.name}` });
    const remove = el("button", { type: "button", class: "link danger", text: t("Delete"), ariaLabel: `${t("Delete")}: ${rule.name}` });
    edit.addEventListener("click", () => {
      fill(rule);
      $("rule-form").scrollIntoView({ behavior: "smooth" });
      $("rule-form").name.focus({ preventScroll: true });
    });
    remove.addEventListener("click", async () => {
      if (!confirm(`${t("Delete")} ${rule.name}?`)) return;
      try { await api(`automation/rules/${rule.id}`, { method: "DELETE" }); await loadRules(); } catch (error) { notice(error.message, true); }
    });
    return el("tr", { "data-id": String(rule.id) },
      el("td", {}, el("strong", { text: rule.name }), el("div", { class: "rule-summary", text: summary(rule) })),
      el("td", { text: t(EVENT_LABELS[rule.trigger.event] || rule.trigger.event) }),
      el("td", {}, enabled),
      el("td", { text: String(rule.run_count) }),
      el("td", {}, edit, " ", remove));
  }));
}

function asInput(rule) {
  const { name, enabled, position, trigger, match, conditions, actions } = rule;
  return { name, enabled, position, trigger, match, conditions, actions };
}

async function saveRule(event) {
  event.preventDefault();
  const form = event.target;
  const body = readRule();
  if (!body.actions.length) { notice(t("Add at least one action."), true); $("add-action").focus(); return; }
  try {
    await api(form.id.value ? `automation/rules/${form.id.value}` : "automation/rules", { method: form.id.value ? "PUT" : "POST", body });
    notice(t("Saved."));
    fill(null);
    await loadRules();
  } catch (error) { notice(error.message, true); }
}

function example() {
  // Seed 004: customers on an old app get a tag and the agent a reminder.
  const tag = data.tags.find((x) => x.name === "앱 업데이트 필요") || data.tags[0];
  fill({
    name: "구버전 앱 안내",
    enabled: true,
    trigger: { event: "attribute_changed", attribute: "app_version" },
    match: "all",
    conditions: [{ type: "attribute", key: "app_version", op: "<", value: "3.2.0", compare: "version" }],
    actions: [
      ...(tag ? [{ type: "add_tag", tag_id: tag.id, on: "conversation" }] : []),
      { type: "add_note", body: "앱 버전이 낮아요. 업데이트를 안내해 주세요.", remind: true },
    ],
  }, { id: $("rule-form").id.value });
}

// ---- JSON: the rule as text, and rules to and from a file --------------------------------

function showJson() {
  if ($("rule-json-panel").open) $("rule-json").value = JSON.stringify(readRule(), null, 2);
}

function loadJson() {
  let rule;
  try { rule = JSON.parse($("rule-json").value); } catch (error) {
    notice(`${t("The JSON is not valid:")} ${error.message}`, true);
    return;
  }
  const known = (list, kinds) => Array.isArray(list) && list.every((item) => item && (kinds[item.type] || item.type === "group"));
  if (!rule || typeof rule !== "object" || !rule.trigger || !EVENT_LABELS[rule.trigger.event]
      || !known(rule.conditions || [], CONDITIONS) || !known(rule.actions, ACTIONS)) {
    notice(t("The JSON is not a rule: it needs a trigger, conditions and actions of the kinds above."), true);
    return;
  }
  fill({ name: "", enabled: true, match: "all", conditions: [], ...rule }, { id: $("rule-form").id.value });
  $("rule-json-panel").open = true;
  showJson();
  notice(t("Loaded into the editor. Save the rule to keep it."));
}

async function importRules() {
  const input = $("rules-import");
  const file = input.files[0];
  input.value = "";
  if (!file) return;
  let body;
  try { body = JSON.parse(await file.text()); } catch (error) {
    notice(`${t("The JSON is not valid:")} ${error.message}`, true);
    return;
  }
  const replace = $("rules-import-replace").checked;
  if (replace && !confirm(t("Replace every rule of this workspace with the file's rules?"))) return;
  try {
    const result = await api(`automation/rules/import?replace=${replace}`, { method: "POST", body });
    notice(t("Imported {created} rules ({deleted} deleted).").replace("{created}", result.created).replace("{deleted}", result.deleted));
    await loadRules();
  } catch (error) { notice(error.message, true); }
}

async function loadPickers() {
  const [tags, teams, agents, canned, flow] = await Promise.all([
    api("tags"), api("teams"), api("agents"), api("canned-responses"), api("bot/flow").catch(() => null),
  ]);
  data.tags = tags;
  data.teams = teams;
  data.agents = agents;
  data.canned = canned.filter((item) => item.scope !== "personal");
  data.categories = flow ? flow.definition.categories : [];
  const trigger = $("rule-form").trigger_tag;
  trigger.replaceChildren(el("option", { value: "", text: t("Any tag") }), ...tags.map((tag) => el("option", { value: String(tag.id), text: tag.name })));
}

async function main() {
  const form = $("rule-form");
  form.addEventListener("submit", saveRule);
  form.event.addEventListener("change", showTriggerFields);
  $("rule-cancel").addEventListener("click", () => fill(null));
  $("rule-example").addEventListener("click", example);
  $("add-condition").addEventListener("click", () => {
    const list = $("condition-rows");
    const row = conditionRow({ type: "text_contains", any_of: [] }, list);
    list.append(row);
    showEmpty();
    row.querySelector("select").focus();
  });
  $("add-group").addEventListener("click", () => {
    const list = $("condition-rows");
    const row = groupRow({ type: "group", match: "any", conditions: [{ type: "text_contains", any_of: [] }, { type: "language", any_of: ["ko"] }] }, list);
    list.append(row);
    showEmpty();
    row.querySelector("select").focus();
  });
  $("add-action").addEventListener("click", () => {
    const list = $("action-rows");
    const row = actionRow({ type: "add_note", body: "" }, list);
    list.append(row);
    row.querySelector("select").focus();
  });
  // Filled as the summary is clicked (or pressed), before the panel opens: the "toggle"
  // event comes later, as a task of its own, and would overwrite what was typed meanwhile.
  $("rule-json-panel").querySelector("summary").addEventListener("click", () => {
    if (!$("rule-json-panel").open) $("rule-json").value = JSON.stringify(readRule(), null, 2);
  });
  $("rule-json-load").addEventListener("click", loadJson);
  $("rules-import").addEventListener("change", importRules);
  await loadPickers();
  fill(null);
  await loadRules();
}

main().catch((error) => notice(error.message, true));
