// Settings › Automation rules.
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";


const EVENT_LABELS = {
  conversation_created: "A conversation is created", message_received: "A customer message arrives",
  handed_off: "The bot hands off to a person", tagged: "A tag is added", attribute_changed: "A customer attribute changes",
};
let tags = [];

async function loadTags() {
  tags = await api("tags");
  const select = $("rule-form").trigger_tag;
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: t("Any tag") }), ...tags.map((tag) => el("option", { value: String(tag.id), text: tag.name })));
  select.value = chosen;
}

// ---- rules -----------------------------------------------------------------------------

async function loadRules() {
  const rows = $("rule-rows");
  rows.replaceChildren();
  for (const rule of await api("automation/rules")) {
    const enabled = el("input", { type: "checkbox", checked: rule.enabled });
    enabled.setAttribute("aria-label", t("Rule is on"));
    enabled.addEventListener("change", async () => {
      try { await api(`automation/rules/${rule.id}`, { method: "PUT", body: { ...input(rule), enabled: enabled.checked } }); }
      catch (error) { notice(error.message, true); enabled.checked = !enabled.checked; }
    });
    const edit = el("button", { type: "button", class: "link", text: t("Edit") });
    const remove = el("button", { type: "button", class: "link danger", text: t("Delete") });
    edit.addEventListener("click", () => fill(rule));
    remove.addEventListener("click", async () => {
      if (!confirm(`${t("Delete")} ${rule.name}?`)) return;
      try { await api(`automation/rules/${rule.id}`, { method: "DELETE" }); await loadRules(); } catch (error) { notice(error.message, true); }
    });
    rows.append(el("tr", { "data-id": String(rule.id) },
      el("td", {}, el("strong", { text: rule.name }),
        el("div", { class: "rule-summary", text: `${rule.conditions.map((c) => c.type).join(", ") || "—"} → ${rule.actions.map((a) => a.type).join(", ")}` })),
      el("td", { text: t(EVENT_LABELS[rule.trigger.event] || rule.trigger.event) }),
      el("td", {}, enabled),
      el("td", { text: String(rule.run_count) }),
      el("td", {}, edit, " ", remove)));
  }
}

function input(rule) {
  return { name: rule.name, enabled: rule.enabled, position: rule.position, trigger: rule.trigger, conditions: rule.conditions, actions: rule.actions };
}

function showTriggerFields() {
  const form = $("rule-form");
  $("trigger-tag-field").hidden = form.event.value !== "tagged";
  $("trigger-attribute-field").hidden = form.event.value !== "attribute_changed";
}

function fill(rule) {
  const form = $("rule-form");
  form.id.value = rule ? rule.id : "";
  form.name.value = rule ? rule.name : "";
  form.event.value = rule ? rule.trigger.event : "conversation_created";
  form.trigger_tag.value = rule && rule.trigger.tag_id ? String(rule.trigger.tag_id) : "";
  form.trigger_attribute.value = rule && rule.trigger.attribute ? rule.trigger.attribute : "";
  form.conditions.value = JSON.stringify(rule ? rule.conditions : [], null, 2);
  form.actions.value = rule ? JSON.stringify(rule.actions, null, 2) : "";
  form.enabled.checked = rule ? rule.enabled : true;
  $("rule-form-title").textContent = rule ? `${t("Edit")} ${rule.name}` : t("New rule");
  showTriggerFields();
}

function example() {
  // Seed 004: customers on an old app get a tag and the agent a reminder.
  const form = $("rule-form");
  const tag = tags.find((x) => x.name === "앱 업데이트 필요") || tags[0];
  form.name.value = "구버전 앱 안내";
  form.event.value = "attribute_changed";
  form.trigger_attribute.value = "app_version";
  form.conditions.value = JSON.stringify([{ type: "attribute", key: "app_version", op: "<", value: "3.2.0", compare: "version" }], null, 2);
  form.actions.value = JSON.stringify([
    ...(tag ? [{ type: "add_tag", tag_id: tag.id }] : []),
    { type: "add_note", body: "앱 버전이 낮아요. 업데이트를 안내해 주세요.", remind: true },
  ], null, 2);
  showTriggerFields();
}

async function saveRule(event) {
  event.preventDefault();
  const form = event.target;
  let conditions;
  let actions;
  try {
    conditions = JSON.parse(form.conditions.value || "[]");
    actions = JSON.parse(form.actions.value);
  } catch (error) { notice(`${t("Conditions and actions must be valid JSON:")} ${error.message}`, true); return; }
  const trigger = { event: form.event.value };
  if (form.event.value === "tagged" && form.trigger_tag.value) trigger.tag_id = Number(form.trigger_tag.value);
  if (form.event.value === "attribute_changed" && form.trigger_attribute.value.trim()) trigger.attribute = form.trigger_attribute.value.trim();
  const body = { name: form.name.value, enabled: form.enabled.checked, trigger, conditions, actions };
  try {
    await api(form.id.value ? `automation/rules/${form.id.value}` : "automation/rules", { method: form.id.value ? "PUT" : "POST", body });
    notice(t("Saved."));
    fill(null);
    await loadRules();
  } catch (error) { notice(error.message, true); }
}

async function main() {
  const form = $("rule-form");
  form.addEventListener("submit", saveRule);
  form.event.addEventListener("change", showTriggerFields);
  $("rule-cancel").addEventListener("click", () => fill(null));
  $("rule-example").addEventListener("click", example);
  await loadTags();
  fill(null);
  await loadRules();
}

main();
