// What every inbox and settings page shares: the server's bootstrap data, its translations,
// and calls to the workspace's REST API with the session's CSRF token.

export const boot = JSON.parse(document.getElementById("bootstrap").textContent);
export const t = (text) => boot.messages[text] || text;
export const base = `/api/v1/workspaces/${boot.workspaceId}`;
export const $ = (id) => document.getElementById(id);

// `path` is relative to the workspace (or absolute from "/"); `raw` sends JSONL as it is.
export async function api(path, { method = "GET", body, raw } = {}) {
  const response = await fetch(path.startsWith("/") ? path : `${base}/${path}`, {
    method,
    credentials: "same-origin",
    headers: {
      "Content-Type": raw !== undefined ? "application/x-ndjson" : "application/json",
      "X-CSRF-Token": boot.csrfToken,
      // Errors come back in the agent's language.
      "Accept-Language": boot.locale,
    },
    body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { location.href = "/login"; throw new Error("signed out"); }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.message) || response.statusText);
    error.status = response.status;
    error.code = data && data.code;
    throw error;
  }
  return data;
}

// A message in the page's #notice box for a few seconds (errors in red).
export function notice(text, isError = false) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = false;
  box.classList.toggle("error", isError);
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { box.hidden = true; }, 8000);
}
