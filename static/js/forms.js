// Console forms, on top of plain HTML forms that work without it: ask before a form marked
// data-confirm is sent (deleting, deactivating), and copy buttons for links.
import { t } from "./i18n.js";

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const input = document.getElementById(button.dataset.copy);
    input?.select();
    const done = await copy(input?.value || "");
    const status = document.getElementById(button.dataset.status || "") || button;
    const text = done ? t("links.copied_plain") : t("links.copy_by_hand");
    if (status === button) {
      button.textContent = text;
      setTimeout(() => { button.textContent = t("links.copy"); }, 2500);
    } else {
      status.textContent = text;
      status.hidden = false;
    }
  });
}
