// The organiser's sign-in: POST /api/v1/auth/sign-in, then back to the page that asked.
import { t } from "./i18n.js";
import { api } from "./http.js";

const form = document.getElementById("signin-form");
const error = document.getElementById("signin-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const response = await api("/api/v1/auth/sign-in", {
    method: "POST",
    body: { email: form.elements.email.value.trim(), password: form.elements.password.value },
  });
  if (response.ok) {
    const next = form.dataset.next;
    window.location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/missions");
    return;
  }
  error.textContent = t(response.status === 429 ? "signin.locked" : response.status === 401 ? "signin.wrong" : "signin.failed");
  error.hidden = false;
});
