// Settings › General: the workspace's name, language, time zone and website; the widget's
// snippet; another workspace.
import { $, api, base, boot, notice, t } from "/static/inbox/page.js";

const form = $("general-form");
// The browser knows every IANA time zone; the server checks the one chosen.
$("timezones").replaceChildren(...(Intl.supportedValuesOf?.("timeZone") || []).map((zone) => new Option(zone)));

async function load() {
  const [workspace, checklist] = await Promise.all([api(base), api("checklist")]);
  form.name.value = workspace.name;
  form.locale.value = workspace.locale;
  form.timezone.value = workspace.timezone;
  form.website.value = workspace.website || "";
  form.off_hours_to_team.value = workspace.off_hours_to_team;
  $("snippet").textContent = checklist.snippet;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api(base, {
      method: "PUT",
      body: {
        name: form.name.value,
        locale: form.locale.value,
        timezone: form.timezone.value.trim(),
        website: form.website.value.trim() || null,
        off_hours_to_team: form.off_hours_to_team.value,
      },
    });
    notice(t("Saved."));
    await load();
  } catch (error) { notice(error.message, true); }
});

$("copy-snippet").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText($("snippet").textContent); notice(t("Copied.")); }
  catch { notice(t("Select the line and copy it."), true); }
});

$("new-workspace-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = event.target.name.value;
  try {
    const created = await api("/api/v1/workspaces", {
      method: "POST",
      body: { name, locale: boot.locale, timezone: form.timezone.value.trim() || "Asia/Seoul" },
    });
    location.href = `/inbox/${created.id}/welcome`;
  } catch (error) { notice(error.message, true); }
});

load().catch((error) => notice(error.message, true));
