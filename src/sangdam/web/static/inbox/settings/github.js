// Settings › GitHub: the repository agents create issues in, and its token.
import { $, api, notice, t } from "/static/inbox/page.js";

function showGithub(config) {
  const form = $("github-form");
  if (config.repo) form.repo.value = config.repo;
  if (config.api_url) form.api_url.value = config.api_url;
  form.token.value = "";
  form.token.placeholder = config.has_token ? t("Saved; type a new one to replace it") : "";
  $("github-token-hint").textContent = config.has_token ? `${t("Token saved")} (${config.token_hint})` : t("No token: agents get a prefilled link.");
}

$("github-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { repo: form.repo.value.trim(), api_url: form.api_url.value.trim() };
  if (form.token.value) body.token = form.token.value;
  try {
    showGithub(await api("integrations/github", { method: "PUT", body }));
    notice(t("Saved."));
  } catch (e) { notice(e.message, true); }
});

api("integrations/github").then(showGithub).catch(() => {});
