// Seat links of one meeting: list, issue, re-issue and copy.
import { formatDateTime, t } from "./i18n.js";
import { api as request } from "./http.js";

const box = document.getElementById("links");
const list = document.getElementById("links-list");
const issueButton = document.getElementById("links-issue");
const status = document.getElementById("links-status");
const meetingId = box.dataset.meeting;
const api = `/api/v1/meetings/${meetingId}/links`;

function say(text, kind = "info") {
  status.textContent = text;
  status.className = `notice ${kind}`;
  status.hidden = !text;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function render(links) {
  list.replaceChildren();
  for (const link of links) {
    const item = document.createElement("li");
    item.className = "link-row";
    item.dataset.seat = link.seat;
    const label = document.createElement("label");
    label.textContent = t(`seat.${link.seat}`);
    const input = document.createElement("input");
    input.readOnly = true;
    input.id = `link-${link.seat}`;
    label.htmlFor = input.id;
    input.value = link.revoked ? t("links.revoked") : link.url;
    input.addEventListener("focus", () => input.select());
    const copyButton = document.createElement("button");
    copyButton.type = "button";
    copyButton.className = "primary";
    copyButton.textContent = t("links.copy");
    copyButton.disabled = link.revoked;
    copyButton.addEventListener("click", async () => {
      input.select();
      const done = await copy(link.url);
      say(done ? t("links.copied", { seat: t(`seat.${link.seat}`) }) : t("links.copy_by_hand"), done ? "success" : "info");
    });
    const open = document.createElement("a");
    open.className = "button";
    open.href = link.url || "#";
    open.target = "_blank";
    open.rel = "noopener";
    open.textContent = t("links.open");
    open.hidden = link.revoked;
    const renew = document.createElement("button");
    renew.type = "button";
    renew.textContent = t("links.reissue");
    renew.addEventListener("click", async () => {
      if (!window.confirm(t("links.reissue_confirm"))) return;
      await issue([link.seat]);
      say(t("links.reissued", { seat: t(`seat.${link.seat}`) }), "success");
    });
    const expires = document.createElement("span");
    expires.className = "muted small";
    // In the mission's zone, named: the browser's own zone would read as another day's hour.
    expires.textContent = t("links.expires_zoned", {
      when: formatDateTime(link.expires_at, { dateStyle: "medium", timeZone: box.dataset.tz }),
      city: box.dataset.city,
    });
    item.append(label, input, copyButton, open, renew, expires);
    list.append(item);
  }
  issueButton.hidden = links.length > 0;
}

async function load() {
  const response = await request(api);
  if (!response.ok) {
    say(t("links.unavailable"), "error");
    return;
  }
  render(await response.json());
}

async function issue(seats) {
  const response = await request(api, { method: "POST", body: seats ? { seats } : {} });
  if (!response.ok) {
    say(t("links.unavailable"), "error");
    return;
  }
  await load();
}

issueButton.addEventListener("click", async () => {
  await issue(null);
  say(t("links.issued"), "success");
});
load();
