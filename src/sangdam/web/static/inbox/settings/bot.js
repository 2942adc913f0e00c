// Settings › Support bot: on/off, what it says in Korean and English, and its topic buttons.
import { el } from "/static/shared.js";
import { $, api, notice, t } from "/static/inbox/page.js";

const FIELD_LABELS = {
  greeting: "Greeting", pick_question: "Asking to pick a question", ask_feedback: "Asking if it helped",
  thanks: "When it helped", offer_human: "When it did not help", unsure: "When the bot is unsure",
  handoff: "Handing off to a person",
  handoff_away: "Handing off outside business hours ({when}: when you're back)",
  handoff_away_later: "Handing off outside business hours, next opening unknown",
  yes_label: "Yes button", no_label: "No button",
  human_label: "Talk-to-a-person button", more_label: "Read-more link",
};
const TEXT_FIELDS = Object.keys(FIELD_LABELS);

function categoryRow(category = { key: "", label: { ko: "", en: "" } }) {
  const remove = el("button", { type: "button", class: "link", text: t("Remove") });
  const row = el("tr", {},
    el("td", {}, el("input", { name: "key", value: category.key, required: true, ariaLabel: t("Category") })),
    el("td", {}, el("input", { name: "ko", value: category.label.ko, required: true, ariaLabel: `${t("Category")} (한국어)` })),
    el("td", {}, el("input", { name: "en", value: category.label.en, required: true, ariaLabel: `${t("Category")} (English)` })),
    el("td", {}, remove));
  remove.addEventListener("click", () => row.remove());
  return row;
}

async function loadFlow() {
  const flow = await api("bot/flow");
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

$("flow-form").addEventListener("submit", saveFlow);
$("add-category").addEventListener("click", () => {
  const row = categoryRow();
  $("category-rows").append(row);
  row.querySelector("input").focus();
});
loadFlow().catch((error) => notice(error.message, true));
