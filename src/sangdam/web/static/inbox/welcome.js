// A new workspace's first steps, ticked off as they are done.
import { $, api, base, notice, t } from "/static/inbox/page.js";

async function load() {
  const [checklist, workspace] = await Promise.all([api("checklist"), api(base)]);
  $("snippet").textContent = checklist.snippet;
  $("try-widget").href = `/demo?key=${encodeURIComponent(workspace.widget_key)}`;
  for (const step of document.querySelectorAll("[data-step]")) {
    const done = Boolean(checklist[step.dataset.step]);
    step.classList.toggle("done", done);
    step.querySelector(".check").textContent = done ? "✓" : "";
    const label = step.querySelector("h2");
    label.title = done ? t("Done") : t("To do");
  }
}

$("copy-snippet").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText($("snippet").textContent); notice(t("Copied.")); }
  catch { notice(t("Select the line and copy it."), true); }
});

load().catch((error) => notice(error.message, true));
// Come back to a finished step without reloading: e.g. the test page was opened meanwhile.
document.addEventListener("visibilitychange", () => { if (!document.hidden) load().catch(() => {}); });
