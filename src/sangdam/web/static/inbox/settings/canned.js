// Canned responses: personal ones for every agent; team and workspace ones for admins.
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";

const isAdmin = boot.agent.role !== "agent";
const SCOPE_LABELS = { personal: "Personal", team: "Team", workspace: "Workspace" };

let teams = [];

function mayEdit(item) { return item.scope === "personal" || isAdmin; }

async function load() {
  const rows = $("canned-rows");
  rows.replaceChildren();
  for (const item of await api("canned-responses")) {
    const team = teams.find((x) => x.id === item.team_id);
    const actions = el("td", {});
    if (mayEdit(item)) {
      const edit = el("button", { type: "button", class: "link", text: t("Edit") });
      const remove = el("button", { type: "button", class: "link danger", text: t("Delete") });
      edit.addEventListener("click", () => fill(item));
      remove.addEventListener("click", async () => {
        if (!confirm(`${t("Delete")} /${item.shortcut}?`)) return;
        try { await api(`canned-responses/${item.id}`, { method: "DELETE" }); await load(); } catch (error) { notice(error.message, true); }
      });
      actions.append(edit, " ", remove);
    }
    rows.append(el("tr", { "data-id": String(item.id) },
      el("td", {}, el("strong", { text: `/${item.shortcut}` })),
      el("td", { text: item.title, title: item.body }),
      el("td", { text: t(SCOPE_LABELS[item.scope]) + (team ? ` · ${team.name}` : "") }),
      el("td", { text: item.lang || t("Any language") }),
      actions));
  }
}

function fill(item) {
  const form = $("canned-form");
  form.id.value = item ? item.id : "";
  form.shortcut.value = item ? item.shortcut : "";
  form.title.value = item ? item.title : "";
  form.scope.value = item ? item.scope : "personal";
  form.team_id.value = item && item.team_id ? String(item.team_id) : (teams[0] ? String(teams[0].id) : "");
  form.lang.value = item && item.lang ? item.lang : "";
  form.body.value = item ? item.body : "";
  $("canned-form-title").textContent = item ? `${t("Edit")} /${item.shortcut}` : t("New canned response");
  $("team-field").hidden = form.scope.value !== "team";
  if (item) form.shortcut.focus();
}

async function save(event) {
  event.preventDefault();
  const form = event.target;
  const body = {
    scope: form.scope.value,
    team_id: form.scope.value === "team" ? Number(form.team_id.value) : null,
    lang: form.lang.value || null,
    shortcut: form.shortcut.value.trim(),
    title: form.title.value.trim(),
    body: form.body.value,
  };
  try {
    await api(form.id.value ? `canned-responses/${form.id.value}` : "canned-responses", { method: form.id.value ? "PUT" : "POST", body });
    notice(t("Saved."));
    fill(null);
    await load();
  } catch (error) { notice(error.message, true); }
}

async function main() {
  const form = $("canned-form");
  for (const option of form.scope.querySelectorAll("[data-admin]")) option.hidden = !isAdmin;
  teams = await api("teams").catch(() => []);
  form.team_id.replaceChildren(...teams.map((team) => el("option", { value: String(team.id), text: team.name })));
  form.scope.addEventListener("change", () => { $("team-field").hidden = form.scope.value !== "team"; });
  form.addEventListener("submit", save);
  $("canned-cancel").addEventListener("click", () => fill(null));
  fill(null);
  await load();
}

main();
