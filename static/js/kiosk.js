// The booth kiosk: a booth's (or business centre's) screen that runs its day by itself.
// Signed in by its booth link (kept in localStorage for the mission's days), it shows today's
// agenda, runs the morning self-test, reminds before each meeting, joins each one a little
// before its slot with the booth's seat, and comes back to the agenda when the room closes.
import { countryName, formatRelative, formatTime, t } from "./i18n.js";
import { CallSession } from "./call.js";
import { CallView } from "./callui.js";
import { runSelfTest } from "./selftest.js";

const TOKEN_KEY = "tb-kiosk-token";
const AGENDA_EVERY_MS = 30000;
const RETRY_NOT_OPEN_MS = 5000;
const FINAL = new Set(["completed", "no_show", "cancelled"]);

const $ = (id) => document.getElementById(id);
const root = $("kiosk");
const joinRoot = $("join");
const state = {
  token: null,
  details: null,
  offset: 0, // server clock minus this machine's (a kiosk PC's clock may be off)
  stream: null,
  session: null,
  view: null,
  meeting: null, // the meeting the kiosk is in (or joining)
  done: new Set(), // meetings this kiosk is through with
  retryAt: new Map(), // meeting id -> when to try again (room not open yet)
  testing: false,
  callTemplate: null,
  rings: 0,
  log: [], // [{state, meeting, home, reminder, at}] on each change
};
window.tbKiosk = state; // for support and the browser tests

const now = () => Date.now() + state.offset;

/** The kiosk's state on the page, and a log of its changes (support, the browser tests). */
function note(name) {
  root.dataset.state = name;
  const meeting = root.dataset.meeting || null;
  const last = state.log[state.log.length - 1];
  if (last && last.state === name && last.meeting === meeting) return;
  const reminder = $("kiosk-reminder");
  state.log.push({
    state: name,
    meeting,
    home: !$("kiosk-home").hidden,
    reminder: reminder.hidden ? null : reminder.dataset.meeting || null,
    at: new Date(now()).toISOString(),
  });
}
const headers = () => ({ "X-Booth-Token": state.token });

function showOnly(id) {
  for (const section of ["kiosk-loading", "kiosk-problem", "kiosk-home"]) $(section).hidden = section !== id;
}

function signedOut(code) {
  if (code === "booth_link_revoked" || code === "booth_link_expired" || code === "booth_link_invalid") {
    localStorage.removeItem(TOKEN_KEY);
  }
  const key = `kiosk.problem.${code}`;
  const text = t(key);
  $("kiosk-problem-text").textContent = text === key ? t("kiosk.problem.other") : text;
  note("problem");
  state.session?.end("left");
  joinRoot.hidden = true;
  showOnly("kiosk-problem");
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { ...headers(), ...(options.body ? { "Content-Type": "application/json" } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 403 && String(body.code || "").startsWith("booth_link")) {
    signedOut(body.code);
    throw Object.assign(new Error(body.detail), { code: body.code, fatal: true });
  }
  if (!response.ok) throw Object.assign(new Error(body.detail || response.statusText), { code: body.code, status: response.status });
  return body;
}

function readToken() {
  const fromHash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
  if (fromHash) {
    localStorage.setItem(TOKEN_KEY, fromHash);
    // Keep the credential off the screen and out of the history shown to passers-by.
    history.replaceState(null, "", window.location.pathname + window.location.search);
    return fromHash;
  }
  return localStorage.getItem(TOKEN_KEY);
}

// -- the agenda --------------------------------------------------------------------------------

const zoned = (iso) => formatTime(iso, { timeZone: state.details.timezone });

function buyerText(m) {
  const place = [m.buyer_city, countryName(m.buyer_country)].filter(Boolean).join(", ");
  return `${m.buyer_company} — ${m.buyer}${place ? ` (${place})` : ""}`;
}

function otherSide(m) {
  return state.details.seat === "company" ? buyerText(m) : m.company;
}

function renderAgenda() {
  const d = state.details;
  $("kiosk-venue").textContent = d.venue_name;
  $("kiosk-mission").textContent = `${d.mission_name} · ${[d.city, countryName(d.country)].filter(Boolean).join(", ")}`;
  $("kiosk-day").textContent = new Intl.DateTimeFormat(document.documentElement.lang, {
    dateStyle: "full", timeZone: d.timezone,
  }).format(new Date(d.now));
  const list = $("kiosk-agenda");
  list.replaceChildren();
  const next = nextMeeting();
  for (const m of d.meetings) {
    const item = document.createElement("li");
    item.dataset.meeting = m.meeting_id;
    item.dataset.status = m.status;
    const ends = Date.parse(m.ends_at);
    item.classList.toggle("past", FINAL.has(m.status) || ends <= now());
    item.classList.toggle("next", next?.meeting_id === m.meeting_id);
    const time = document.createElement("p");
    time.className = "agenda-time";
    time.textContent = `${zoned(m.starts_at)}–${zoned(m.ends_at)}`;
    const who = document.createElement("p");
    who.className = "agenda-who";
    const company = document.createElement("strong");
    company.textContent = m.company;
    const buyer = document.createElement("span");
    buyer.textContent = buyerText(m);
    who.append(company, " ↔ ", buyer);
    const interp = document.createElement("p");
    interp.className = "agenda-interp muted";
    interp.textContent = m.interpreter
      ? t("kiosk.agenda.interpreter", { name: m.interpreter, pair: m.language_pair.toUpperCase() })
      : t("meeting.no_interpreter");
    const status = document.createElement("span");
    status.className = `badge status-${m.status}`;
    status.textContent = t(`meeting.status.${m.status}`);
    item.append(time, who, interp, status);
    list.append(item);
  }
  $("kiosk-empty").hidden = d.meetings.length > 0;
}

function nextMeeting() {
  const at = now();
  return (state.details?.meetings || []).find(
    (m) => !FINAL.has(m.status) && !state.done.has(m.meeting_id) && Date.parse(m.ends_at) > at,
  );
}

async function loadAgenda() {
  const started = Date.now();
  const details = await api("/api/v1/kiosk");
  state.offset = Date.parse(details.now) - (started + Date.now()) / 2;
  state.details = details;
  document.body.classList.toggle("kiosk-big", details.seat === "buyer");
  renderAgenda();
  return details;
}

// -- the day's clock ---------------------------------------------------------------------------

function tick() {
  const d = state.details;
  if (!d) return;
  $("kiosk-clock").textContent = formatTime(now(), { timeZone: d.timezone });
  if (state.meeting) return;
  const next = nextMeeting();
  const reminder = $("kiosk-reminder");
  const status = $("kiosk-status");
  if (!next) {
    reminder.hidden = true;
    status.textContent = t("kiosk.status.done");
    note("agenda");
    return;
  }
  const starts = Date.parse(next.starts_at);
  const untilStart = (starts - now()) / 1000;
  const remindFrom = d.reminder_minutes * 60;
  reminder.hidden = !(untilStart > 0 && untilStart <= remindFrom);
  if (!reminder.hidden) {
    reminder.textContent = t("kiosk.reminder", {
      time: zoned(next.starts_at), who: otherSide(next), when: formatRelative(untilStart),
    });
  }
  reminder.dataset.meeting = reminder.hidden ? "" : next.meeting_id;
  status.textContent = t("kiosk.status.next", { time: zoned(next.starts_at), who: otherSide(next) });
  note("agenda");
  const retry = state.retryAt.get(next.meeting_id) || 0;
  if (untilStart <= d.join_lead_seconds && now() >= retry && !state.testing) {
    joinMeeting(next).catch((error) => console.warn("kiosk join", error));
  }
}

// -- joining a meeting -------------------------------------------------------------------------

async function mediaStream() {
  if (state.stream && state.stream.getTracks().some((track) => track.readyState === "live")) return state.stream;
  for (const constraints of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
    try {
      state.stream = await navigator.mediaDevices.getUserMedia(constraints);
      return state.stream;
    } catch {
      // try with less
    }
  }
  state.stream = new MediaStream();
  return state.stream;
}

function freshCallSection() {
  // A new call section per meeting: the call view binds its buttons once per section.
  const live = $("step-call");
  if (!state.callTemplate) state.callTemplate = live.cloneNode(true);
  const fresh = state.callTemplate.cloneNode(true);
  live.replaceWith(fresh);
  for (const step of joinRoot.querySelectorAll(".step")) step.hidden = step !== fresh;
  fresh.hidden = false;
  joinRoot.dataset.step = "call";
  return fresh;
}

/** The language this side listens in: the company's booth Korean, the buyer's centre the
 *  pair's other language. */
function ownLanguage(details) {
  const pair = (details.language_pair || "").split("-").filter(Boolean);
  if (pair.length !== 2) return null;
  return state.details.seat === "buyer" ? pair.find((code) => code !== "ko") || pair[1] : pair.includes("ko") ? "ko" : pair[0];
}

function captions(meeting, details) {
  const box = $("kiosk-captions");
  $("cap-name").textContent = state.details.seat === "buyer"
    ? `${meeting.company} (${countryName("KR")})`
    : buyerText(meeting);
  const mine = ownLanguage(details);
  $("cap-interp").textContent = meeting.interpreter && mine
    ? t("kiosk.caption.interpreter", { name: meeting.interpreter, channel: mine.toUpperCase() })
    : "";
  box.hidden = false;
}

async function joinMeeting(meeting) {
  if (state.meeting) return;
  state.meeting = meeting;
  note("joining");
  $("kiosk-status").textContent = t("kiosk.status.joining", { who: otherSide(meeting) });
  let details;
  let token;
  try {
    ({ token } = await api(`/api/v1/kiosk/meetings/${meeting.meeting_id}/token`, { method: "POST" }));
    const response = await fetch("/api/v1/join", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }),
    });
    details = await response.json();
    if (!response.ok) throw Object.assign(new Error(details.detail), { code: details.code });
  } catch (error) {
    state.meeting = null;
    if (error.fatal) return;
    if (error.code === "meeting_over" || error.code === "not_this_booth") state.done.add(meeting.meeting_id);
    else state.retryAt.set(meeting.meeting_id, now() + RETRY_NOT_OPEN_MS);
    return;
  }
  const stream = await mediaStream();
  const section = freshCallSection();
  const session = new CallSession({
    details, token, stream, device: `kiosk ${state.details.venue_name}`.slice(0, 100),
    iceServers: details.ice_servers || [],
  });
  const view = new CallView(section, session, details);
  state.session = session;
  state.view = view;
  window.tbCall = session;
  $("kiosk-home").hidden = true;
  joinRoot.hidden = false;
  document.body.classList.add("kiosk-in-call");
  root.dataset.meeting = meeting.meeting_id;
  note("call");
  captions(meeting, details);
  view.start();
  // Nobody at a kiosk picks an interpretation channel: take this side's language once the
  // room says which channels it has (through the listener's own control, so it shows).
  const mine = ownLanguage(details);
  let chosen = false;
  session.addEventListener("interpretation_state", (event) => {
    if (chosen || !mine || !(event.detail.channels || []).includes(mine)) return;
    setTimeout(() => {
      const select = section.querySelector("#channel-select");
      if (!select || ![...select.options].some((option) => option.value === mine)) return;
      chosen = true;
      select.value = mine;
      select.dispatchEvent(new Event("change"));
    }, 0);
  });
  session.addEventListener("ended", (event) => {
    view.stop();
    backToAgenda(meeting, event.detail.reason);
  });
  session.start();
}

function backToAgenda(meeting, reason) {
  if (reason === "meeting_not_open") {
    state.retryAt.set(meeting.meeting_id, now() + RETRY_NOT_OPEN_MS);
  } else {
    state.done.add(meeting.meeting_id);
  }
  state.session = null;
  state.view = null;
  state.meeting = null;
  delete root.dataset.meeting;
  joinRoot.hidden = true;
  $("kiosk-captions").hidden = true;
  document.body.classList.remove("kiosk-in-call");
  showOnly("kiosk-home");
  loadAgenda().catch(() => {});
  tick(); // back on the agenda (noted there, with the reminder for the next meeting)
}

// -- self-test ---------------------------------------------------------------------------------

async function selfTest() {
  if (state.testing || state.meeting) return;
  state.testing = true;
  const verdict = $("selftest-verdict");
  verdict.dataset.ready = "";
  verdict.textContent = t("selftest.running");
  $("selftest-run").disabled = true;
  try {
    const checks = await runSelfTest({
      preview: $("selftest-preview"),
      headers: headers(),
      bandwidthBytes: state.details.bandwidth_bytes,
      iceServers: state.details.ice_servers,
      onCheck: (name, result) => showCheck(name, result),
    });
    const report = await api("/api/v1/kiosk/self-test", {
      method: "POST",
      body: { checks, device: navigator.userAgent.slice(0, 200) },
    });
    showVerdict(report);
  } catch (error) {
    verdict.textContent = t("selftest.failed");
    console.warn("self-test", error);
  } finally {
    state.testing = false;
    $("selftest-run").disabled = false;
  }
}

function showCheck(name, result) {
  const item = $("selftest-list").querySelector(`[data-check="${name}"]`);
  if (!item) return;
  const text = item.querySelector(".check-result");
  if (!result) {
    item.dataset.state = "running";
    text.textContent = t("selftest.checking");
    return;
  }
  item.dataset.state = result.ok ? "ok" : "bad";
  item.dataset.reason = result.reason || "";
  text.textContent = result.ok
    ? (result.reason === "not_configured" ? t("selftest.turn.not_configured") : `✓ ${t("selftest.ok")}`)
    : `✗ ${problemText(`${name}.${result.reason || "failed"}`)}`;
}

function problemText(problem) {
  const key = `selftest.problem.${problem}`;
  const text = t(key);
  return text === key ? t("selftest.problem.other", { problem }) : text;
}

function showVerdict(report) {
  const verdict = $("selftest-verdict");
  verdict.dataset.ready = report.ready ? "yes" : "no";
  verdict.textContent = report.ready
    ? t("selftest.ready")
    : t("selftest.not_ready", { problems: report.problems.map(problemText).join(" · ") });
  $("selftest").dataset.at = report.at;
  for (const [name, result] of Object.entries(report.checks || {})) showCheck(name, result);
}

function testedToday(check) {
  if (!check) return false;
  const day = (iso) => new Intl.DateTimeFormat("en-CA", { timeZone: state.details.timezone }).format(new Date(iso));
  return day(check.at) === day(now());
}

// -- ring --------------------------------------------------------------------------------------

function ring(event) {
  state.rings += 1;
  const box = $("kiosk-ring");
  box.hidden = false;
  box.dataset.rings = String(state.rings);
  $("kiosk-ring-ok").focus();
  try {
    const context = new AudioContext();
    const gain = context.createGain();
    gain.gain.value = 0.3;
    gain.connect(context.destination);
    for (let i = 0; i < 6; i += 1) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = i % 2 ? 988 : 784;
      oscillator.connect(gain);
      oscillator.start(context.currentTime + i * 0.25);
      oscillator.stop(context.currentTime + i * 0.25 + 0.2);
    }
    setTimeout(() => context.close().catch(() => {}), 2000);
  } catch (error) {
    console.warn("ring tone", error);
  }
  console.info("kiosk: rung by the organiser", event.meeting_id ?? "");
}

function onEvent(type, data) {
  if (type === "ring") ring(data);
  if (type === "revoked") signedOut("booth_link_revoked");
}

async function listen() {
  // fetch rather than EventSource: the token goes in a header, never in the URL.
  for (;;) {
    try {
      const response = await fetch("/api/v1/kiosk/events", { headers: headers(), cache: "no-store" });
      if (response.status === 403) {
        const body = await response.json().catch(() => ({}));
        signedOut(body.code || "booth_link_invalid");
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) onEvent(type, JSON.parse(data));
        }
      }
    } catch (error) {
      console.info("kiosk: event stream dropped", String(error));
    }
    if (root.dataset.state === "problem") return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// -- start -------------------------------------------------------------------------------------

async function main() {
  joinRoot.hidden = true;
  state.token = readToken();
  if (!state.token) {
    signedOut("no_token");
    return;
  }
  try {
    await loadAgenda();
  } catch (error) {
    if (!error.fatal) signedOut("other");
    return;
  }
  showOnly("kiosk-home");
  note("agenda");
  if (state.details.last_check) showVerdict(state.details.last_check);
  $("selftest-run").addEventListener("click", selfTest);
  $("kiosk-ring-ok").addEventListener("click", () => { $("kiosk-ring").hidden = true; });
  document.addEventListener("keydown", (event) => {
    // The big screen: the space bar mutes too (M already does, in the call view).
    if (event.key === " " && state.session && !event.target.closest("input, textarea, select, button")) {
      event.preventDefault();
      $("btn-mic")?.click();
    }
  });
  listen();
  setInterval(tick, 1000);
  setInterval(() => { if (!state.meeting) loadAgenda().catch(() => {}); }, AGENDA_EVERY_MS);
  tick();
  // The morning self-test: once a day, by itself, when no meeting is about to start.
  const next = nextMeeting();
  const soon = next && (Date.parse(next.starts_at) - now()) / 1000 <= state.details.join_lead_seconds;
  if (!testedToday(state.details.last_check) && !soon) selfTest();
}

window.addEventListener("pagehide", () => {
  state.stream?.getTracks().forEach((track) => track.stop());
});

main();
