// The agent's tools in the inbox: canned responses typed with "/", and tags on
// conversations and contacts (with the list filter). inbox.js owns the state and
// calls in here; nothing in this file parses HTML: every text goes in as text.
import { el } from "/static/shared.js";

export function createDesk(ctx) {
  const { api, t } = ctx;
  const $ = (id) => document.getElementById(id);
  const tags = new Map();
  let filterTagId = null;
  let contact = { id: null, tagIds: [] };

  // ---- tags -----------------------------------------------------------------------

  function chip(tag, onRemove) {
    const node = el("span", { class: "tag-chip", "data-tag-id": String(tag.id) }, el("span", { text: tag.name }));
    node.style.setProperty("--tag", tag.color);
    if (onRemove) {
      const remove = el("button", { type: "button", class: "tag-remove", title: t("Remove tag"), text: "×" });
      remove.setAttribute("aria-label", `${t("Remove tag")} ${tag.name}`);
      remove.addEventListener("click", (event) => { event.stopPropagation(); onRemove(tag); });
      node.append(remove);
    }
    return node;
  }

  function adder(present, onAdd, label) {
    const select = el("select", { class: "tag-add" });
    select.setAttribute("aria-label", label);
    select.append(el("option", { value: "", text: `+ ${t("Tag")}` }));
    for (const tag of [...tags.values()].filter((x) => !present.includes(x.id))) {
      select.append(el("option", { value: String(tag.id), text: tag.name }));
    }
    select.addEventListener("change", () => { if (select.value) onAdd(Number(select.value)); });
    return select;
  }

  async function loadTags() {
    const list = await api("tags").catch(() => []);
    tags.clear();
    for (const tag of list) tags.set(tag.id, tag);
    const filter = $("tag-filter");
    filter.replaceChildren(el("option", { value: "", text: t("All tags") }),
      ...list.map((tag) => el("option", { value: String(tag.id), text: tag.name })));
    filter.value = filterTagId === null ? "" : String(filterTagId);
  }

  function tagsOf(ids) { return (ids || []).map((id) => tags.get(id)).filter(Boolean); }

  function listChips(conversation) {
    const found = tagsOf(conversation.tag_ids);
    return found.length ? el("div", { class: "tag-list" }, ...found.map((tag) => chip(tag))) : null;
  }

  function renderThreadTags(conversation) {
    const bar = $("thread-tags");
    const present = conversation.tag_ids || [];
    const change = async (request) => {
      try { ctx.upsert(await request); } catch (error) { ctx.showError(error.message); }
    };
    bar.replaceChildren(
      ...tagsOf(present).map((tag) => chip(tag, () => change(api(`conversations/${conversation.id}/tags/${tag.id}`, { method: "DELETE" })))),
      adder(present, (tagId) => change(api(`conversations/${conversation.id}/tags`, { method: "POST", body: { tag_id: tagId } })), t("Add a tag to this conversation")));
  }

  function renderContactTags() {
    const box = $("contact-tags");
    const set = (request) => request.then((result) => { contact.tagIds = result.tag_ids; renderContactTags(); })
      .catch((error) => ctx.showError(error.message));
    box.replaceChildren(
      ...tagsOf(contact.tagIds).map((tag) => chip(tag, () => set(api(`contacts/${contact.id}/tags/${tag.id}`, { method: "DELETE" })))),
      adder(contact.tagIds, (tagId) => set(api(`contacts/${contact.id}/tags`, { method: "POST", body: { tag_id: tagId } })), t("Add a tag to this customer")));
  }

  async function showContact(contactId) {
    if (contact.id !== contactId) contact = { id: contactId, tagIds: [] };
    const result = await api(`contacts/${contactId}/tags`).catch(() => null);
    if (result && contact.id === contactId) contact.tagIds = result.tag_ids;
    renderContactTags();
  }

  function contactUpdated(data) {
    if (data.tag_ids && data.contact && data.contact.id === contact.id) {
      contact.tagIds = data.tag_ids;
      renderContactTags();
    }
  }

  // ---- canned responses: "/" in the reply box --------------------------------------

  const input = $("composer-input");
  const picker = el("ul", { id: "canned-picker", class: "canned-picker", hidden: true });
  picker.setAttribute("role", "listbox");
  picker.setAttribute("aria-label", t("Canned responses"));
  input.before(picker);
  let canned = null;
  let shown = [];
  let active = 0;

  function query() {
    const value = input.value;
    return value.startsWith("/") && !value.includes("\n") ? value.slice(1).trim().toLocaleLowerCase() : null;
  }

  function contactLang() {
    const locale = (ctx.contactLocale() || "").toLowerCase();
    return locale.startsWith("ko") ? "ko" : locale ? "en" : null;
  }

  async function refreshPicker() {
    const q = query();
    if (q === null || ctx.current() === null) { closePicker(); return; }
    if (canned === null) canned = await api("canned-responses").catch(() => []);
    const lang = contactLang();
    const score = (c) => (c.shortcut.toLocaleLowerCase().startsWith(q) ? 0 : 2) + (c.lang && lang && c.lang !== lang ? 1 : 0);
    shown = canned.filter((c) => c.shortcut.toLocaleLowerCase().includes(q) || c.title.toLocaleLowerCase().includes(q))
      .sort((a, b) => score(a) - score(b) || a.shortcut.localeCompare(b.shortcut));
    active = Math.min(active, Math.max(0, shown.length - 1));
    picker.replaceChildren();
    shown.forEach((c, index) => {
      const item = el("li", { class: `canned-item${index === active ? " active" : ""}`, "data-id": String(c.id) },
        el("strong", { text: `/${c.shortcut}` }),
        el("span", { class: "canned-title", text: ` ${c.title}` }),
        c.lang ? el("small", { class: "muted", text: ` · ${c.lang}` }) : null,
        el("small", { class: "canned-scope muted", text: ` · ${t(SCOPE_LABELS[c.scope] || c.scope)}` }),
        el("div", { class: "canned-body muted", text: c.body.slice(0, 140) }));
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(index === active));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(c, true); });
      picker.append(item);
    });
    if (shown.length === 0) picker.append(el("li", { class: "muted canned-empty", text: t("No canned response matches.") }));
    picker.hidden = false;
  }

  function closePicker() { picker.hidden = true; shown = []; active = 0; }

  async function choose(item, sendNow) {
    const conversationId = ctx.current();
    closePicker();
    let rendered;
    try {
      rendered = await api(`canned-responses/${item.id}/render`, { method: "POST", body: { conversation_id: conversationId } });
    } catch (error) { ctx.showError(error.message); return; }
    if (sendNow && rendered.unknown.length === 0) {
      input.value = "";
      ctx.send(rendered.body);
    } else {
      // Unknown variables stay visible for the agent to fix before sending.
      input.value = rendered.body;
      if (rendered.unknown.length) ctx.showError(`${t("Unknown variables, check before sending:")} ${rendered.unknown.map((v) => `{{${v}}}`).join(", ")}`);
    }
    input.focus();
  }

  input.addEventListener("input", () => { active = 0; refreshPicker(); });
  // Capture: runs before the composer's own Enter-to-send.
  input.addEventListener("keydown", (event) => {
    if (picker.hidden || event.isComposing) return;
    const move = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (move && shown.length) {
      active = (active + move + shown.length) % shown.length;
      refreshPicker();
    } else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      // No match: Enter must not send "/세금" to the customer; the picker says nothing matches.
      if (shown.length) choose(shown[active], event.key === "Enter");
    } else if (event.key === "Escape") {
      closePicker();
    } else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);
  input.addEventListener("blur", () => setTimeout(closePicker, 150));

  // ---- wiring -------------------------------------------------------------------

  $("tag-filter").addEventListener("change", (event) => {
    filterTagId = event.target.value ? Number(event.target.value) : null;
    ctx.reloadList();
  });

  return {
    async start() { await loadTags(); },
    matchesFilter: (conversation) => filterTagId === null || (conversation.tag_ids || []).includes(filterTagId),
    listParams: () => (filterTagId === null ? "" : `&tag_id=${filterTagId}`),
    listChips,
    renderThreadTags,
    showContact,
    contactUpdated,
    conversationChanged() { canned = null; },
  };
}

const SCOPE_LABELS = { personal: "Personal", team: "Team", workspace: "Workspace" };
