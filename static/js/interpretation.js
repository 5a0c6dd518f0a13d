// Interpretation on the call page: the listener's panel (channel, floor level, fallback) and the
// interpreters' console (mode, direction, floor marker, who is live, handover, alarm, relay
// source, partner line). The server's `interpretation_state` and `routing` drive what is shown;
// every control is a request (docs/signalling.md) and the display follows the server's answer.
import { t } from "./i18n.js";

const INTERPRETER_SEATS = new Set(["interpreter", "partner"]);
const DEFAULT_FLOOR_LEVEL = 0.2;
// Refusals with their own message (interp.error.*); anything else gets a plain "try again".
const EXPLAINED_ERRORS = new Set(["relay_loop", "permission_denied", "invalid_state", "not_found"]);

function button(text, dataset = {}) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  Object.assign(element.dataset, dataset);
  return element;
}

export class InterpretationView {
  constructor(view) {
    this.view = view;
    this.session = view.session;
    this.seat = view.session.seat;
    this.isInterpreter = INTERPRETER_SEATS.has(this.seat);
    this.state = null; // the latest interpretation_state
    this.choice = { channel: null, floorLevel: DEFAULT_FLOOR_LEVEL, fallback: true, backChannel: true };
    this.$ = view.$;
  }

  start() {
    const s = this.session;
    s.addEventListener("interpretation_state", (e) => this.update(e.detail));
    s.addEventListener("routing", (e) => this.routing(e.detail));
    s.addEventListener("presence", () => this.state && this.update(this.state));
    s.addEventListener("mute_state", () => this.state && this.update(this.state));
    if (this.isInterpreter) this.bindConsole();
    else this.bindListener();
    // For support and the browser tests: the room's interpretation as this page last heard it.
    window.tradebooth = { ...(window.tradebooth || {}), interpretation: () => this.state };
  }

  language(code) {
    return code.toUpperCase();
  }

  seatName(seat) {
    if (seat === this.seat) return t("call.you");
    return this.view.label(seat).name || t(`seat.${seat}`);
  }

  /** Ask the server for a change; on refusal, say why and show the server's state again. */
  async ask(promise) {
    const box = this.$(this.isInterpreter ? "#interp-error" : "#listen-error");
    try {
      const data = await promise;
      box.hidden = true;
      return data;
    } catch (error) {
      const loop = /relay_loop/.test(JSON.stringify(error.details || {})) || /loop/i.test(error.message);
      const detail = error.code === "invalid_state" && loop ? "relay_loop" : error.code;
      box.textContent = t(`interp.error.${EXPLAINED_ERRORS.has(detail) ? detail : "other"}`);
      box.hidden = false;
      if (this.state) this.update(this.state);
      return null;
    }
  }

  /** Send the new choice; if the server refuses it, the previous one stands (and shows). */
  async changeListen(change) {
    const previous = this.choice;
    this.choice = { ...previous, ...change };
    if ((await this.ask(this.session.listen(this.choice))) === null) {
      this.choice = previous;
      this.showChoice();
    }
  }

  /** The controls as the current choice says. */
  showChoice() {
    const c = this.choice;
    if (this.isInterpreter) {
      this.$("#relay-select").value = c.channel ?? "floor";
      this.$("#hear-back-channel").checked = c.backChannel;
    } else {
      this.$("#channel-select").value = c.channel ?? "floor";
      this.$("#floor-level").value = String(Math.round(c.floorLevel * 100));
      this.$("#floor-level-value").value = `${Math.round(c.floorLevel * 100)}%`;
      this.$("#listen-fallback").checked = c.fallback;
      this.$("#floor-level").disabled = c.channel === null;
      this.$("#listen-fallback").disabled = c.channel === null;
    }
    this.showListenStatus();
  }

  // -- server messages ----------------------------------------------------------------------

  routing({ feeds }) {
    this.view.mix.applyRouting(feeds);
    this.lastFeeds = feeds || [];
    this.showListenStatus();
  }

  update(state) {
    this.state = state;
    const floorBox = this.$("#floor-state");
    floorBox.hidden = !state.floor;
    if (state.floor) floorBox.textContent = t(`interp.floor.now.${state.floor}`);
    if (this.isInterpreter) this.renderConsole();
    else this.renderListener();
  }

  // -- the listener's panel -------------------------------------------------------------------

  bindListener() {
    const select = this.$("#channel-select");
    const level = this.$("#floor-level");
    const shown = this.$("#floor-level-value");
    const fallback = this.$("#listen-fallback");
    const changed = () => {
      shown.value = `${level.value}%`;
      level.disabled = select.value === "floor";
      fallback.disabled = select.value === "floor";
      this.changeListen({
        channel: select.value === "floor" ? null : select.value,
        floorLevel: Number(level.value) / 100,
        fallback: fallback.checked,
      });
    };
    // The slider sends on release; `input` only moves the figure shown.
    level.addEventListener("input", () => (shown.value = `${level.value}%`));
    level.addEventListener("change", changed);
    select.addEventListener("change", changed);
    fallback.addEventListener("change", changed);
    level.disabled = true;
    fallback.disabled = true;
  }

  renderListener() {
    const { channels = [], mode } = this.state;
    const panel = this.$("#listener-panel");
    panel.hidden = channels.length === 0;
    const select = this.$("#channel-select");
    const have = [...select.options].map((o) => o.value).filter((v) => v !== "floor");
    if (have.join() !== channels.join()) {
      for (const option of [...select.options]) if (option.value !== "floor") option.remove();
      for (const code of channels) {
        select.add(new Option(t("interp.channel.language", { language: this.language(code) }), code));
      }
      select.value = this.choice.channel && channels.includes(this.choice.channel) ? this.choice.channel : "floor";
    }
    this.$("#listen-mode").textContent = t(`interp.mode.about.${mode === "simultaneous" ? "simultaneous" : "consecutive"}`);
    panel.dataset.mode = mode || "consecutive";
    this.showListenStatus();
  }

  /** One line on what the listener hears now, from the state and this seat's routing. */
  showListenStatus() {
    const box = this.$(this.isInterpreter ? "#relay-status" : "#listen-status");
    if (!box || !this.state) return;
    const channel = this.choice.channel;
    let text = "";
    if (channel && this.state.mode === "simultaneous") {
      const live = this.state.live?.[channel];
      const silent = (this.state.silent || []).includes(channel);
      if (!live) text = t("interp.status.nobody", { language: this.language(channel) });
      else if (silent && this.choice.fallback) text = t("interp.status.silent", { language: this.language(channel) });
      else text = t("interp.status.live", { language: this.language(channel), name: this.seatName(live) });
    }
    box.textContent = text;
    box.hidden = !text;
  }

  // -- the interpreters' console ------------------------------------------------------------

  bindConsole() {
    const panel = this.$("#interpreter-panel");
    panel.hidden = false;
    for (const b of panel.querySelectorAll("[data-mode]")) {
      b.addEventListener("click", () => this.ask(this.session.setMode(b.dataset.mode)));
    }
    for (const b of panel.querySelectorAll("[data-floor]")) {
      b.addEventListener("click", () => {
        const same = this.state?.floor === b.dataset.floor;
        this.ask(this.session.markFloor(same ? null : b.dataset.floor));
      });
    }
    this.$("#direction-toggle").addEventListener("click", () => {
      const next = this.nextDirection();
      if (next) this.ask(this.session.setDirection(next));
    });
    this.$("#relay-select").addEventListener("change", (event) => {
      const value = event.target.value;
      this.changeListen({ channel: value === "floor" ? null : value });
    });
    this.$("#hear-back-channel").addEventListener("change", (event) => {
      this.changeListen({ backChannel: event.target.checked });
    });
    this.$("#interp-channels").addEventListener("click", (event) => {
      const b = event.target.closest("button[data-action]");
      if (b) this.ask(this.session.handover(b.dataset.channel, b.dataset.action));
    });
    this.bindTalkBack();
    const form = this.$("#team-form");
    const input = this.$("#team-input");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      if ((await this.ask(this.session.sendChat(text, "team"))) === null) input.value = text;
    });
    this.session.addEventListener("back-channel-refused", () => {
      this.$("#btn-talkback").disabled = true;
    });
  }

  bindTalkBack() {
    const talk = this.$("#btn-talkback");
    if (!this.session.audioTrack) talk.disabled = true;
    const set = (on) => {
      if (on) this.session.startBackChannel();
      this.session.talkBackChannel(on);
      talk.setAttribute("aria-pressed", String(on));
    };
    talk.addEventListener("pointerdown", (event) => {
      try {
        talk.setPointerCapture(event.pointerId); // released outside the button still ends it
      } catch {
        // a synthetic event has no pointer to capture
      }
      set(true);
    });
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) talk.addEventListener(type, () => set(false));
    talk.addEventListener("keydown", (event) => {
      if ((event.key === " " || event.key === "Enter") && !event.repeat) {
        event.preventDefault();
        set(true);
      }
    });
    talk.addEventListener("keyup", (event) => {
      if (event.key === " " || event.key === "Enter") set(false);
    });
    talk.addEventListener("blur", () => set(false));
  }

  /** Channels this seat holds live now. */
  liveChannels() {
    return (this.state?.channels || []).filter((c) => this.state.live?.[c] === this.seat);
  }

  nextDirection() {
    const held = this.liveChannels();
    if (held.length < 2) return null;
    const now = this.state.directions?.[this.seat];
    return held[(held.indexOf(now) + 1) % held.length];
  }

  renderConsole() {
    const st = this.state;
    const channels = st.channels || [];
    const mode = st.mode || "consecutive";
    for (const b of this.$("#interpreter-panel").querySelectorAll("[data-mode]")) {
      b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    }
    for (const b of this.$("#interpreter-panel").querySelectorAll("[data-floor]")) {
      b.setAttribute("aria-pressed", String(b.dataset.floor === st.floor));
    }
    // Direction: one control that swaps between the channels this seat holds.
    const toggle = this.$("#direction-toggle");
    const held = this.liveChannels();
    const direction = st.directions?.[this.seat] || (held.length === 1 ? held[0] : null);
    toggle.dataset.direction = direction || "";
    toggle.textContent = direction
      ? t("interp.into", { language: this.language(direction) })
      : t("interp.direction.none");
    toggle.disabled = held.length < 2;
    const next = this.nextDirection();
    toggle.title = next ? t("interp.direction.swap", { language: this.language(next) }) : "";
    // The alarm: both microphones open on a channel.
    const alarm = this.$("#interp-alarm");
    const alarmed = st.alarm || [];
    alarm.hidden = alarmed.length === 0;
    alarm.textContent = alarmed.length
      ? t("interp.alarm", { channels: alarmed.map((c) => this.language(c)).join(", ") })
      : "";
    this.$("#interpreter-panel").classList.toggle("alarm", alarmed.length > 0);
    this.renderChannels(channels);
    // Relay source: the floor or another channel.
    const relay = this.$("#relay-select");
    const have = [...relay.options].map((o) => o.value).filter((v) => v !== "floor");
    if (have.join() !== channels.join()) {
      for (const option of [...relay.options]) if (option.value !== "floor") option.remove();
      for (const code of channels) {
        relay.add(new Option(t("interp.relay.channel", { language: this.language(code) }), code));
      }
    }
    relay.value = this.choice.channel && channels.includes(this.choice.channel) ? this.choice.channel : "floor";
    // The partner line is ready as soon as there is a partner to talk to.
    const partners = new Set(Object.values(st.team || {}).flat());
    partners.delete(this.seat);
    this.$("#partner-line").hidden = partners.size === 0;
    if (partners.size > 0) this.session.startBackChannel();
    this.showListenStatus();
  }

  renderChannels(channels) {
    const st = this.state;
    const list = this.$("#interp-channels");
    list.replaceChildren();
    for (const channel of channels) {
      const team = st.team?.[channel] || [];
      const live = st.live?.[channel] || null;
      const requested = st.requested_by?.[channel] || null;
      const item = document.createElement("li");
      item.dataset.channel = channel;
      item.dataset.live = live || "";
      item.classList.toggle("mine", live === this.seat);
      item.classList.toggle("alarm", (st.alarm || []).includes(channel));
      const head = document.createElement("strong");
      head.textContent = this.language(channel);
      const who = document.createElement("span");
      who.className = "who-live";
      who.textContent = live ? t("interp.live", { name: this.seatName(live) }) : t("interp.live.nobody");
      item.append(head, " ", who);
      const members = document.createElement("ul");
      members.className = "team";
      for (const member of team) {
        const li = document.createElement("li");
        li.dataset.seat = member;
        const open = member === this.seat ? !this.session.muted.audio : this.view.tiles.get(member)?.dataset.micMuted !== "1";
        li.dataset.mic = open ? "open" : "closed";
        li.textContent = `${this.seatName(member)} · ${t(open ? "interp.mic.open" : "interp.mic.closed")}`;
        members.append(li);
      }
      item.append(members);
      if (requested) {
        const note = document.createElement("p");
        note.className = "request";
        note.textContent = requested === this.seat
          ? t("interp.request.sent")
          : t("interp.request.from", { name: this.seatName(requested) });
        item.append(note);
      }
      const actions = document.createElement("div");
      actions.className = "handover-buttons";
      for (const action of this.actionsFor(channel, team, live, requested)) {
        actions.append(button(t(`interp.handover.${action}`), { channel, action }));
      }
      item.append(actions);
      list.append(item);
    }
  }

  /** The handover actions this seat may take on a channel now. */
  actionsFor(channel, team, live, requested) {
    const me = this.seat;
    if (!team.includes(me)) return [];
    const liveGone = live && this.view.tiles.get(live)?.dataset.presence !== "joined" && live !== me;
    if (!live || liveGone) return ["take"];
    const others = team.filter((s) => s !== me);
    const actions = [];
    if (live === me) {
      if (others.length) actions.push("hand_over");
      if (requested && requested !== me) actions.push("accept", "decline");
      else if (!requested && others.length) actions.push("request");
    } else if (requested === live) {
      actions.push("accept", "decline");
    } else if (!requested) {
      actions.push("request");
    }
    return actions;
  }

  teamLine({ seat, text, at }) {
    const log = this.$("#team-log");
    if (!log) return;
    log.append(this.view.chatItem({ seat, text, at }));
    log.scrollTop = log.scrollHeight;
  }
}
