// Settings › Reports: volume, times, breakdowns, the bot funnel, CSAT and agents for a date
// range (the workspace's days), each beside the period before it, with CSV and the
// conversations behind a bar. Charts: Chart.js (static/vendor/chartjs, loaded by the page).
import { el } from "/static/shared.js";
import { $, api, base, boot, notice, t } from "/static/inbox/page.js";

const Chart = window.Chart;
const charts = {};
const ACCENT = "#4263eb";
const PREVIOUS = "#adb5bd";
const WEEKDAYS = [t("Mon"), t("Tue"), t("Wed"), t("Thu"), t("Fri"), t("Sat"), t("Sun")];
const TIMES = [
  ["first_response", t("First response")],
  ["wait", t("Wait in queue")],
  ["reply_avg", t("Reply time")],
  ["resolution", t("Resolution")],
];
const FUNNEL = [
  ["started", t("Started with the bot")],
  ["answered", t("Answered by the bot")],
  ["helped", t("Helped")],
  ["handed_off", t("Handed to a person")],
  ["resolved", t("Resolved")],
  ["bot_resolved", t("Resolved by the bot alone")],
];
const CHANNELS = { web_widget: t("Chat widget"), email: t("Email") };
let range = null; // { from, to }
let drill = null; // the drill-down's query, for "More"

const query = (extra = {}) => new URLSearchParams({ ...(range || {}), ...extra }).toString();
const number = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString(boot.locale));

// 4500 → "1 h 15 min" ("1시간 15분"): support teams read minutes, not seconds.
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  if (s < 60) return t("{n} s").replace("{n}", s);
  const minutes = Math.round(s / 60);
  if (minutes < 60) return t("{n} min").replace("{n}", minutes);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const h = t("{n} h").replace("{n}", hours);
  return rest ? `${h} ${t("{n} min").replace("{n}", rest)}` : h;
}

function change(now, before) {
  if (!before) return "";
  const percent = Math.round(((now - before) / before) * 100);
  return `${percent >= 0 ? "+" : ""}${percent}%`;
}

function label(dimension, row) {
  if (row.key === null || row.key === undefined) return t("None");
  if (dimension === "channel") return CHANNELS[row.label] || row.label;
  return row.label || String(row.key);
}

function draw(id, config) {
  if (!Chart) return null;
  if (charts[id]) charts[id].destroy();
  // No animation: the numbers are what matter, and screenshots and tests see the end state.
  config.options = { animation: false, maintainAspectRatio: false, responsive: true, ...config.options };
  charts[id] = new Chart($(id), config);
  return charts[id];
}

function tile(name, value, previous) {
  return [el("div", { class: "tile" }, el("dt", { text: name }), el("dd", {}, el("strong", { text: value }), el("span", { class: "muted", text: previous })))];
}

function csvLinks() {
  for (const link of document.querySelectorAll("a.csv")) {
    const extra = { report: link.dataset.report };
    if (link.dataset.report === "breakdown") extra.by = $("breakdown-by").value;
    if (link.dataset.report === "csat") extra.by = "week";
    link.href = `${base}/reports/export?${query(extra)}`;
    link.setAttribute("download", "");
    link.setAttribute("aria-label", `CSV: ${link.closest(".report-head").querySelector("h2, h3").textContent}`);
  }
}

// ---- volume --------------------------------------------------------------------------

async function loadVolume() {
  const volume = await api(`reports/volume?${query()}`);
  if (!range) {
    range = { from: volume.days[0].date, to: volume.days[volume.days.length - 1].date };
    $("range-from").value = range.from;
    $("range-to").value = range.to;
  }
  draw("volume-chart", {
    type: "bar",
    data: { labels: volume.days.map((d) => d.date.slice(5)), datasets: [{ label: t("Conversations started"), data: volume.days.map((d) => d.conversations), backgroundColor: ACCENT }] },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      onClick: (_event, bars) => { if (bars.length) showDrill({ day: volume.days[bars[0].index].date }, volume.days[bars[0].index].date); },
    },
  });
  const most = Math.max(1, ...volume.heatmap.flat());
  const head = el("tr", {}, el("th", {}), ...Array.from({ length: 24 }, (_, hour) => el("th", { scope: "col", text: String(hour) })));
  const rows = volume.heatmap.map((hours, weekday) => el("tr", {}, el("th", { scope: "row", text: WEEKDAYS[weekday] }),
    ...hours.map((count, hour) => {
      const cell = el("td", { text: count ? String(count) : "", title: `${WEEKDAYS[weekday]} ${hour}:00 · ${count}` });
      // CSSOM, not a style attribute: allowed by the page's CSP.
      cell.style.backgroundColor = count ? `rgba(66, 99, 235, ${0.12 + 0.88 * (count / most)})` : "";
      if (count / most > 0.55) cell.classList.add("strong");
      if (count) {
        cell.tabIndex = 0;
        const open = () => showDrill({ weekday, hour }, `${WEEKDAYS[weekday]} ${hour}:00`);
        cell.addEventListener("click", open);
        cell.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
      }
      return cell;
    })));
  $("heatmap").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  return volume;
}

// ---- times ---------------------------------------------------------------------------

async function loadTimes() {
  const data = await api(`reports/times?${query()}`);
  $("times-rows").replaceChildren(...TIMES.map(([key, name]) => {
    const raw = data.times[`${key}_s`];
    const business = data.times[`${key}_bh_s`];
    return el("tr", { "data-metric": key }, el("th", { scope: "row", text: name }),
      el("td", { text: duration(raw.median) }), el("td", { text: duration(raw.p90) }), el("td", { text: duration(raw.mean) }),
      el("td", { text: duration(business.median) }), el("td", { text: duration(business.p90) }),
      el("td", { class: "muted", text: duration(data.previous[`${key}_s`].median) }));
  }));
  return data;
}

// ---- breakdown -------------------------------------------------------------------------

async function loadBreakdown() {
  const by = $("breakdown-by").value;
  const data = await api(`reports/breakdown?${query({ by })}`);
  const rows = data.rows;
  draw("breakdown-chart", {
    type: "bar",
    data: {
      labels: rows.map((row) => label(by, row)),
      datasets: [
        { label: t("This period"), data: rows.map((r) => r.conversations), backgroundColor: ACCENT, maxBarThickness: 22 },
        { label: t("Previous period"), data: rows.map((r) => r.previous), backgroundColor: PREVIOUS, maxBarThickness: 22 },
      ],
    },
    options: {
      indexAxis: "y",
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      onClick: (_event, bars) => { if (bars.length) drillRow(by, rows[bars[0].index]); },
    },
  });
  $("breakdown-chart").parentElement.classList.toggle("tall", rows.length > 8);
  $("breakdown-rows").replaceChildren(...rows.map((row) => {
    const link = el("a", { href: "#drill", text: label(by, row) });
    link.addEventListener("click", (event) => { event.preventDefault(); drillRow(by, row); });
    return el("tr", {}, el("td", {}, link), el("td", { text: number(row.conversations) }),
      el("td", { class: "muted", text: `${number(row.previous)} ${change(row.conversations, row.previous)}` }));
  }));
  csvLinks();
}

function drillRow(by, row) {
  const value = row.key === null ? "none" : by === "channel" || by === "entry_page" ? row.label : String(row.key);
  showDrill({ dimension: by, value }, label(by, row));
}

// ---- the bot funnel -----------------------------------------------------------------------

async function loadFunnel() {
  const data = await api(`reports/bot-funnel?${query()}`);
  $("funnel-rows").replaceChildren(...FUNNEL.map(([key, name]) => el("tr", {},
    el("th", { scope: "row", text: name }), el("td", { text: number(data.steps[key]) }),
    el("td", { class: "muted", text: number(data.previous[key]) }))));
}

// ---- CSAT -----------------------------------------------------------------------------------

async function loadCsat() {
  const [weeks, rows] = await Promise.all([
    api(`reports/csat?${query({ by: "week" })}`),
    api(`reports/csat?${query({ by: $("csat-by").value })}`),
  ]);
  draw("csat-chart", {
    type: "line",
    data: { labels: weeks.rows.map((w) => w.key), datasets: [{ label: "CSAT %", data: weeks.rows.map((w) => w.csat), borderColor: ACCENT, backgroundColor: ACCENT }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { min: 0, max: 100 } } },
  });
  const by = $("csat-by").value;
  $("csat-rows").replaceChildren(
    el("tr", { class: "total" }, el("th", { scope: "row", text: t("All") }), el("td", { text: number(rows.overall.ratings) }),
      el("td", { text: rows.overall.csat === null ? "–" : `${rows.overall.csat}%` }), el("td", { text: number(rows.overall.average) })),
    ...rows.rows.map((row) => el("tr", {}, el("th", { scope: "row", text: by === "agent" && row.key === null ? t("Unassigned") : label(by, row) }),
      el("td", { text: number(row.ratings) }), el("td", { text: `${row.csat}%` }), el("td", { text: number(row.average) }))));
  return weeks;
}

// ---- agents -------------------------------------------------------------------------------

async function loadAgents() {
  const data = await api(`reports/agents?${query()}`);
  $("agents-rows").replaceChildren(...data.rows.map((row) => el("tr", {},
    el("th", { scope: "row", text: row.name }), el("td", { text: number(row.conversations) }), el("td", { text: number(row.resolved) }),
    el("td", { text: duration(row.first_response_median) }), el("td", { text: duration(row.resolution_median) }),
    el("td", { text: number(row.ratings) }), el("td", { text: row.csat === null ? "–" : `${row.csat}%` }))));
}

// ---- the conversations behind a bar ------------------------------------------------------------

async function showDrill(filters, title, more = false) {
  if (!more) drill = { filters, title, before: null };
  const page = await api(`reports/conversations?${query({ ...drill.filters, ...(drill.before ? { before: drill.before } : {}) })}`);
  $("drill").hidden = false;
  $("drill-heading").textContent = t("Conversations in “{what}”").replace("{what}", drill.title);
  const items = page.conversations.map((c) => el("li", {},
    el("a", { href: `/inbox/${boot.workspaceId}?c=${c.id}`, text: `#${c.id} · ${c.last_message_preview || "…"}` }),
    el("span", { class: "muted", text: ` · ${new Date(c.created_at).toLocaleString(boot.locale)}` })));
  if (more) $("drill-list").append(...items);
  else $("drill-list").replaceChildren(...items);
  drill.before = page.next_before;
  $("drill-more").hidden = !page.next_before;
  if (!more) $("drill").scrollIntoView({ block: "start" });
}

// ---- the whole page ------------------------------------------------------------------------------

async function load() {
  const volume = await loadVolume();
  const [times, weeks] = await Promise.all([loadTimes(), loadCsat(), loadBreakdown(), loadFunnel(), loadAgents()]);
  $("range-previous").textContent = t("Compared with the {days} days before.").replace("{days}", volume.days.length);
  const overall = weeks.overall;
  const previous = weeks.previous;
  $("report-tiles").replaceChildren(
    ...tile(t("Conversations started"), number(volume.total), `${t("Previous period")} ${number(volume.previous_total)} ${change(volume.total, volume.previous_total)}`),
    ...tile("CSAT", overall.csat === null ? "–" : `${overall.csat}%`, `${t("Previous period")} ${previous.csat === null ? "–" : `${previous.csat}%`}`),
    ...tile(t("First response (median)"), duration(times.times.first_response_s.median), `${t("Previous period")} ${duration(times.previous.first_response_s.median)}`),
    ...tile(t("Resolution (median)"), duration(times.times.resolution_s.median), `${t("Previous period")} ${duration(times.previous.resolution_s.median)}`),
  );
  csvLinks();
  document.body.dataset.reportLoaded = `${range.from}..${range.to}`;
}

$("report-range").addEventListener("submit", (event) => {
  event.preventDefault();
  range = { from: $("range-from").value, to: $("range-to").value };
  history.replaceState(null, "", `?${new URLSearchParams(range)}`);
  $("drill").hidden = true;
  load().catch((error) => notice(error.message, true));
});
$("breakdown-by").addEventListener("change", () => loadBreakdown().catch((error) => notice(error.message, true)));
$("csat-by").addEventListener("change", () => loadCsat().catch((error) => notice(error.message, true)));
$("drill-more").addEventListener("click", () => showDrill(null, null, true).catch((error) => notice(error.message, true)));

const asked = new URLSearchParams(location.search);
if (asked.get("from") && asked.get("to")) {
  range = { from: asked.get("from"), to: asked.get("to") };
  $("range-from").value = range.from;
  $("range-to").value = range.to;
}
if (!Chart) notice(t("The charts could not load; the tables below still show every number."), true);
else Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
load().catch((error) => notice(error.message, true));
