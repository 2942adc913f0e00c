// Settings › Tags: labels for conversations and customers (agents add them; rules can too).
import { el } from "/static/shared.js";
import { $, api, notice, t } from "/static/inbox/page.js";

async function loadTags() {
  const tags = await api("tags");
  $("tag-rows").replaceChildren(...tags.map((tag) => {
    const name = el("input", { value: tag.name, maxLength: 50, ariaLabel: t("Tag") });
    const color = el("input", { type: "color", value: tag.color, ariaLabel: `${t("Colour")} ${tag.name}` });
    const save = el("button", { type: "button", class: "link", text: t("Save"), ariaLabel: `${t("Save")} ${tag.name}` });
    const remove = el("button", { type: "button", class: "link danger", text: t("Delete"), ariaLabel: `${t("Delete")} ${tag.name}` });
    save.addEventListener("click", async () => {
      try { await api(`tags/${tag.id}`, { method: "PUT", body: { name: name.value, color: color.value } }); notice(t("Saved.")); await loadTags(); }
      catch (error) { notice(error.message, true); }
    });
    remove.addEventListener("click", async () => {
      if (!confirm(`${t("Delete")} ${tag.name}?`)) return;
      try { await api(`tags/${tag.id}`, { method: "DELETE" }); await loadTags(); } catch (error) { notice(error.message, true); }
    });
    return el("tr", { "data-id": String(tag.id) }, el("td", {}, name), el("td", {}, color), el("td", {}, save, " ", remove));
  }));
}

async function addTag(event) {
  event.preventDefault();
  const form = event.target;
  try {
    await api("tags", { method: "POST", body: { name: form.name.value, color: form.color.value } });
    form.name.value = "";
    await loadTags();
  } catch (error) { notice(error.message, true); }
}

$("tag-form").addEventListener("submit", addTag);
loadTags().catch((error) => notice(error.message, true));
