// The pages before the inbox: first-run setup, accepting an invitation, a forgotten
// password. Each form posts JSON to its API and says what happened in the page's language.

const boot = JSON.parse(document.getElementById("bootstrap").textContent);
const t = (text) => boot.messages[text] || text;

// Errors the server names by code, said in the page's language; anything else is the
// server's own sentence.
const ERRORS = {
  weak_password: () => t("Choose a stronger password: three or four unrelated words make a strong one."),
  already_set_up: () => t("Sangdam is set up already. Sign in, or ask your admin for an invitation."),
  rate_limited: () => t("Too many attempts. Wait a few minutes and try again."),
  reset_invalid: () => t("This link no longer works (links work once, for an hour). Ask for a new one."),
  invitation_expired: () => t("This invitation has expired. Ask the person who invited you to send it again."),
  invitation_used: () => t("This invitation was used already. Sign in with the account that accepted it."),
  invitation_invalid: () => t("This invitation link is not valid. Ask the person who invited you to send it again."),
  sign_in_first: () => t("This address already has a Sangdam account. Sign in with it, then open this link again."),
  bad_website: () => t("Enter the website like www.example.com."),
  name_required: () => t("Tell your teammates your name."),
  already_answered: () => t("This survey has already been answered. Thank you!"),
};

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...(boot.csrfToken ? { "X-CSRF-Token": boot.csrfToken } : {}) },
    body: JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const known = ERRORS[data.code];
    throw new Error(known ? known() : data.message || response.statusText);
  }
  return data;
}

function fields(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) values[name] = typeof value === "string" ? value.trim() : value;
  if (form.password) values.password = form.password.value; // passwords are never trimmed
  return values;
}

const SUBMIT = {
  async setup(form) {
    const body = fields(form);
    if (!body.website) body.website = null;
    const workspace = await post("/api/v1/setup", body);
    location.href = `/inbox/${workspace.id}/welcome`;
  },
  async accept(form) {
    const body = fields(form);
    const joined = await post(`/api/v1/invitations/${encodeURIComponent(form.dataset.secret)}/accept`, body);
    location.href = `/inbox/${joined.workspace_id}`;
  },
  async forgot(form) {
    const answer = await post("/api/v1/password-reset", fields(form));
    const done = document.getElementById("form-done");
    done.textContent = t("If this address has a Sangdam account, a link to set a new password is on its way. It works once, for an hour.");
    done.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    return answer;
  },
  async signout() {
    await post("/api/v1/logout", {});
    location.href = "/login";
  },
  // A post-chat survey's one-time link: one answer per question (null: left out).
  async survey(form) {
    const answers = [...form.querySelectorAll("fieldset[data-kind]")].map((question, index) => {
      const value = fields(form)[`q${index}`];
      if (!value) return null;
      return question.dataset.kind === "rating" ? Number(value) : value;
    });
    await post(`/api/v1/surveys/${encodeURIComponent(form.dataset.token)}/response`, { answers });
    form.hidden = true;
    document.getElementById("form-done").hidden = false;
  },
  async reset(form) {
    await post(`/api/v1/password-reset/${encodeURIComponent(form.dataset.secret)}`, { password: form.password.value });
    form.hidden = true;
    document.getElementById("form-done").hidden = false;
  },
};

for (const form of document.querySelectorAll("form[data-form]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("form-error");
    error.hidden = true;
    if (!form.checkValidity()) { form.reportValidity(); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await SUBMIT[form.dataset.form](form);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      if (form.dataset.form !== "forgot") button.disabled = false;
    }
  });
}

// The browser knows the company's time zone better than a default.
const zone = document.getElementById("timezone-select");
if (zone) {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (local && [...zone.options].some((option) => option.value === local)) zone.value = local;
}
