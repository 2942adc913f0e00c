// Settings › Help center: the public articles (Markdown), and the link to the help center.
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";

async function loadArticles() {
  const articles = await api("articles");
  $("article-rows").replaceChildren(...articles.map((article) => {
    const edit = el("button", { type: "button", class: "link", text: t("Edit"), ariaLabel: `${t("Edit")} ${article.title}` });
    edit.addEventListener("click", () => editArticle(article));
    return el("tr", {}, el("td", {}, el("a", { href: article.url, target: "_blank", rel: "noopener", text: article.title })),
      el("td", { text: article.lang }), el("td", { text: article.category || "" }), el("td", {}, edit));
  }));
}

function editArticle(article, { focus = true } = {}) {
  const form = $("article-form");
  form.db_id.value = article ? article.id : "";
  for (const name of ["title", "slug", "category", "description", "body"]) form[name].value = article ? article[name] || "" : "";
  form.lang.value = article ? article.lang : "ko";
  form.published.checked = article ? article.published : true;
  $("article-form-title").textContent = article ? `${t("Edit")} · ${article.title}` : t("New article");
  if (focus) {
    form.scrollIntoView({ behavior: "smooth" });
    form.title.focus({ preventScroll: true });
  }
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
    editArticle(null, { focus: false });
    loadArticles();
  } catch (error) { notice(error.message, true); }
}

$("article-form").addEventListener("submit", saveArticle);
$("article-cancel").addEventListener("click", () => editArticle(null, { focus: false }));
$("help-link").href = boot.helpUrl;
$("help-link").textContent = boot.helpUrl;
loadArticles().catch((error) => notice(error.message, true));
