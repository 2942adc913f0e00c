// Settings › Teams and business hours: members, auto-assign, caps, no-answer timeout,
// business hours and Slack per team.
// Uses the routing REST endpoints; every write carries the session's CSRF token.
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };
const DEFAULT_HOURS = {
  timezone: "Asia/Seoul",
  weekly: Object.fromEntries(["mon", "tue", "wed", "thu", "fri"].map((d) => [d, [["09:00", "12:00"], ["13:00", "18:00"]]])),
  holidays: "KR",
  closed_dates: [],
};

let teams = [];
let agents = [];
let editing = null; // the team being edited, or {} for a new one

async function loadTeams() {
  [teams, agents] = await Promise.all([api("teams"), api("agents/status")]);
  $("team-rows").replaceChildren(...teams.map((team) => {
    const edit = el("button", { type: "button", class: "link", text: t("Edit") });
    edit.addEventListener("click", () => editTeam(team));
    const members = team.everyone ? t("Everyone") : String(team.member_ids.length);
    const now = el("span", { class: team.open_now ? "badge" : "badge closed", text: team.open_now ? t("Open now") : t("Closed now") });
    return el("tr", { "data-team": team.id },
      el("td", { text: team.name }), el("td", { text: members }),
      el("td", { text: team.auto_assign ? t("On") : t("Off") }), el("td", { text: String(team.queue_size) }),
      el("td", {}, now), el("td", {}, edit));
  }));
}

function intervalRow(day, [start, end] = ["09:00", "18:00"]) {
  const remove = el("button", { type: "button", class: "link danger", text: "×", title: t("Remove") });
  const row = el("span", { class: "interval" },
    el("input", { type: "time", name: `${day}-start`, value: start, required: true, ariaLabel: `${t(DAY_NAMES[day])} ${t("from")}` }),
    "–",
    el("input", { type: "time", name: `${day}-end`, value: end, required: true, ariaLabel: `${t(DAY_NAMES[day])} ${t("until")}` }),
    remove);
  remove.addEventListener("click", () => row.remove());
  return row;
}

function dayRow(day, intervals) {
  const list = el("span", { class: "intervals" }, ...intervals.map((i) => intervalRow(day, i)));
  const add = el("button", { type: "button", class: "link", text: `+ ${t("Add interval")}`, "data-day": day });
  add.addEventListener("click", () => list.append(intervalRow(day, ["13:00", "18:00"])));
  return el("tr", { "data-day": day }, el("td", { class: "day-name", text: t(DAY_NAMES[day]) }), el("td", {}, list, add));
}

function readWeekly() {
  const weekly = {};
  for (const row of $("day-rows").children) {
    const intervals = [...row.querySelectorAll(".interval")].map((span) => {
      const [start, end] = span.querySelectorAll("input");
      return [start.value, end.value];
    }).filter(([start, end]) => start && end);
    if (intervals.length) weekly[row.dataset.day] = intervals;
  }
  return weekly;
}

function showHours(hours) {
  const form = $("team-form");
  form.always_open.checked = hours === null;
  const shown = hours || DEFAULT_HOURS;
  form.timezone.value = shown.timezone;
  form.holidays_kr.checked = shown.holidays === "KR";
  form.closed_dates.value = (shown.closed_dates || []).join("\n");
  $("day-rows").replaceChildren(...DAYS.map((day) => dayRow(day, (shown.weekly[day] || []).map(([a, b]) => [a.slice(0, 5), b.slice(0, 5)]))));
  $("hours-fields").hidden = hours === null;
}

function editTeam(team) {
  editing = team || {};
  const form = $("team-form");
  form.hidden = false;
  form.name.value = team ? team.name : "";
  form.auto_assign.checked = team ? team.auto_assign : false;
  form.no_answer_minutes.value = team ? team.no_answer_minutes : 5;
  $("team-form-title").textContent = team ? `${t("Edit")} · ${team.name}` : t("New team");
  const everyone = Boolean(team && team.everyone);
  $("everyone-note").hidden = !everyone;
  $("team-delete").hidden = !team || everyone;
  $("member-rows").replaceChildren(...agents.map((agent) => el("tr", { "data-agent": agent.id },
    el("td", {}, el("input", { type: "checkbox", name: "member", value: agent.id, checked: everyone || Boolean(team && team.member_ids.includes(agent.id)), disabled: everyone, ariaLabel: agent.name })),
    el("td", { text: agent.name }),
    el("td", {}, el("input", { type: "number", name: "cap", min: 0, max: 100, value: agent.max_concurrent, ariaLabel: `${t("Cap")} ${agent.name}` })))));
  showHours(team ? team.hours : DEFAULT_HOURS);
  form.slack_url.value = "";
  form.slack_off.checked = false;
  form.slack_business_hours_only.checked = Boolean(team && team.slack && team.slack.business_hours_only);
  $("slack-current").textContent = team && team.slack ? `${t("Sending to")} ${team.slack.url_hint}` : t("Slack is off for this team.");
  form.scrollIntoView({ behavior: "smooth" });
}

function closeEditor() {
  editing = null;
  $("team-form").hidden = true;
}

async function saveTeam(event) {
  event.preventDefault();
  const form = $("team-form");
  const memberIds = [...form.querySelectorAll("input[name=member]:checked")].map((box) => Number(box.value));
  const body = {
    name: form.name.value.trim(),
    auto_assign: form.auto_assign.checked,
    no_answer_minutes: Number(form.no_answer_minutes.value),
    member_ids: editing.everyone ? [] : memberIds,
  };
  try {
    const team = editing.id ? await api(`teams/${editing.id}`, { method: "PUT", body }) : await api("teams", { method: "POST", body });
    editing = team;
    const hours = form.always_open.checked ? null : {
      timezone: form.timezone.value.trim(),
      weekly: readWeekly(),
      holidays: form.holidays_kr.checked ? "KR" : null,
      closed_dates: form.closed_dates.value.split(/\s+/).map((d) => d.trim()).filter(Boolean),
    };
    await api(`teams/${team.id}/hours`, { method: "PUT", body: hours });
    const url = form.slack_url.value.trim();
    if (form.slack_off.checked) await api(`teams/${team.id}/slack`, { method: "PUT", body: null });
    else if (url) await api(`teams/${team.id}/slack`, { method: "PUT", body: { url, business_hours_only: form.slack_business_hours_only.checked } });
    for (const row of $("member-rows").children) {
      const agent = agents.find((a) => a.id === Number(row.dataset.agent));
      const cap = Number(row.querySelector("input[name=cap]").value);
      if (agent && cap !== agent.max_concurrent) await api(`agents/${agent.id}/cap`, { method: "PUT", body: { max_concurrent: cap } });
    }
    notice(t("Saved."));
    closeEditor();
  } catch (error) { notice(error.message, true); }
  await loadTeams();
}

async function deleteTeam() {
  if (!editing || !editing.id || !confirm(`${t("Delete team")} ${editing.name}?`)) return;
  try {
    await api(`teams/${editing.id}`, { method: "DELETE" });
    closeEditor();
  } catch (error) { notice(error.message, true); }
  await loadTeams();
}

function copyMonday() {
  const monday = [...$("day-rows").querySelector("[data-day=mon]").querySelectorAll(".interval")].map((span) => [...span.querySelectorAll("input")].map((i) => i.value));
  for (const day of ["tue", "wed", "thu", "fri"]) {
    $("day-rows").querySelector(`[data-day=${day}]`).replaceWith(dayRow(day, monday));
  }
}

$("add-team").addEventListener("click", () => editTeam(null));
$("team-form").addEventListener("submit", saveTeam);
$("team-cancel").addEventListener("click", closeEditor);
$("team-delete").addEventListener("click", deleteTeam);
$("copy-monday").addEventListener("click", copyMonday);
$("team-form").always_open.addEventListener("change", (event) => { $("hours-fields").hidden = event.target.checked; });
loadTeams().catch((error) => notice(error.message, true));
