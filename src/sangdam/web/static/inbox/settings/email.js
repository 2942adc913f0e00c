// Settings › Email inbox: the address customers' email replies come back to.
import { $, api, notice, t } from "/static/inbox/page.js";

async function loadEmailInbox() {
  const inbox = await api("email-inbox");
  $("email-inbox-form").address.value = inbox ? inbox.address : "";
}

async function saveEmailInbox(event) {
  event.preventDefault();
  try {
    await api("email-inbox", { method: "PUT", body: { address: $("email-inbox-form").address.value.trim() } });
    notice(t("Saved."));
  } catch (error) { notice(error.message, true); }
}

$("email-inbox-form").addEventListener("submit", saveEmailInbox);
loadEmailInbox().catch((error) => notice(error.message, true));
