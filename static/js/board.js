// The organiser's live board: one day's rooms, as table rows or compact booth tiles (both
// `.board-row`), kept live by the board's SSE feed.
import { formatClock, t } from "./i18n.js";
import { api } from "./http.js";

const table = document.getElementById("board");
const feed = document.getElementById("board-feed");
const missionId = table?.dataset.mission;
const rooms = new Map(); // meeting id -> {phase, seats, endsAt, warning, status}
// "Late" by the service's clock (the page says its time), not by the console PC's.
const offset = table?.dataset.now ? Date.parse(table.dataset.now) - Date.now() : 0;

function room(id) {
  const key = Number(id);
  if (!rooms.has(key)) rooms.set(key, { phase: null, seats: {}, endsAt: null, warning: false, status: null });
  return rooms.get(key);
}

function fromSnapshot(snapshot) {
  const r = room(snapshot.meeting_id);
  r.phase = snapshot.phase;
  r.endsAt = Date.now() + snapshot.seconds_left * 1000;
  r.warning = snapshot.warning;
  r.seats = {};
  for (const [seat, value] of Object.entries(snapshot.seats || {})) {
    r.seats[seat] = { state: value.state, speaking: value.speaking, muted: value.muted || {} };
  }
  render(snapshot.meeting_id);
}

function seatCell(cell, seat) {
  const badge = cell.querySelector(":scope > .seat-state");
  if (!badge) return;
  const state = seat?.state || "absent";
  badge.dataset.state = state;
  let text = t(`board.seat.${state}`);
  if (seat?.speaking && state === "joined") text += ` · ${t("board.speaking")}`;
  if (seat?.muted?.audio && state === "joined") text += ` · ${t("call.muted")}`;
  badge.textContent = text;
  cell.classList.toggle("speaking", Boolean(seat?.speaking && state === "joined"));
}

function render(id) {
  const row = table.querySelector(`.board-row[data-meeting="${id}"]`);
  if (!row) return;
  const r = room(id);
  // A cell per seat; the booth partner's badge sits inside the interpreter's cell.
  for (const cell of row.querySelectorAll(".seat[data-seat]")) seatCell(cell, r.seats[cell.dataset.seat]);
  const stateCell = row.querySelector(".room-state");
  const starts = Date.parse(row.dataset.starts);
  const present = Object.values(r.seats).filter((s) => s.state === "joined").length;
  let key = `meeting.status.${r.status || row.dataset.status}`;
  let level = r.status || row.dataset.status;
  if (r.phase === "live") { key = "board.phase.live"; level = "live"; }
  else if (r.phase === "lobby") { key = "board.phase.lobby"; level = "lobby"; }
  else if (r.refused && r.phase !== "closed") { key = "board.refused"; level = "no_show"; }
  else if (r.phase !== "closed" && row.dataset.status === "scheduled" && Date.now() + offset > starts + 5 * 60000 && present < 2) {
    key = "board.no_show_risk";
    level = "no_show";
  }
  stateCell.innerHTML = "";
  const badge = document.createElement("span");
  badge.className = `badge status-${level}`;
  badge.textContent = t(key);
  stateCell.append(badge);
  row.dataset.phase = r.phase || "";
}

function tickTimes() {
  for (const row of table.querySelectorAll(".board-row")) {
    const r = rooms.get(Number(row.dataset.meeting));
    const cell = row.querySelector(".time-left");
    if (r && r.endsAt && r.phase && r.phase !== "closed") {
      cell.textContent = formatClock((r.endsAt - Date.now()) / 1000);
      cell.classList.toggle("warning", r.warning || r.endsAt - Date.now() < 120000);
    } else {
      cell.textContent = "—";
    }
  }
}

function onEvent(event) {
  const r = room(event.meeting_id);
  switch (event.type) {
    case "refused": // every node was at capacity when a seat tried to open the room
      r.refused = event.at;
      break;
    case "room":
      r.phase = event.phase;
      if (event.phase === "closed") r.status = event.final ? null : r.status;
      break;
    case "presence":
      r.seats[event.seat] = { ...(r.seats[event.seat] || {}), state: event.state };
      if (event.phase) r.phase = event.phase;
      break;
    case "speaking":
      r.seats[event.seat] = { ...(r.seats[event.seat] || {}), speaking: event.speaking };
      break;
    case "mute": {
      const seat = r.seats[event.seat] || (r.seats[event.seat] = {});
      seat.muted = { ...(seat.muted || {}), [event.kind]: event.muted };
      break;
    }
    case "timer":
      if (event.seconds_left !== undefined) r.endsAt = Date.now() + event.seconds_left * 1000;
      else if (event.ends_at) r.endsAt = Date.parse(event.ends_at);
      if (event.warning) r.warning = true;
      break;
    case "stats":
      r.endsAt = Date.now() + event.seconds_left * 1000;
      for (const [seat, value] of Object.entries(event.seats || {})) {
        r.seats[seat] = { ...(r.seats[seat] || {}), state: value.state, media: value.media };
      }
      break;
    default:
      return;
  }
  render(event.meeting_id);
}

function connect() {
  const source = new EventSource(`/api/v1/missions/${missionId}/board/events`);
  source.addEventListener("open", () => {
    feed.dataset.state = "live";
    feed.textContent = t("board.feed.live");
  });
  source.addEventListener("error", () => {
    feed.dataset.state = "connecting";
    feed.textContent = t("board.feed.connecting");
  });
  source.addEventListener("snapshot", (message) => {
    const data = JSON.parse(message.data);
    for (const snapshot of data.rooms || []) fromSnapshot(snapshot);
    for (const refusal of data.refused || []) onEvent({ type: "refused", ...refusal });
  });
  for (const type of ["room", "presence", "speaking", "mute", "timer", "stats", "refused"]) {
    source.addEventListener(type, (message) => onEvent(JSON.parse(message.data)));
  }
}

async function listen(meetingId) {
  // The organiser's own seat: unseen and muted until they choose to speak.
  const response = await api(`/api/v1/meetings/${meetingId}/links`, {
    method: "POST",
    body: { seats: ["organiser"] },
  });
  if (!response.ok) {
    window.alert(t("links.unavailable"));
    return;
  }
  const [link] = await response.json();
  window.open(link.url, "_blank", "noopener");
}

if (table) {
  for (const button of table.querySelectorAll("button.listen")) {
    button.addEventListener("click", () => listen(button.dataset.meeting));
  }
  for (const row of table.querySelectorAll(".board-row")) render(row.dataset.meeting);
  connect();
  setInterval(tickTimes, 1000);
} else if (feed) {
  feed.hidden = true;
}
