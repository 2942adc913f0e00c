// Settings › API tokens: create with scopes and an expiry (the secret is shown once),
// see when each was last used, revoke.
import { el } from "/static/shared.js";
import { $, api, boot, notice, t } from "/static/inbox/page.js";

const SCOPE_LABELS = { read: "Read", write: "Write", admin: "Admin" };
const when = new Intl.DateTimeFormat(boot.locale, { dateStyle: "medium", timeStyle: "short" });

function day(iso) { return iso ? when.format(new Date(iso)) : null; }

async function loadTokens() {
  const tokens = await api("api-tokens");
  const now = Date.now();
  $("tokens-empty").hidden = tokens.length > 0;
  $("token-rows").replaceChildren(...tokens.map((token) => {
    const expired = token.expires_at && new Date(token.expires_at).getTime() <= now;
    const revoke = el("button", { type: "button", class: "link danger", text: t("Revoke token"), ariaLabel: `${t("Revoke token")} ${token.name}` });
    revoke.addEventListener("click", () => revokeToken(token));
    return el("tr", { "data-id": String(token.id) },
      el("td", {}, el("strong", { text: token.name })),
      el("td", {}, el("code", { text: `${token.prefix}…` })),
      el("td", {}, ...token.scopes.map((scope) => el("span", { class: `badge scope-${scope}`, text: t(SCOPE_LABELS[scope] || scope) }))),
      el("td", { text: day(token.created_at) }),
      el("td", { class: expired ? "danger" : "", text: expired ? `${t("Expired")} · ${day(token.expires_at)}` : day(token.expires_at) || t("Never") }),
      el("td", { text: day(token.last_used_at) || t("Not used yet") }),
      el("td", {}, revoke));
  }));
}

async function revokeToken(token) {
  if (!confirm(t("Revoke {name}? Whatever uses it stops working at once.").replace("{name}", token.name))) return;
  try {
    await api(`api-tokens/${token.id}`, { method: "DELETE" });
    notice(t("Revoked."));
    await loadTokens();
  } catch (error) { notice(error.message, true); }
}

function expiry(form) {
  const choice = form.expiry.value;
  if (choice === "never") return null;
  if (choice === "date") {
    if (!form.expiry_date.value) return undefined;
    return new Date(`${form.expiry_date.value}T23:59:59`).toISOString(); // the end of that day, here
  }
  return new Date(Date.now() + Number(choice) * 86400000).toISOString();
}

async function createToken(event) {
  event.preventDefault();
  const form = event.target;
  const scopes = [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
  if (!scopes.length) { notice(t("Choose at least one scope."), true); return; }
  const expires = expiry(form);
  if (expires === undefined) { notice(t("Choose the expiry date."), true); form.expiry_date.focus(); return; }
  try {
    const created = await api("api-tokens", { method: "POST", body: { name: form.name.value.trim(), scopes, expires_at: expires } });
    form.reset();
    $("expiry-date-field").hidden = true;
    $("token-secret-value").value = created.token;
    $("token-secret").hidden = false;
    $("token-secret").focus();
    await loadTokens();
  } catch (error) { notice(error.message, true); }
}

async function copySecret() {
  const input = $("token-secret-value");
  input.select();
  try { await navigator.clipboard.writeText(input.value); } catch { document.execCommand("copy"); }
  notice(t("Copied."));
}

const form = $("token-form");
form.addEventListener("submit", createToken);
form.expiry.addEventListener("change", () => { $("expiry-date-field").hidden = form.expiry.value !== "date"; });
// Admin changes nothing without write: ticking admin ticks write (and write ticks read).
for (const box of form.querySelectorAll("input[name=scope]")) {
  box.addEventListener("change", () => {
    const order = ["read", "write", "admin"];
    const boxes = Object.fromEntries([...form.querySelectorAll("input[name=scope]")].map((b) => [b.value, b]));
    if (box.checked) for (const scope of order.slice(0, order.indexOf(box.value))) boxes[scope].checked = true;
  });
}
$("token-copy").addEventListener("click", copySecret);
loadTokens().catch((error) => notice(error.message, true));
