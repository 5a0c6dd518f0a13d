// The outcome form: amounts with a currency, posted to /api/v1/meetings/{id}/outcome.
import { formatMoney, t } from "./i18n.js";
import { api } from "./http.js";

const AMOUNTS = ["consultation_value", "expected_contract_value", "onsite_contract_amount", "mou_amount"];

function normalise(raw) {
  // Accept "1,234.50", "1 234,50" is ambiguous: keep digits, one dot; commas are thousands.
  return raw.replace(/[\s,_]/g, "").trim();
}

function showAmounts(form) {
  const currency = form.elements.currency.value;
  for (const name of AMOUNTS) {
    const input = form.elements[name];
    const output = form.querySelector(`#of-${name}-shown`);
    if (!input || !output) continue;
    const value = normalise(input.value);
    output.textContent = !input.disabled && value !== "" && !Number.isNaN(Number(value)) ? formatMoney(value, currency) : "";
  }
}

function setStatus(form, kind, text) {
  const box = form.querySelector("#outcome-status");
  box.className = `notice ${kind}`;
  box.textContent = text;
  box.hidden = false;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
}

function fill(form, current) {
  form.elements.currency.value = current.currency;
  for (const name of AMOUNTS) {
    const input = form.elements[name];
    const value = current[name];
    if (name === "onsite_contract_amount" || name === "mou_amount") {
      const flag = form.querySelector(`[data-controls="of-${name}"]`);
      flag.checked = value !== null;
      input.disabled = value === null;
    }
    input.value = value ?? "";
  }
  form.querySelector(`[name="interest_level"][value="${current.interest_level}"]`).checked = true;
  for (const name of ["samples", "next_steps", "notes"]) form.elements[name].value = current[name] || "";
  // A new version is recorded by whoever saves it: a name filled in for the signed-in
  // organiser stays; otherwise the previous recorder's is offered.
  if (!form.elements.recorded_by.value.trim()) form.elements.recorded_by.value = current.recorded_by || "";
}

function body(form) {
  const data = {
    recorded_by: form.elements.recorded_by.value.trim(),
    role: form.dataset.role,
    currency: form.elements.currency.value,
    interest_level: form.querySelector('[name="interest_level"]:checked')?.value || "none",
    samples: form.elements.samples.value,
    next_steps: form.elements.next_steps.value,
    notes: form.elements.notes.value,
    reason: form.elements.reason.value,
  };
  for (const name of AMOUNTS) {
    const input = form.elements[name];
    if (input.disabled) data[name] = null;
    else data[name] = normalise(input.value) || "0";
  }
  return data;
}

function explain(form, response, payload) {
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  if (response.status === 422 && Array.isArray(payload.detail)) {
    const names = [];
    for (const error of payload.detail) {
      const field = error.loc?.[error.loc.length - 1];
      const input = form.elements[field];
      if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
      names.push(t(`outcome.${field}`) === `outcome.${field}` ? field : t(`outcome.${field}`));
    }
    return t("outcome.error.fields", { fields: [...new Set(names)].join(", ") });
  }
  if (response.status === 422 && payload.field === "currency" && payload.currency) {
    return t("outcome.error.rate", { currency: payload.currency });
  }
  if (response.status === 409) return t("outcome.error.conflict");
  if (response.status === 403) return t("outcome.error.closed");
  return t("outcome.error.other", { message: payload.detail || response.statusText });
}

/** Bind `form` (the _outcome_form.html macro); loads the current outcome when there is one.
 * On a seat's page `form.dataset.seatToken` holds its link, which authorizes the form. */
export async function bindOutcomeForm(form) {
  const meetingId = form.dataset.meeting;
  const headers = form.dataset.seatToken ? { Authorization: `Bearer ${form.dataset.seatToken}` } : {};
  let version = null;
  form.querySelectorAll("[data-controls]").forEach((flag) => {
    flag.addEventListener("change", () => {
      const input = form.querySelector(`#${flag.dataset.controls}`);
      input.disabled = !flag.checked;
      if (flag.checked) input.focus();
      showAmounts(form);
    });
  });
  form.addEventListener("input", () => showAmounts(form));
  form.addEventListener("change", () => showAmounts(form));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.elements.recorded_by.value.trim()) {
      form.elements.recorded_by.setAttribute("aria-invalid", "true");
      form.elements.recorded_by.focus();
      setStatus(form, "error", t("outcome.error.name"));
      return;
    }
    const data = body(form);
    const method = version ? "PUT" : "POST";
    if (version) data.expected_version = version;
    const button = form.querySelector("#outcome-save");
    button.disabled = true;
    try {
      const response = await api(`/api/v1/meetings/${meetingId}/outcome`, { method, body: data, headers });
      const payload = await response.json().catch(() => ({}));
      if (!response.ok) {
        if (response.status === 409 && payload.current_version) version = payload.current_version;
        setStatus(form, "error", explain(form, response, payload));
        return;
      }
      version = payload.version;
      form.dataset.saved = String(version);
      setStatus(form, "success", t("outcome.saved", { version }));
    } finally {
      button.disabled = false;
    }
  });
  // The version list is empty (not a 404) before the first outcome is recorded.
  const existing = await api(`/api/v1/meetings/${meetingId}/outcome/versions`, { headers });
  const versions = existing.ok ? await existing.json() : [];
  if (versions.length) {
    const current = versions[versions.length - 1];
    version = current.version;
    fill(form, current);
    setStatus(form, "info", t("outcome.loaded", { version, name: current.recorded_by }));
  }
  showAmounts(form);
}
