// Settings › Bot report: what to add to or fix in the FAQ (links open the FAQ page's editor).
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";

const faqPage = `/inbox/${boot.workspaceId}/settings/faq`;

async function loadReport() {
  const report = await api("bot/report?days=30");
  const o = report.outcomes;
  $("report-summary").textContent = t("{conversations} conversations with the bot: {answered} answers, {helpful} helpful, {not_helpful} not helpful, {handed_off} handed to a person")
    .replace("{conversations}", o.conversations).replace("{answered}", o.answered).replace("{helpful}", o.helpful)
    .replace("{not_helpful}", o.not_helpful).replace("{handed_off}", o.handed_off);
  $("unanswered-rows").replaceChildren(...report.unanswered.map((question) => {
    const lang = /[\uac00-\ud7a3]/.test(question.text) ? "ko" : "en";
    const add = el("a", { href: `${faqPage}?${new URLSearchParams({ question: question.text, lang })}`, text: t("Add to FAQ") });
    return el("tr", {}, el("td", { text: question.text }), el("td", { text: String(question.count) }),
      el("td", { text: new Date(question.last_at).toLocaleString(boot.locale) }), el("td", {}, add));
  }));
  $("unanswered-empty").hidden = report.unanswered.length > 0;
  // Questions that ask the same thing: one entry with them all as its wordings.
  $("cluster-rows").replaceChildren(...report.clusters.map((cluster) => {
    const [question, ...paraphrases] = cluster.questions;
    const lang = /[\uac00-\ud7a3]/.test(question) ? "ko" : "en";
    const params = new URLSearchParams({ question, lang, paraphrases: paraphrases.join("\n") });
    const add = el("a", { href: `${faqPage}?${params}`, text: t("One FAQ entry for these") });
    return el("tr", {}, el("td", {}, el("ul", { class: "cluster" }, ...cluster.questions.map((text) => el("li", { text })))),
      el("td", { text: String(cluster.count) }), el("td", {}, add));
  }));
  $("clusters").hidden = report.clusters.length === 0;
  $("feedback-rows").replaceChildren(...report.faqs.map((faq) => {
    const edit = el("a", { href: `${faqPage}?${new URLSearchParams({ edit: faq.key })}`, text: t("Edit"), ariaLabel: `${t("Edit")} ${faq.key}` });
    return el("tr", {}, el("td", { text: faq.key }), el("td", { text: faq.question }),
      el("td", { text: String(faq.answered) }), el("td", { text: String(faq.helpful) }),
      el("td", { class: faq.not_helpful ? "danger" : "", text: String(faq.not_helpful) }), el("td", {}, edit));
  }));
}

loadReport().catch((error) => notice(error.message, true));
