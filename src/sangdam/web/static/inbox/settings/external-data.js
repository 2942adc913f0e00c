// Settings › External data card: the company's endpoint asked for a card about a member.
import { $, api, notice, t } from "/static/inbox/page.js";

function showExternal(config) {
  const form = $("external-form");
  form.url.value = config.url || "";
  form.enabled.checked = config.url ? config.enabled : true;
  $("external-secret").textContent = config.signing_secret || "—";
  form.ca_bundle.value = config.ca_bundle || "";
}

$("external-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    showExternal(await api("integrations/external-data", { method: "PUT", body: { url: form.url.value.trim(), enabled: form.enabled.checked, ca_bundle: form.ca_bundle.value } }));
    notice(t("Saved."));
  } catch (e) { notice(e.message, true); }
});

api("integrations/external-data").then(showExternal).catch(() => {});
