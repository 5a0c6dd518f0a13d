// The board's booth screens: kiosk online, morning self-test, kiosk link (issue / copy / revoke),
// ring; and the attendance flags (seats not in N minutes into their slot) on the rows above.
// Kept live by the board's SSE feed (events `booth_check`, `kiosk`, `attendance`, `ring`).
import { t } from "./i18n.js";
import { api } from "./http.js";

const section = document.getElementById("board-booths");
const rows = document.getElementById("booths-rows");
const status = document.getElementById("booths-status");
const missionId = section?.dataset.mission;
const venues = new Map(); // venue id -> booth status from the API
const flags = new Map(); // meeting id -> flag

function say(text, kind = "info") {
  status.textContent = text;
  status.className = `notice ${kind}`;
  status.hidden = !text;
}

function problemText(problem) {
  const key = `selftest.problem.${problem}`;
  const text = t(key);
  return text === key ? t("selftest.problem.other", { problem }) : text;
}

function checkText(check) {
  if (!check) return t("board.booths.untested");
  if (check.ready) return t("board.booths.ready");
  return t("board.booths.not_ready", { problems: check.problems.map(problemText).join(" · ") });
}

function button(text, className, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

function renderBooth(booth) {
  let row = rows.querySelector(`tr[data-venue="${booth.venue_id}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.venue = booth.venue_id;
    rows.append(row);
  }
  const cells = [];
  const name = document.createElement("td");
  name.textContent = booth.name;
  const side = document.createElement("td");
  side.textContent = booth.link ? t(`seat.${booth.link.seat}`) : "—";
  const online = document.createElement("td");
  online.className = "kiosk-online";
  online.dataset.online = booth.kiosks_online > 0 ? "1" : "0";
  online.textContent = booth.kiosks_online > 0 ? t("board.booths.online") : t("board.booths.offline");
  const check = document.createElement("td");
  check.className = "booth-check";
  check.dataset.ready = booth.last_check ? (booth.last_check.ready ? "yes" : "no") : "";
  const badge = document.createElement("span");
  badge.className = `badge ${booth.last_check ? (booth.last_check.ready ? "ok" : "bad") : ""}`;
  badge.textContent = checkText(booth.last_check);
  check.append(badge);
  const link = document.createElement("td");
  if (booth.link?.url) {
    const input = document.createElement("input");
    input.readOnly = true;
    input.value = booth.link.url;
    input.className = "booth-link";
    input.setAttribute("aria-label", `${t("board.booths.link")} ${booth.name}`);
    input.addEventListener("focus", () => input.select());
    const copyButton = button(t("links.copy"), "copy", async () => {
      input.select();
      let done = false;
      try {
        await navigator.clipboard.writeText(booth.link.url);
        done = true;
      } catch {
        done = false;
      }
      say(done ? t("board.booths.copied", { venue: booth.name }) : t("links.copy_by_hand"), done ? "success" : "info");
    });
    const open = document.createElement("a");
    open.className = "button open";
    open.href = booth.link.url;
    open.target = "_blank";
    open.rel = "noopener";
    open.textContent = t("links.open");
    const line = document.createElement("div");
    line.className = "link-line";
    line.append(input, copyButton, open);
    link.append(line);
  } else {
    link.textContent = t("board.booths.no_link");
  }
  const actions = document.createElement("td");
  actions.className = "nowrap";
  actions.append(
    button(booth.link?.url ? t("board.booths.reissue") : t("board.booths.issue"), "issue", () => issue(booth)),
  );
  if (booth.link?.url) actions.append(" ", button(t("board.booths.revoke"), "revoke", () => revoke(booth)));
  actions.append(" ", button(t("board.booths.ring"), "ring", () => ring(booth.venue_id)));
  cells.push(name, side, online, check, link, actions);
  row.replaceChildren(...cells);
}

function renderFlag(meetingId) {
  const row = document.querySelector(`#board .board-row[data-meeting="${meetingId}"]`);
  if (!row) return;
  row.querySelector(".attendance-flag")?.remove();
  const flag = flags.get(Number(meetingId));
  row.dataset.flagged = flag ? "1" : "0";
  if (!flag) return;
  const box = document.createElement("div");
  box.className = "attendance-flag";
  const badge = document.createElement("span");
  badge.className = "badge bad";
  badge.textContent = t("board.flag.missing", { seats: flag.missing.map((seat) => t(`seat.${seat}`)).join(", ") });
  box.append(badge);
  const venueOf = { company: flag.company_venue_id, buyer: flag.buyer_venue_id };
  for (const seat of flag.missing) {
    const venue = venues.get(venueOf[seat]);
    if (venue) box.append(" ", button(t("board.flag.ring", { venue: venue.name }), "ring", () => ring(venue.venue_id, flag.meeting_id)));
  }
  // A table row takes the flag under the consultation's names; a compact tile at its end.
  (row.tagName === "LI" ? row : row.querySelector(".meeting-cell") || row.children[1]).append(box);
}

function signedIn() {
  // The CSRF cookie is readable and exists exactly while the console is signed in.
  return /(^|;\s*)(__Host-)?tradebooth_csrf=/.test(document.cookie);
}

async function load() {
  if (!signedIn()) {
    say(t("board.booths.unavailable"), "warning");
    return;
  }
  const response = await api(`/api/v1/missions/${missionId}/booths`);
  if (!response.ok) {
    say(t("board.booths.unavailable"), "warning");
    return;
  }
  const data = await response.json();
  say("");
  venues.clear();
  rows.replaceChildren();
  for (const booth of data.booths) {
    venues.set(booth.venue_id, booth);
    renderBooth(booth);
  }
  const flagged = new Set(data.flags.map((flag) => flag.meeting_id));
  for (const id of [...flags.keys()]) if (!flagged.has(id)) flags.delete(id);
  for (const flag of data.flags) flags.set(flag.meeting_id, flag);
  for (const row of document.querySelectorAll("#board .board-row")) renderFlag(row.dataset.meeting);
}

async function issue(booth) {
  const response = await api(`/api/v1/missions/${missionId}/venues/${booth.venue_id}/booth-link`, { method: "POST", body: {} });
  if (!response.ok) say(t("board.booths.unavailable"), "error");
  await load();
}

async function revoke(booth) {
  await api(`/api/v1/missions/${missionId}/venues/${booth.venue_id}/booth-link`, { method: "DELETE" });
  await load();
}

async function ring(venueId, meetingId = null) {
  const response = await api(`/api/v1/missions/${missionId}/venues/${venueId}/ring`, {
    method: "POST", body: { meeting_id: meetingId },
  });
  if (!response.ok) {
    say(t("board.booths.unavailable"), "error");
    return;
  }
  const result = await response.json();
  say(t("board.booths.rung", { count: result.delivered }), result.delivered ? "success" : "warning");
}

function onEvent(type, event) {
  if (type === "attendance") {
    if (event.flagged) flags.set(event.meeting_id, event);
    else flags.delete(event.meeting_id);
    renderFlag(event.meeting_id);
  } else if (type === "kiosk") {
    const booth = venues.get(event.venue_id);
    if (!booth) return;
    clearTimeout(booth.offlineTimer);
    const show = () => {
      booth.kiosks_online = event.online;
      renderBooth(booth);
    };
    // A kiosk's stream is renewed every minute (gone for a second): only a lasting gap counts.
    if (event.online > 0) show();
    else booth.offlineTimer = setTimeout(show, 5000);
  } else if (type === "booth_check") {
    const booth = venues.get(event.venue_id);
    if (booth) {
      booth.last_check = { ...(booth.last_check || {}), ready: event.ready, problems: event.problems, at: event.at };
      renderBooth(booth);
    }
  }
}

if (section) {
  const source = new EventSource(`/api/v1/missions/${missionId}/board/events`);
  source.addEventListener("open", () => { section.dataset.feed = "live"; });
  source.addEventListener("error", () => { section.dataset.feed = "connecting"; });
  // Every (re)connection starts from a snapshot: reload what may have been missed meanwhile.
  source.addEventListener("snapshot", () => load().catch((error) => console.warn("booths", error)));
  for (const type of ["attendance", "booth_check", "kiosk", "ring"]) {
    source.addEventListener(type, (message) => onEvent(type, JSON.parse(message.data)));
  }
}
