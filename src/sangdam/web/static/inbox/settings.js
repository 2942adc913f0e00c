// Admin settings: the bot flow, FAQ entries (with JSONL import/export) and help-center articles.
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";


// ---- bot flow ------------------------------------------------------------------------

const FIELD_LABELS = {
  greeting: "Greeting", pick_question: "Asking to pick a question", ask_feedback: "Asking if it helped",
  thanks: "When it helped", offer_human: "When it did not help", unsure: "When the bot is unsure",
  handoff: "Handing off to a person", yes_label: "Yes button", no_label: "No button",
  human_label: "Talk-to-a-person button", more_label: "Read-more link",
};
const TEXT_FIELDS = Object.keys(FIELD_LABELS);
let flow = null;

function categoryRow(category = { key: "", label: { ko: "", en: "" } }) {
  const remove = el("button", { type: "button", class: "link", text: t("Remove") });
  const row = el("tr", {},
    el("td", {}, el("input", { name: "key", value: category.key, required: true })),
    el("td", {}, el("input", { name: "ko", value: category.label.ko, required: true })),
    el("td", {}, el("input", { name: "en", value: category.label.en, required: true })),
    el("td", {}, remove));
  remove.addEventListener("click", () => row.remove());
  return row;
}

async function loadFlow() {
  flow = await api("bot/flow");
  const form = $("flow-form");
  form.enabled.checked = flow.enabled;
  const texts = $("flow-texts");
  texts.replaceChildren();
  for (const field of TEXT_FIELDS) {
    for (const lang of ["ko", "en"]) {
      texts.append(el("label", {}, `${t(FIELD_LABELS[field])} (${lang === "ko" ? "한국어" : "English"})`,
        el("input", { name: `${field}.${lang}`, value: flow.definition[field][lang], required: true })));
    }
  }
  $("category-rows").replaceChildren(...flow.definition.categories.map(categoryRow));
}

async function saveFlow(event) {
  event.preventDefault();
  const form = $("flow-form");
  const definition = { categories: [] };
  for (const field of TEXT_FIELDS) definition[field] = { ko: form[`${field}.ko`].value, en: form[`${field}.en`].value };
  for (const row of $("category-rows").children) {
    const value = (name) => row.querySelector(`[name=${name}]`).value.trim();
    definition.categories.push({ key: value("key"), label: { ko: value("ko"), en: value("en") } });
  }
  try {
    await api("bot/flow", { method: "PUT", body: { enabled: form.enabled.checked, definition } });
    notice(t("Saved."));
  } catch (error) { notice(error.message, true); }
}

// ---- FAQ -----------------------------------------------------------------------------

let faqsByKey = new Map();

async function loadFaqs() {
  const entries = await api("faqs");
  faqsByKey = new Map(entries.map((entry) => [entry.key, entry]));
  $("faq-rows").replaceChildren(...entries.map((entry) => {
    const edit = el("button", { type: "button", class: "link", text: t("Edit") });
    const remove = el("button", { type: "button", class: "link danger", text: t("Delete") });
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

function editFaq(entry) {
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
  form.scrollIntoView({ behavior: "smooth" });
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
    editFaq(null);
    loadFaqs();
    loadFlow();
  } catch (error) { notice(error.message, true); }
}

// ---- bot report: what to add to or fix in the FAQ ----------------------------------------

async function loadReport() {
  const report = await api("bot/report?days=30");
  const o = report.outcomes;
  $("report-summary").textContent = t("{conversations} conversations with the bot: {answered} answers, {helpful} helpful, {not_helpful} not helpful, {handed_off} handed to a person")
    .replace("{conversations}", o.conversations).replace("{answered}", o.answered).replace("{helpful}", o.helpful)
    .replace("{not_helpful}", o.not_helpful).replace("{handed_off}", o.handed_off);
  $("unanswered-rows").replaceChildren(...report.unanswered.map((question) => {
    const add = el("button", { type: "button", class: "link", text: t("Add to FAQ") });
    add.addEventListener("click", () => {
      editFaq(null);
      const form = $("faq-form");
      form.question.value = question.text;
      form.lang.value = /[\uac00-\ud7a3]/.test(question.text) ? "ko" : "en";
    });
    return el("tr", {}, el("td", { text: question.text }), el("td", { text: String(question.count) }),
      el("td", { text: new Date(question.last_at).toLocaleString(boot.locale) }), el("td", {}, add));
  }));
  $("unanswered-empty").hidden = report.unanswered.length > 0;
  $("feedback-rows").replaceChildren(...report.faqs.map((faq) => {
    const entry = faqsByKey.get(faq.key);
    const edit = entry ? el("button", { type: "button", class: "link", text: t("Edit") }) : null;
    if (edit) edit.addEventListener("click", () => editFaq(entry));
    return el("tr", {}, el("td", { text: faq.key }), el("td", { text: faq.question }),
      el("td", { text: String(faq.answered) }), el("td", { text: String(faq.helpful) }),
      el("td", { class: faq.not_helpful ? "danger" : "", text: String(faq.not_helpful) }), el("td", {}, edit));
  }));
}

async function importFile() {
  const file = $("import-file").files[0];
  if (!file) return;
  try {
    const result = await api(`faqs/import?replace=${$("import-replace").checked}`, { method: "POST", raw: await file.arrayBuffer() });
    notice(`${t("Imported")}: ${result.created} ${t("new")}, ${result.updated} ${t("updated")}, ${result.deleted} ${t("deleted")}.`);
    loadFaqs();
    loadFlow();
  } catch (error) { notice(error.message, true); }
  $("import-file").value = "";
}

// ---- articles ------------------------------------------------------------------------

async function loadArticles() {
  const articles = await api("articles");
  $("article-rows").replaceChildren(...articles.map((article) => {
    const edit = el("button", { type: "button", class: "link", text: t("Edit") });
    edit.addEventListener("click", () => editArticle(article));
    return el("tr", {}, el("td", {}, el("a", { href: article.url, target: "_blank", rel: "noopener", text: article.title })),
      el("td", { text: article.lang }), el("td", { text: article.category || "" }), el("td", {}, edit));
  }));
}

function editArticle(article) {
  const form = $("article-form");
  form.db_id.value = article ? article.id : "";
  for (const name of ["title", "slug", "category", "description", "body"]) form[name].value = article ? article[name] || "" : "";
  form.lang.value = article ? article.lang : "ko";
  form.published.checked = article ? article.published : true;
  $("article-form-title").textContent = article ? `${t("Edit")} · ${article.title}` : t("New article");
  form.scrollIntoView({ behavior: "smooth" });
}

async function saveArticle(event) {
  event.preventDefault();
  const form = $("article-form");
  const body = {
    title: form.title.value, slug: form.slug.value.trim(), category: form.category.value.trim() || null,
    description: form.description.value, body: form.body.value, lang: form.lang.value, published: form.published.checked,
  };
  try {
    if (form.db_id.value) await api(`articles/${form.db_id.value}`, { method: "PUT", body });
    else await api("articles", { method: "POST", body });
    notice(t("Saved."));
    editArticle(null);
    loadArticles();
  } catch (error) { notice(error.message, true); }
}

$("flow-form").addEventListener("submit", saveFlow);
$("add-category").addEventListener("click", () => $("category-rows").append(categoryRow()));
$("faq-form").addEventListener("submit", saveFaq);
$("faq-cancel").addEventListener("click", () => editFaq(null));
$("article-form").addEventListener("submit", saveArticle);
$("article-cancel").addEventListener("click", () => editArticle(null));
$("import-file").addEventListener("change", importFile);
$("help-link").href = boot.helpUrl;
$("help-link").textContent = boot.helpUrl;
loadFlow();
loadFaqs().then(loadReport).catch((error) => notice(error.message, true));
loadArticles();
