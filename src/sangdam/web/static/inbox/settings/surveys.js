// Settings › Surveys: questions asked after a chat ends (csat/), and their answers.
import { el } from "/static/shared.js";
import { $, api, notice, t } from "/static/inbox/page.js";

const KINDS = [["rating", "Rating 1–5"], ["choice", "Choice"], ["text", "Text"]];
const CHANNELS = { both: "Widget and email", widget: "Widget", email: "Email" };

function questionRow(question = { kind: "rating", text: "", options: [], required: false }) {
  const kind = el("select", { name: "kind", ariaLabel: t("Question type") },
    ...KINDS.map(([value, label]) => el("option", { value, text: t(label), selected: value === question.kind })));
  const text = el("input", { name: "text", required: true, maxLength: 300, value: question.text, placeholder: t("Question"), ariaLabel: t("Question") });
  const options = el("input", { name: "options", value: question.options.join(", "), placeholder: t("Options, separated by commas"), ariaLabel: t("Options, separated by commas") });
  const required = el("input", { type: "checkbox", name: "required", checked: question.required });
  const remove = el("button", { type: "button", class: "link danger", text: t("Delete") });
  const row = el("div", { class: "question-row toolbar" }, kind, text, options,
    el("label", { class: "inline" }, required, ` ${t("Required")}`), remove);
  const showOptions = () => { options.hidden = kind.value !== "choice"; };
  kind.addEventListener("change", showOptions);
  remove.addEventListener("click", () => row.remove());
  showOptions();
  return row;
}

function resetForm(survey = null) {
  const form = $("survey-form");
  form.reset();
  form.id.value = survey ? survey.id : "";
  $("survey-form-title").textContent = survey ? `${t("Edit survey")}: ${survey.name}` : t("New survey");
  if (survey) {
    form.name.value = survey.name;
    form.send_after_hours.value = survey.send_after_hours;
    form.channel.value = survey.channel;
    form.active.checked = survey.active;
  }
  $("question-rows").replaceChildren(...(survey ? survey.questions : [undefined]).map(questionRow));
}

function resultsCard(results) {
  const rows = results.questions.map((question) => {
    let detail;
    if (question.kind === "text") detail = question.texts.slice(-5).join(" / ");
    else detail = Object.entries(question.counts).map(([answer, count]) => `${answer}: ${count}`).join(" · ");
    const average = question.average != null ? ` (${t("Average")} ${question.average})` : "";
    return el("tr", {}, el("td", { text: question.question }), el("td", { text: String(question.answers) + average }), el("td", { text: detail }));
  });
  return el("div", { class: "card" },
    el("h2", { text: `${results.survey.name}: ${t("Sent")} ${results.sent} · ${t("Answered")} ${results.answered}` }),
    el("table", { class: "rows" },
      el("thead", {}, el("tr", {}, el("th", { text: t("Question") }), el("th", { text: t("Answers") }), el("th", {}))),
      el("tbody", {}, ...rows)));
}

async function loadSurveys() {
  const surveys = await api("surveys");
  $("survey-rows").replaceChildren(...surveys.map((survey) => {
    const edit = el("button", { type: "button", class: "link", text: t("Edit") });
    const results = el("button", { type: "button", class: "link", text: t("Results") });
    const answered = el("td", { text: "…" });
    edit.addEventListener("click", () => resetForm(survey));
    results.addEventListener("click", async () => {
      try {
        const data = await api(`reports/surveys/${survey.id}`);
        $("survey-results").replaceChildren(resultsCard(data));
        $("survey-results").hidden = false;
      } catch (error) { notice(error.message, true); }
    });
    api(`reports/surveys/${survey.id}`).then((data) => { answered.textContent = `${data.answered} / ${data.sent}`; }).catch(() => {});
    const when = survey.send_after_hours ? t("{hours} hours after").replace("{hours}", survey.send_after_hours) : t("When resolved");
    return el("tr", { "data-id": String(survey.id), class: survey.active ? "" : "muted" },
      el("td", { text: survey.name }), el("td", { text: when }), el("td", { text: t(CHANNELS[survey.channel]) }),
      answered, el("td", {}, edit, " ", results));
  }));
}

async function saveSurvey(event) {
  event.preventDefault();
  const form = event.target;
  const questions = [...$("question-rows").children].map((row) => ({
    kind: row.querySelector("[name=kind]").value,
    text: row.querySelector("[name=text]").value,
    options: row.querySelector("[name=kind]").value === "choice"
      ? row.querySelector("[name=options]").value.split(",").map((o) => o.trim()).filter(Boolean) : [],
    required: row.querySelector("[name=required]").checked,
  }));
  const body = {
    name: form.name.value,
    questions,
    send_after_hours: Number(form.send_after_hours.value),
    channel: form.channel.value,
    active: form.active.checked,
  };
  try {
    if (form.id.value) await api(`surveys/${form.id.value}`, { method: "PUT", body });
    else await api("surveys", { method: "POST", body });
    notice(t("Saved."));
    resetForm();
    await loadSurveys();
  } catch (error) { notice(error.message, true); }
}

$("survey-form").addEventListener("submit", saveSurvey);
$("question-add").addEventListener("click", () => $("question-rows").append(questionRow()));
$("survey-cancel").addEventListener("click", () => resetForm());
resetForm();
loadSurveys().catch((error) => notice(error.message, true));
