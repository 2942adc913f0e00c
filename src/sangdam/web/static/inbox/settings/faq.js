// Settings › FAQ: the entries the bot answers from and agents search, with JSONL import/export.
// The bot report links here with ?question=…&lang=… (a new entry) or ?edit=<key>.
import { el } from "/static/shared.js";
import { $, api, notice, t } from "/static/inbox/page.js";

let faqsByKey = new Map();

async function loadFaqs() {
  const entries = await api("faqs");
  faqsByKey = new Map(entries.map((entry) => [entry.key, entry]));
  $("faq-rows").replaceChildren(...entries.map((entry) => {
    const edit = el("button", { type: "button", class: "link", text: t("Edit"), ariaLabel: `${t("Edit")} ${entry.key}` });
    const remove = el("button", { type: "button", class: "link danger", text: t("Delete"), ariaLabel: `${t("Delete")} ${entry.key}` });
    edit.addEventListener("click", () => editFaq(entry));
    remove.addEventListener("click", async () => {
      if (!confirm(`${t("Delete")} ${entry.key}?`)) return;
      await api(`faqs/${entry.id}`, { method: "DELETE" }).catch((e) => notice(e.message, true));
      loadFaqs();
    });
    return el("tr", {}, el("td", { text: entry.key }), el("td", { text: entry.category }),
      el("td", { text: entry.question }), el("td", { text: entry.lang }), el("td", {}, edit, " ", remove));
  }));
}

function editFaq(entry, { focus = true } = {}) {
  const form = $("faq-form");
  form.db_id.value = entry ? entry.id : "";
  form.id.value = entry ? entry.key : "";
  form.category.value = entry ? entry.category : "";
  form.question.value = entry ? entry.question : "";
  form.lang.value = entry ? entry.lang : "ko";
  form.paraphrases.value = entry ? entry.paraphrases.join("\n") : "";
  form.answer.value = entry ? entry.answer : "";
  form.article.value = "";
  $("faq-form-title").textContent = entry ? `${t("Edit")} · ${entry.key}` : t("New FAQ entry");
  if (focus) {
    form.scrollIntoView({ behavior: "smooth" });
    form.id.focus({ preventScroll: true });
  }
}

async function saveFaq(event) {
  event.preventDefault();
  const form = $("faq-form");
  const body = {
    id: form.id.value.trim(), category: form.category.value.trim(), question: form.question.value.trim(),
    paraphrases: form.paraphrases.value.split("\n").map((p) => p.trim()).filter(Boolean),
    answer: form.answer.value, lang: form.lang.value, article: form.article.value.trim() || null,
  };
  try {
    if (form.db_id.value) await api(`faqs/${form.db_id.value}`, { method: "PUT", body });
    else await api("faqs", { method: "POST", body });
    notice(t("Saved."));
    editFaq(null, { focus: false });
    loadFaqs();
  } catch (error) { notice(error.message, true); }
}

async function importFile() {
  const file = $("import-file").files[0];
  if (!file) return;
  try {
    const result = await api(`faqs/import?replace=${$("import-replace").checked}`, { method: "POST", raw: await file.arrayBuffer() });
    notice(`${t("Imported")}: ${result.created} ${t("new")}, ${result.updated} ${t("updated")}, ${result.deleted} ${t("deleted")}.`);
    loadFaqs();
  } catch (error) { notice(error.message, true); }
  $("import-file").value = "";
}

// What the bot report asked for: a new entry for an unanswered question, or an entry to fix.
function prefill() {
  const query = new URLSearchParams(location.search);
  if (query.has("edit") && faqsByKey.has(query.get("edit"))) editFaq(faqsByKey.get(query.get("edit")));
  else if (query.has("question")) {
    editFaq(null);
    const form = $("faq-form");
    form.question.value = query.get("question");
    // A group of unanswered questions from the bot report: the others are paraphrases.
    if (query.has("paraphrases")) form.paraphrases.value = query.get("paraphrases");
    form.lang.value = query.get("lang") === "en" ? "en" : "ko";
  }
}

$("faq-form").addEventListener("submit", saveFaq);
$("faq-cancel").addEventListener("click", () => editFaq(null, { focus: false }));
$("import-file").addEventListener("change", importFile);
loadFaqs().then(prefill).catch((error) => notice(error.message, true));
