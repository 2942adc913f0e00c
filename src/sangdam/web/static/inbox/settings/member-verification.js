// Settings › Member verification: the secret that signs members (memberHash/memberToken).
import { $, api, notice, t } from "/static/inbox/page.js";

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
