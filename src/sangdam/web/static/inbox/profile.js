// Your profile: name, picture, language and password (they follow you into every workspace).
import { $, api, boot, notice, t } from "/static/inbox/page.js";

const nameForm = $("name-form");
const localeForm = $("locale-form");
const passwordForm = $("password-form");
nameForm.name.value = boot.user.name;
localeForm.locale.value = boot.user.locale;
$("profile-email").textContent = boot.user.email;

function showAvatar(present) {
  const preview = $("avatar-preview");
  preview.hidden = !present;
  $("avatar-remove").hidden = !present;
  $("avatar-initial").hidden = present;
  $("avatar-initial").textContent = (nameForm.name.value || "?").trim().charAt(0).toUpperCase();
  if (present) preview.src = `/api/v1/me/avatar?v=${Date.now()}`;
}

async function loadAvatar() {
  const response = await fetch("/api/v1/me/avatar", { credentials: "same-origin" });
  showAvatar(response.ok);
}

$("avatar-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  const response = await fetch("/api/v1/me/avatar", {
    method: "PUT",
    credentials: "same-origin",
    headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": boot.csrfToken },
    body: file,
  });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    notice(data.code === "avatar_too_large" ? t("The picture is larger than 2 MB; choose a smaller one.")
      : data.code === "avatar_unreadable" ? t("That file is not a picture Sangdam can read: use a PNG, JPEG, GIF or WebP.")
      : data.message || response.statusText, true);
    return;
  }
  showAvatar(true);
  notice(t("Saved."));
});

$("avatar-remove").addEventListener("click", async () => {
  try { await api("/api/v1/me/avatar", { method: "DELETE" }); showAvatar(false); notice(t("Saved.")); }
  catch (error) { notice(error.message, true); }
});

nameForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try { await api("/api/v1/me", { method: "PATCH", body: { name: nameForm.name.value } }); notice(t("Saved.")); }
  catch (error) { notice(error.message, true); }
});

localeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try { await api("/api/v1/me/locale", { method: "PUT", body: { locale: localeForm.locale.value } }); location.reload(); }
  catch (error) { notice(error.message, true); }
});

passwordForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("/api/v1/me/password", {
      method: "POST",
      body: { current_password: passwordForm.current_password.value, new_password: passwordForm.new_password.value },
    });
    location.href = "/login";
  } catch (error) {
    notice(error.code === "bad_credentials" ? t("The current password is not right.")
      : error.code === "weak_password" ? t("Choose a stronger password: three or four unrelated words make a strong one.")
      : error.message, true);
  }
});

loadAvatar();
