// The customer list (search, filters, pages) and the customer page.
import { el, formatTime } from "/static/shared.js";
import { STATUS_LABELS, loadExternalCard, renderActivity, renderProfile } from "/static/inbox/customer_panel.js";
import { $, api, boot, t } from "/static/inbox/page.js";

const locale = boot.locale;
let cursor = null;
let current = boot.contactId;

function query() {
  const form = $("customer-filters");
  const params = new URLSearchParams({ limit: "50" });
  if (form.q.value.trim()) params.set("q", form.q.value.trim());
  for (const pair of form.attr.value.split(",").map((p) => p.trim()).filter(Boolean)) params.append("attr", pair);
  if (form.seen.value) params.set("seen_within_days", form.seen.value);
  if (form.verified.checked) params.set("verified", "true");
  if (form.tag.value) params.set("tag_id", form.tag.value);
  return params;
}

function label(contact) {
  return contact.name || contact.email || contact.member_id || `${t("Visitor")} #${contact.id}`;
}

async function loadList(append = false) {
  const params = query();
  if (append && cursor) params.set("cursor", cursor);
  $("list-error").hidden = true;
  let page;
  try { page = await api(`contacts?${params}`); } catch (error) {
    $("list-error").textContent = error.message;
    $("list-error").hidden = false;
    return;
  }
  const rows = $("customer-rows");
  if (!append) rows.replaceChildren();
  for (const contact of page.contacts) {
    const item = el("li", { "data-id": contact.id, class: contact.id === current ? "active" : "" },
      el("strong", { text: label(contact) }), " ",
      contact.verified ? el("span", { class: "badge verified", text: "✓" }) : null,
      el("div", { class: "muted", text: [contact.email, contact.member_id || contact.claimed_member_id].filter(Boolean).join(" · ") }),
      el("small", { class: "muted", text: `${t("Last seen")} ${formatTime(contact.last_seen_at, locale)}` }));
    item.addEventListener("click", () => openCustomer(contact.id));
    rows.append(item);
  }
  cursor = page.next_cursor;
  $("more").hidden = !cursor;
  $("customers-empty").hidden = rows.children.length > 0;
}

async function openCustomer(id) {
  current = id;
  history.replaceState(null, "", `/inbox/${boot.workspaceId}/customers/${id}`);
  for (const row of $("customer-rows").children) row.classList.toggle("active", Number(row.dataset.id) === id);
  const detail = await api(`contacts/${id}`);
  const c = detail.contact;
  $("detail-placeholder").hidden = true;
  $("detail").hidden = false;
  $("detail-name").textContent = label(c);
  renderProfile($("customer-profile"), c, t, locale);
  renderActivity($("customer-activity"), detail, t, locale);
  const facts = $("detail-facts");
  facts.replaceChildren();
  for (const [name, value] of [[t("Language"), c.locale], [t("Device"), c.device], [t("Browser"), c.browser],
    [t("Current page"), c.current_url], [t("First seen"), formatTime(c.first_seen_at, locale)], [t("Last seen"), formatTime(c.last_seen_at, locale)]]) {
    if (value) facts.append(el("dt", { text: name }), el("dd", { text: value }));
  }
  const list = $("detail-conversations");
  list.replaceChildren();
  for (const conversation of detail.conversations) {
    list.append(el("li", {}, el("a", { href: `/inbox/${boot.workspaceId}?c=${conversation.id}`, text: `#${conversation.id} · ${conversation.last_message_preview || "…"}` }),
      el("small", { class: "muted", text: ` ${t(STATUS_LABELS[conversation.status] || conversation.status)} · ${formatTime(conversation.last_activity_at, locale)}` })));
  }
  if (detail.conversations.length === 0) list.append(el("li", { class: "muted", text: t("No conversations yet.") }));
  loadExternalCard($("external-card"), api, id, t);
}

async function loadTags() {
  const select = $("customer-filters").tag;
  for (const tag of await api("tags")) select.append(el("option", { value: String(tag.id), text: tag.name }));
}

$("customer-filters").addEventListener("submit", (event) => { event.preventDefault(); cursor = null; loadList(); });
$("more").addEventListener("click", () => loadList(true));
loadTags().catch(() => {});
loadList();
if (current) openCustomer(current).catch(() => {});
