// The join flow from a seat's link: language, device check, lobby, the call, then afterwards.
import { countryName, formatDateTime, formatRelative, lang, t, timeZoneLabel } from "./i18n.js";
import { DeviceCheck } from "./devices.js";
import { CallSession } from "./call.js";
import { CallView } from "./callui.js";
import { bindOutcomeForm } from "./outcome.js";

const root = document.getElementById("join");
const steps = [...root.querySelectorAll(".step")];
const state = { token: null, details: null, devices: null, session: null, view: null, stream: null, offset: 0 };
// The service's clock, not the device's: a laptop set to the wrong hour still sees the room open.
const now = () => Date.now() + state.offset;

function show(id) {
  for (const step of steps) step.hidden = step.id !== id;
  const step = document.getElementById(id);
  const heading = step.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  root.dataset.step = id.replace("step-", "");
  // The call is one screen (1366x768 and up): nothing scrolls but its own panels.
  document.body.classList.toggle("in-call", id === "step-call");
}

function problem(code) {
  const key = `join.problem.${code}`;
  const text = t(key);
  document.getElementById("problem-text").textContent = text === key ? t("join.problem.other") : text;
  show("step-problem");
}

function readToken() {
  const fromHash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
  if (fromHash) {
    sessionStorage.setItem("tb-token", fromHash);
    return fromHash;
  }
  return sessionStorage.getItem("tb-token");
}

async function loadDetails(token) {
  const sent = Date.now();
  const response = await fetch("/api/v1/join", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.detail || response.statusText), { code: body.code || "link_invalid" });
  if (body.now) state.offset = Date.parse(body.now) - (sent + Date.now()) / 2;
  return body;
}

// -- steps -------------------------------------------------------------------------------------

function languageStep() {
  show("step-language");
  document.getElementById("language-keep").addEventListener("click", devicesStep, { once: true });
}

async function devicesStep() {
  show("step-devices");
  if (!state.devices) {
    state.devices = new DeviceCheck(document.getElementById("step-devices"));
    document.getElementById("devices-continue").addEventListener("click", async () => {
      await state.devices.opening; // a quick click must not leave the call without devices
      state.stream = state.devices.takeStream();
      lobbyStep();
    });
  }
  await state.devices.start();
}

function seatName(seat) {
  return t(`seat.${seat}`);
}

function lobbyStep() {
  const d = state.details;
  show("step-lobby");
  document.getElementById("lobby-mission").textContent = d.mission_name;
  document.getElementById("lobby-seat").textContent = seatName(d.seat);
  document.getElementById("lobby-company").textContent = `${d.company.name} (${countryName("KR")})`;
  const place = [d.buyer.city, countryName(d.buyer.country)].filter(Boolean).join(", ");
  document.getElementById("lobby-buyer").textContent = place ? `${d.buyer.name} (${place})` : d.buyer.name;
  document.getElementById("lobby-interpreter").textContent = d.interpreter ? d.interpreter.name : t("meeting.no_interpreter");
  const zone = timeZoneLabel(d.starts_at);
  document.getElementById("lobby-time").textContent = t("lobby.time", {
    start: formatDateTime(d.starts_at),
    end: formatDateTime(d.ends_at, { dateStyle: undefined }),
    zone,
  });
  const join = document.getElementById("lobby-join");
  const countdown = document.getElementById("lobby-countdown");
  const update = () => {
    const at = now();
    const opens = Date.parse(d.opens_at);
    const starts = Date.parse(d.starts_at);
    const ends = Date.parse(d.ends_at);
    if (at >= ends) {
      countdown.textContent = t("lobby.over");
      join.disabled = true;
    } else if (at < opens) {
      countdown.textContent = t("lobby.opens", { when: formatRelative((opens - at) / 1000) });
      join.disabled = true;
    } else {
      countdown.textContent = at < starts
        ? t("lobby.starts_in", { when: formatRelative((starts - at) / 1000) })
        : t("lobby.started");
      join.disabled = false;
    }
  };
  update();
  clearInterval(state.lobbyTimer);
  state.lobbyTimer = setInterval(update, 1000);
  join.onclick = () => {
    clearInterval(state.lobbyTimer);
    callStep();
  };
  const devices = document.getElementById("lobby-devices");
  devices.hidden = d.seat === "organiser"; // listens without devices (see organiserStep)
  devices.onclick = () => {
    clearInterval(state.lobbyTimer);
    state.stream?.getTracks().forEach((track) => track.stop());
    state.stream = null;
    devicesStep();
  };
}

function callStep() {
  show("step-call");
  const session = new CallSession({
    details: state.details,
    token: state.token,
    stream: state.stream,
    device: `${navigator.platform || ""} ${lang}`.trim(),
    iceServers: state.details.ice_servers || [],
  });
  const view = new CallView(document.getElementById("step-call"), session, state.details);
  state.session = session;
  state.view = view;
  window.tbCall = session; // for the organiser's support and the browser tests
  view.start();
  session.addEventListener("ended", (event) => {
    view.stop();
    afterStep(event.detail.reason);
  });
  session.start();
}

function afterStep(reason) {
  show("step-after");
  const text = document.getElementById("after-text");
  const known = {
    left: "after.thanks", room_closed: "after.closed", meeting_over: "after.closed",
    seat_taken: "after.taken", seat_left: "after.thanks",
  }[reason];
  text.textContent = known ? t(known) : t("join.problem.other");
  const rejoin = document.getElementById("after-rejoin");
  rejoin.hidden = reason === "room_closed" || reason === "meeting_over";
  rejoin.onclick = () => window.location.reload();
  if (state.details.seat === "company") {
    const box = document.getElementById("after-outcome");
    box.hidden = false;
    const form = box.querySelector("form");
    form.dataset.meeting = state.details.meeting_id;
    form.dataset.seatToken = state.token; // the link is what lets this seat save its outcome
    bindOutcomeForm(form);
  }
}

async function main() {
  state.token = readToken();
  if (!state.token) {
    problem("no_token");
    return;
  }
  try {
    state.details = await loadDetails(state.token);
  } catch (error) {
    problem(error.code);
    return;
  }
  document.title = `${state.details.company.name} ↔ ${state.details.buyer.name} · ${document.title}`;
  if (state.details.seat === "organiser") organiserStep();
  else if (root.dataset.langChosen === "1") devicesStep();
  else languageStep();
}

/** "Listen in" from the board: the organiser's seat goes straight into the call, unseen and
 *  muted, in the console's language and with no device check (a microphone is asked for
 *  only if the organiser chooses to speak). Before the room opens: the lobby. */
function organiserStep() {
  state.stream = null;
  const at = now();
  const d = state.details;
  if (at >= Date.parse(d.opens_at) && at < Date.parse(d.ends_at)) callStep();
  else lobbyStep();
}

window.addEventListener("pagehide", () => {
  state.stream?.getTracks().forEach((track) => track.stop());
});

main();
