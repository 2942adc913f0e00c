// Settings › Members: invitations (send, resend, revoke) and members (role, deactivate).
import { el, formatTime } from "/static/shared.js";
import { $, api, base, boot, notice, t } from "/static/inbox/page.js";

const ROLES = { owner: () => t("Owner"), admin: () => t("Admin"), agent: () => t("Agent") };
const me = boot.agent;
const iAmOwner = me.role === "owner";

function roleSelect(member) {
  const choices = iAmOwner ? ["agent", "admin", "owner"] : ["agent", "admin"];
  const select = el("select", { ariaLabel: `${t("Role")} ${member.name}` },
    ...choices.map((role) => el("option", { value: role, text: ROLES[role](), selected: member.role === role })));
  select.disabled = member.id === me.id || !member.active || (member.role === "owner" && !iAmOwner);
  select.addEventListener("change", async () => {
    try { await api(`members/${member.id}`, { method: "PATCH", body: { role: select.value } }); notice(t("Saved.")); }
    catch (error) { notice(error.message, true); }
    await loadMembers();
  });
  return select;
}

function memberButton(member) {
  if (member.id === me.id || (member.role === "owner" && !iAmOwner)) return "";
  const action = member.active ? "deactivate" : "reactivate";
  const button = el("button", {
    type: "button",
    class: member.active ? "link danger" : "link",
    text: member.active ? t("Deactivate") : t("Reactivate"),
    ariaLabel: `${member.active ? t("Deactivate") : t("Reactivate")} ${member.name}`,
  });
  button.addEventListener("click", async () => {
    if (member.active && !confirm(t("Deactivate {name}? Their access ends at once.").replace("{name}", member.name))) return;
    try {
      const result = await api(`members/${member.id}/${action}`, { method: "POST" });
      notice(member.active
        ? t("{name} is deactivated; {count} open conversations went back to the queue.").replace("{name}", member.name).replace("{count}", String(result.requeued))
        : t("Saved."));
    } catch (error) { notice(error.message, true); }
    await loadMembers();
  });
  return button;
}

async function loadMembers() {
  const members = await api("members");
  $("member-rows").replaceChildren(...members.map((member) => el("tr", { class: `member-row${member.active ? "" : " inactive"}`, "data-id": String(member.id) },
    el("td", {}, member.has_avatar ? el("img", { class: "avatar", src: `${base}/members/${member.id}/avatar`, alt: "" }) : "", " ", member.name,
      member.id === me.id ? el("span", { class: "muted", text: ` (${t("you")})` }) : ""),
    el("td", { text: member.email }),
    el("td", {}, roleSelect(member)),
    el("td", { text: member.active ? t("Active") : t("Deactivated") }),
    el("td", {}, memberButton(member)))));
}

function showLink(sent) {
  $("invite-result").hidden = false;
  $("invite-link").value = sent.link;
  $("invite-result-text").textContent = sent.emailed
    ? t("The invitation is on its way to {email}. You can also pass on this link:").replace("{email}", sent.email)
    : t("Sangdam has no mail server set up, so no email went out: send {email} this link yourself.").replace("{email}", sent.email);
}

async function loadInvitations() {
  const invitations = (await api("invitations")).filter((invitation) => !invitation.accepted_at);
  $("invitations-table").hidden = invitations.length === 0;
  $("invitation-rows").replaceChildren(...invitations.map((invitation) => {
    const expired = new Date(invitation.expires_at) < new Date();
    const resend = el("button", { type: "button", class: "link", text: t("Send again"), ariaLabel: `${t("Send again")} ${invitation.email}` });
    resend.addEventListener("click", async () => {
      try { showLink(await api(`invitations/${invitation.id}/resend`, { method: "POST" })); await loadInvitations(); }
      catch (error) { notice(error.message, true); }
    });
    const revoke = el("button", { type: "button", class: "link danger", text: t("Revoke"), ariaLabel: `${t("Revoke")} ${invitation.email}` });
    revoke.addEventListener("click", async () => {
      try { await api(`invitations/${invitation.id}`, { method: "DELETE" }); notice(t("Saved.")); await loadInvitations(); }
      catch (error) { notice(error.message, true); }
    });
    return el("tr", { "data-email": invitation.email },
      el("td", { text: invitation.email }),
      el("td", { text: ROLES[invitation.role]() }),
      el("td", { text: expired ? t("Expired") : formatTime(invitation.expires_at, boot.locale) }),
      el("td", {}, resend, " ", revoke));
  }));
}

$("invite-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const sent = await api("invitations", { method: "POST", body: { email: form.email.value.trim(), role: form.role.value } });
    showLink(sent);
    form.email.value = "";
    await loadInvitations();
  } catch (error) { notice(error.message, true); }
});

$("copy-invite").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText($("invite-link").value); notice(t("Copied.")); }
  catch { $("invite-link").select(); }
});

loadMembers().catch((error) => notice(error.message, true));
loadInvitations().catch((error) => notice(error.message, true));
