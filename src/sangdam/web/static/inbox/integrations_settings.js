// Admin settings for customer context: member verification secret, external data card, GitHub.
import { $, api, boot, notice, t } from "/static/inbox/page.js";

$("identity-show").addEventListener("click", async () => {
  try { $("identity-secret").textContent = (await api("identity-verification")).secret; } catch (e) { notice(e.message, true); }
});
$("identity-rotate").addEventListener("click", async () => {
  if (!confirm(t("Every memberHash signed with the old secret stops working. Rotate?"))) return;
  try {
    $("identity-secret").textContent = (await api("identity-verification/rotate", { method: "POST" })).secret;
    notice(t("Saved."));
  } catch (e) { notice(e.message, true); }
});

const requireToken = $("identity-require-token");
api("identity-verification/settings").then((settings) => { requireToken.checked = settings.require_member_token; }).catch((e) => notice(e.message, true));
requireToken.addEventListener("change", async () => {
  try {
    const saved = await api("identity-verification/settings", { method: "PUT", body: { require_member_token: requireToken.checked } });
    requireToken.checked = saved.require_member_token;
    notice(t("Saved."));
  } catch (e) { requireToken.checked = !requireToken.checked; notice(e.message, true); }
});

function showExternal(config) {
  const form = $("external-form");
  form.url.value = config.url || "";
  form.enabled.checked = config.url ? config.enabled : true;
  $("external-secret").textContent = config.signing_secret || "—";
}

$("external-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    showExternal(await api("integrations/external-data", { method: "PUT", body: { url: form.url.value.trim(), enabled: form.enabled.checked } }));
    notice(t("Saved."));
  } catch (e) { notice(e.message, true); }
});

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

api("integrations/external-data").then(showExternal).catch(() => {});
api("integrations/github").then(showGithub).catch(() => {});
