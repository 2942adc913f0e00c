// Customer context for agents: verified identity, attributes (signed or claimed), tenure,
// recent page views and events, the company's external data card and GitHub issues.
// Everything from customers or the company's systems is inserted as text, never as HTML.
import { el, formatTime } from "/static/shared.js";

const WEB = /^https?:\/\//i;

// A conversation's status as people read it (each goes through the catalogs: t(label)).
export const STATUS_LABELS = { open: "Open", resolved: "Resolved", bot: "Bot", snoozed: "Snoozed" };

function link(url, text) {
  return WEB.test(url || "") ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: text || url, title: url }) : document.createTextNode(text || "");
}

export function tenureText(tenure, t) {
  if (!tenure) return "";
  if (tenure.months >= 1) return t("Customer for {n} months").replace("{n}", tenure.months);
  return t("New customer ({n} days)").replace("{n}", tenure.days);
}

function mark(signed, t) {
  return el("span", { class: `mark ${signed ? "signed" : "claimed"}`, text: signed ? t("verified") : t("unverified"),
    title: signed ? t("Signed by your company's server") : t("Only claimed by the browser: don't rely on it") });
}

/** The identity and attribute list, into `container` (replaces its content). */
export function renderProfile(container, contact, t, locale, pageUrl = null) {
  const signed = new Set(contact.signed_keys || []);
  const facts = el("dl", { class: "profile" });
  const row = (label, value, marker) => {
    if (value === null || value === undefined || value === "") return;
    const dd = el("dd", {}, typeof value === "string" ? value : String(value));
    if (marker) dd.append(" ", marker);
    facts.append(el("dt", { text: label }), dd);
  };
  const head = el("div", { class: "identity" });
  if (contact.verified) {
    head.append(el("span", { class: "badge verified", text: `✓ ${t("Verified member")}` }), " ", el("code", { text: contact.member_id }));
  } else if (contact.claimed_member_id) {
    head.append(el("span", { class: "badge claimed", text: `⚠ ${t("Unverified identity")}` }), " ", el("code", { text: contact.claimed_member_id }));
  } else {
    head.append(el("span", { class: "badge", text: t("Anonymous visitor") }));
  }
  if (contact.verified || contact.name || contact.email) {
    row(t("Name"), contact.name, contact.name ? mark(signed.has("name"), t) : null);
    row(t("Email"), contact.email, contact.email ? mark(signed.has("email"), t) : null);
  }
  row(t("Tenure"), tenureText(contact.tenure, t));
  row(t("Visits"), String(contact.visits));
  const keys = Object.keys(contact.attributes || {}).sort();
  const attributes = el("dl", { class: "attributes" });
  for (const key of keys) {
    const value = contact.attributes[key];
    attributes.append(el("dt", { text: key }), el("dd", { "data-key": key }, value === null ? "—" : String(value), " ", mark(signed.has(key), t)));
  }
  container.replaceChildren(head, facts);
  if (keys.length) container.append(el("h4", { text: t("Attributes") }), attributes);
  if (pageUrl) container.append(el("p", {}, el("a", { href: pageUrl, class: "customer-page-link", text: `${t("Customer page")} →` })));
}

/** Recent page views and tracked events. */
export function renderActivity(container, detail, t, locale) {
  container.replaceChildren();
  if (detail.page_views && detail.page_views.length) {
    const list = el("ol", { class: "activity page-views" });
    for (const view of detail.page_views) {
      list.append(el("li", {}, link(view.url, view.title || view.url), el("small", { class: "muted", text: ` ${formatTime(view.created_at, locale)}` })));
    }
    container.append(el("h4", { text: t("Recent page views") }), list);
  }
  if (detail.events && detail.events.length) {
    const list = el("ol", { class: "activity events" });
    for (const event of detail.events) {
      const props = Object.entries(event.props || {}).map(([k, v]) => `${k}=${v}`).join(", ");
      list.append(el("li", {}, el("strong", { text: event.name }), props ? ` · ${props}` : "",
        el("small", { class: "muted", text: ` ${formatTime(event.created_at, locale)}` })));
    }
    container.append(el("h4", { text: t("Recent events") }), list);
  }
}

/** The company's card for a verified member (e.g. recent orders). */
export async function loadExternalCard(container, api, contactId, t) {
  container.hidden = true;
  let result;
  try { result = await api(`contacts/${contactId}/external-data`); } catch (error) { result = { status: "error", message: error.message }; }
  if (result.status === "not_configured" || result.status === "not_verified") return;
  container.hidden = false;
  if (result.status !== "ok") {
    container.replaceChildren(el("h4", { text: t("External data") }), el("p", { class: "error", text: `${t("Could not load the card")}: ${result.message}` }));
    return;
  }
  const card = result.card;
  const body = [el("h4", { text: card.title })];
  if (card.fields.length) {
    const dl = el("dl", {});
    for (const field of card.fields) dl.append(el("dt", { text: field.label }), el("dd", { text: field.value }));
    body.push(dl);
  }
  if (card.orders.length) {
    const list = el("ul", { class: "orders" });
    for (const order of card.orders) {
      list.append(el("li", {}, link(order.url, order.title),
        order.status ? el("span", { class: "order-status", text: order.status }) : null,
        el("small", { class: "muted", text: [order.amount, order.date].filter(Boolean).join(" · ") })));
    }
    body.push(list);
  }
  if (card.link) body.push(el("p", {}, link(card.link.url, card.link.label)));
  container.replaceChildren(...body);
}

/** Issues made from this conversation, the prefilled link, and "Create GitHub issue". */
export async function loadGithub(container, api, conversationId, t, onCreated) {
  let info;
  try { info = await api(`conversations/${conversationId}/github-issues`); } catch { container.hidden = true; return; }
  // Not set up: nothing to offer (issues made before it was turned off are still listed).
  container.hidden = !info.configured && info.issues.length === 0;
  if (container.hidden) return;
  const list = el("ul", { class: "past issues" });
  for (const issue of info.issues) list.append(el("li", {}, link(issue.html_url, `${issue.repo}#${issue.number}`), ` ${issue.title}`));
  const title = el("input", { type: "text", value: info.title, "aria-label": t("Issue title"), maxLength: 256 });
  const create = el("button", { type: "button", class: "secondary", text: t("Create GitHub issue") });
  const error = el("p", { class: "error", hidden: true });
  create.addEventListener("click", async () => {
    create.disabled = true;
    error.hidden = true;
    try {
      await api(`conversations/${conversationId}/github-issues`, { method: "POST", body: { title: title.value, body: info.body } });
      await loadGithub(container, api, conversationId, t, onCreated);
      if (onCreated) onCreated();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally { create.disabled = false; }
  });
  const parts = [el("h4", { text: "GitHub" }), list];
  if (info.url) parts.push(el("p", {}, link(info.url, t("Open a prefilled issue on GitHub"))));
  // Without a saved token Sangdam can't create it: the prefilled link is the way.
  if (info.can_create) parts.push(el("div", { class: "issue-form" }, title, create), error);
  container.replaceChildren(...parts);
}
