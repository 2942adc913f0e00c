const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const data = Object.fromEntries(new FormData(form));
  try {
    const response = await fetch("/api/v1/login", {
      method: "POST",
      // The page's language (the browser's, or the one picked below the form): the inbox
      // starts in it until the agent picks one, and errors come back in it.
      headers: { "Content-Type": "application/json", "Accept-Language": document.documentElement.lang },
      body: JSON.stringify(data),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message || response.statusText);
    // Back to the page that asked for a sign-in (an invitation link), if it is one of ours.
    let next = new URL(new URLSearchParams(location.search).get("next") || "/inbox", location.origin);
    if (next.origin !== location.origin) next = new URL("/inbox", location.origin);
    location.href = next.href;
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }
});
