// fetch() for the API: JSON in and out, and the CSRF token the organiser's session needs.
const CSRF_COOKIES = ["__Host-tradebooth_csrf", "tradebooth_csrf"];

function csrfToken() {
  const cookies = Object.fromEntries(
    document.cookie.split(";").map((part) => part.trim().split("=")).filter((kv) => kv.length === 2),
  );
  for (const name of CSRF_COOKIES) if (cookies[name]) return decodeURIComponent(cookies[name]);
  return null;
}

/** `fetch` with a JSON body and, on unsafe methods, the X-CSRF-Token header when signed in.
 * `headers` adds more (a seat's page sends its link as `Authorization: Bearer`). */
export function api(path, { method = "GET", body, headers: extra = {} } = {}) {
  const headers = { ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = method === "GET" ? null : csrfToken();
  if (token) headers["X-CSRF-Token"] = token;
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
}
