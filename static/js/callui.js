// The call page: tiles with labels, self view, controls, chat, slot timer, speaking and quality.
import { countryName, formatClock, formatTime, t } from "./i18n.js";
import { levelMeter, openMicrophone, savedChoice } from "./devices.js";
import { AudioMix } from "./audiomix.js";
import { InterpretationView } from "./interpretation.js";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;

/** Chat text as DOM nodes: plain text with http(s) links made clickable (never innerHTML). */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[.,;:!?)]+$/, "");
    fragment.append(text.slice(last, match.index));
    const link = document.createElement("a");
    link.href = url;
    link.textContent = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    fragment.append(link);
    last = match.index + url.length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

export class CallView {
  constructor(root, session, details) {
    this.root = root;
    this.session = session;
    this.details = details;
    this.tiles = new Map(); // seat -> element
    this.endsAt = null; // local clock, corrected by the server's seconds_left
    this.startsAt = null;
    this.warned = false;
    this.timers = [];
    this.stopSelfMeter = null;
    this.speaker = savedChoice().speaker;
    this.qualityLast = null;
    this.mix = new AudioMix({ sinkId: this.speaker });
    this.$ = (selector) => root.querySelector(selector);
    this.interpretation = new InterpretationView(this);
    // For the organiser's support and the browser tests: the gains and levels as played.
    window.tradebooth = { ...(window.tradebooth || {}), audio: this.mix };
  }

  start() {
    const s = this.session;
    const self = this.$("#self-video");
    self.srcObject = s.stream;
    if (!s.cameraTrack) this.$("#self-tile").classList.add("no-video");
    if (s.seat === "organiser") {
      // The organiser's seat is unseen: say so where the self view would be.
      this.$("#self-tile").classList.add("camera-off");
      this.$("#self-tile .tile-label").textContent = t("call.unseen");
    }
    if (s.audioTrack) {
      this.stopSelfMeter = levelMeter(s.audioTrack, (level) => {
        this.$("#self-speaking").classList.toggle("on", level > 0.08 && !s.muted.audio);
      });
    }
    for (const seat of ["company", "buyer", "interpreter", "partner"]) {
      if (seat === s.seat) continue;
      if (seat === "interpreter" && !this.details.interpreter) continue;
      if (seat === "partner" && !this.partnerName()) continue;
      this.tile(seat);
    }
    this.bindControls();
    this.bindChat();
    this.interpretation.start();
    s.addEventListener("remote-track", (e) => this.attach(e.detail));
    s.addEventListener("remote-track-ended", (e) => this.detach(e.detail));
    s.addEventListener("remote-track-changed", (e) => this.remap(e.detail));
    s.addEventListener("mute_state", (e) => this.muteState(e.detail));
    s.addEventListener("presence", (e) => this.presence(e.detail));
    s.addEventListener("room_state", (e) => this.roomState(e.detail));
    s.addEventListener("speaking", (e) => this.speaking(e.detail.seat, e.detail.speaking));
    s.addEventListener("chat", (e) => this.chatLine(e.detail));
    s.addEventListener("slot_timer", (e) => this.slotTimer(e.detail));
    s.addEventListener("joined", (e) => this.joined(e.detail));
    s.addEventListener("reconnecting", () => this.banner(true));
    s.addEventListener("screen", (e) => this.screen(e.detail.sharing));
    this.timers.push(setInterval(() => this.tick(), 500));
    this.timers.push(setInterval(() => this.pollLevels(), 300));
    this.timers.push(setInterval(() => this.pollQuality(), 2000));
  }

  stop() {
    this.timers.forEach(clearInterval);
    this.stopSelfMeter?.();
    this.mix.close();
  }

  // -- tiles ------------------------------------------------------------------------------

  label(seat) {
    const d = this.details;
    if (seat === "company") return { name: d.company.name, org: t("seat.company"), place: countryName("KR") };
    if (seat === "buyer") {
      const place = [d.buyer.city, countryName(d.buyer.country)].filter(Boolean).join(", ");
      return { name: d.buyer.name, org: t("seat.buyer"), place };
    }
    if (seat === "interpreter") return { name: d.interpreter?.name || "", org: t("seat.interpreter"), place: "" };
    if (seat === "partner") return { name: this.partnerName() || t("seat.partner"), org: t("seat.partner"), place: "" };
    return { name: t("seat.organiser"), org: "", place: "" };
  }

  partnerName() {
    const d = this.details;
    return d.partner?.name || d.partner_interpreter?.name || "";
  }

  tile(seat) {
    let tile = this.tiles.get(seat);
    if (tile) return tile;
    tile = this.$("#tile-template").content.firstElementChild.cloneNode(true);
    tile.dataset.seat = seat;
    tile.dataset.presence = "absent";
    const label = this.label(seat);
    tile.querySelector(".name").textContent = label.name;
    tile.querySelector(".org").textContent = label.org;
    tile.querySelector(".place").textContent = label.place;
    tile.querySelector(".avatar").textContent = (label.name || "?").slice(0, 1);
    const conn = tile.querySelector(".conn");
    conn.textContent = t("call.waiting_for", { name: label.name });
    conn.hidden = false;
    tile.querySelector("video").setAttribute("aria-label", label.name);
    this.$("#tiles").append(tile);
    this.tiles.set(seat, tile);
    this.layoutTiles();
    return tile;
  }

  /** Columns for the tiles so they fill the stage without scrolling (styles use --cols). */
  layoutTiles() {
    const count = this.tiles.size;
    const columns = count <= 1 ? 1 : count <= 4 ? 2 : 3;
    this.$("#tiles").style.setProperty("--cols", String(columns));
    this.$("#tiles").dataset.count = String(count);
  }

  attach({ seat, kind, track, trackId, source, mid }) {
    if (kind === "audio") {
      const element = this.mix.add(trackId || `mid-${mid}`, track, { seat, source });
      (this.tiles.get(seat) || this.root).append(element);
      return;
    }
    if (seat === "organiser") return;
    const tile = this.tile(seat);
    const video = tile.querySelector("video");
    video.srcObject = new MediaStream([track]);
    video.play().catch(() => {});
    tile.dataset.video = "on";
  }

  /** The same m-line carries another track now (a seat reconnected, a handover): the audio
   *  keeps playing under its new id, a video moves to the seat it belongs to now. */
  remap({ mid, before, seat, kind, track, trackId, source }) {
    if (kind === "audio") {
      if (!this.mix.rekey(before.trackId || `mid-${mid}`, trackId || `mid-${mid}`, { seat, source })) {
        this.attach({ seat, kind, track, trackId, source, mid });
      }
      return;
    }
    if (before.seat !== seat) {
      this.detach({ mid, ...before });
      this.attach({ seat, kind, track, trackId, source, mid });
    }
  }

  detach({ seat, kind, trackId, mid }) {
    if (kind === "audio") {
      this.mix.remove(trackId || `mid-${mid}`);
      return;
    }
    const tile = this.tiles.get(seat);
    if (tile) tile.querySelector("video").srcObject = null;
  }

  muteState({ seat, kind, muted }) {
    const tile = this.tiles.get(seat);
    if (!tile) return;
    if (kind === "audio") {
      tile.querySelector(".mic-off").hidden = !muted;
      tile.dataset.micMuted = muted ? "1" : "0";
    } else {
      tile.querySelector(".tile-off").hidden = !muted;
      tile.dataset.cameraOff = muted ? "1" : "0";
    }
  }

  presence({ seat, state, muted }) {
    const tile = this.tiles.get(seat);
    if (!tile) return;
    if (state === "joined" && muted) {
      for (const [kind, off] of Object.entries(muted)) this.muteState({ seat, kind, muted: off });
    }
    tile.dataset.presence = state;
    const conn = tile.querySelector(".conn");
    const name = this.label(seat).name;
    const text = {
      joined: "",
      reconnecting: t("call.other_reconnecting", { name }),
      left: t("call.other_left", { name }),
    }[state];
    conn.textContent = text || "";
    conn.hidden = !text;
  }

  roomState({ seats }) {
    for (const [seat, state] of Object.entries(seats || {})) {
      if (seat !== this.session.seat) this.presence({ seat, state });
    }
  }

  joined(data) {
    this.banner(false);
    this.roomState({ seats: data.seats });
    for (const [seat, kinds] of Object.entries(data.muted || {})) {
      for (const [kind, muted] of Object.entries(kinds)) this.muteState({ seat, kind, muted });
    }
    if (data.ends_at && !this.endsAt) {
      this.endsAt = Date.parse(data.ends_at);
      this.startsAt = Date.parse(data.starts_at);
    }
  }

  speaking(seat, on) {
    const tile = this.tiles.get(seat);
    if (tile) tile.classList.toggle("speaking", on);
  }

  pollLevels() {
    // Speaking from the received audio's level as it arrives (before this seat's gain, so a
    // quiet floor still lights its speaker); the relay's `speaking` notices come on top.
    const loud = new Set();
    const { tracks } = this.mix.rms();
    for (const [trackId, { before }] of Object.entries(tracks)) {
      const info = this.mix.tracks.get(trackId);
      if (info && info.source !== "back_channel" && before > 0.01) loud.add(info.seat);
    }
    for (const [seat, tile] of this.tiles) {
      tile.classList.toggle("speaking-local", loud.has(seat) && tile.dataset.micMuted !== "1");
    }
  }

  // -- banner, timer, quality ---------------------------------------------------------------

  banner(show) {
    this.$("#reconnect-banner").hidden = !show;
    this.root.classList.toggle("is-reconnecting", show);
    this.qualityLast = null;
    this.loss = undefined;
    this.pollQuality();
  }

  slotTimer({ seconds_left, warning, ends_at, starts_at }) {
    // On this machine's clock, corrected by what the server says is left.
    this.endsAt = Date.now() + seconds_left * 1000;
    this.startsAt = this.endsAt - (Date.parse(ends_at) - Date.parse(starts_at));
    this.endsAtServer = ends_at;
    if (warning) this.showWarning();
    this.tick();
  }

  showWarning() {
    const box = this.$("#slot-warning");
    const minutes = Math.max(1, Math.ceil((this.endsAt - Date.now()) / 60000));
    box.textContent = t("call.end_warning", { minutes, time: formatTime(this.endsAt) });
    box.hidden = false;
    this.$("#slot-timer").classList.add("warning");
    this.warned = true;
  }

  tick() {
    if (!this.endsAt) return;
    const now = Date.now();
    // Before the slot (the room opens early): how long until it starts, not what is left.
    const early = this.startsAt !== null && now < this.startsAt;
    const seconds = ((early ? this.startsAt : this.endsAt) - now) / 1000;
    const timer = this.$("#slot-timer");
    timer.dataset.phase = early ? "before" : "during";
    timer.querySelector(".label").textContent = t(early ? "call.starts_in" : "call.time_left");
    this.$("#slot-timer-value").textContent = formatClock(seconds);
    timer.setAttribute(
      "aria-label",
      t(early ? "call.starts_in_long" : "call.time_left_long", { clock: formatClock(seconds) }),
    );
    if (!early && !this.warned && seconds <= 120 && seconds > 0) this.showWarning();
  }

  async pollQuality() {
    const pc = this.session.pc;
    const box = this.$("#quality");
    if (this.session.state === "reconnecting") {
      box.dataset.level = "bad";
      this.$("#quality-text").textContent = t("call.quality.lost");
      return;
    }
    if (!pc || pc.connectionState !== "connected") {
      box.dataset.level = "unknown";
      this.$("#quality-text").textContent = t("call.quality.unknown");
      return;
    }
    const stats = await pc.getStats();
    let rtt = null;
    let lost = 0;
    let received = 0;
    stats.forEach((report) => {
      if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
        rtt = report.currentRoundTripTime ?? rtt;
      }
      if (report.type === "inbound-rtp") {
        lost += report.packetsLost || 0;
        received += report.packetsReceived || 0;
      }
    });
    const previous = this.qualityLast || { lost: 0, received: 0 };
    this.qualityLast = { lost, received };
    const dLost = Math.max(0, lost - previous.lost);
    const dReceived = Math.max(0, received - previous.received);
    const sample = dLost + dReceived ? dLost / (dLost + dReceived) : 0;
    // Smoothed over ~6 s so one burst of loss does not flip the indicator.
    this.loss = this.loss === undefined ? sample : 0.6 * this.loss + 0.4 * sample;
    const loss = this.loss;
    let level = "good";
    if ((rtt !== null && rtt > 0.6) || loss > 0.1) level = "bad";
    else if ((rtt !== null && rtt > 0.3) || loss > 0.03) level = "fair";
    box.dataset.level = level;
    box.dataset.rtt = rtt === null ? "" : String(Math.round(rtt * 1000));
    box.dataset.loss = String(Math.round(loss * 1000) / 10);
    box.title = t("call.quality.detail", {
      rtt: rtt === null ? "?" : Math.round(rtt * 1000),
      loss: (Math.round(loss * 1000) / 10).toLocaleString(),
    });
    this.$("#quality-text").textContent = t(`call.quality.${level}`);
  }

  // -- controls ---------------------------------------------------------------------------

  bindControls() {
    const s = this.session;
    const mic = this.$("#btn-mic");
    const camera = this.$("#btn-camera");
    const share = this.$("#btn-share");
    const setButton = (button, pressed, textKey) => {
      button.setAttribute("aria-pressed", String(pressed));
      button.querySelector(".text").textContent = t(textKey);
    };
    if (s.seat === "organiser") {
      // Listening only until the organiser chooses to speak: the microphone is opened then.
      setButton(mic, true, "call.speak");
      camera.hidden = true;
      share.hidden = true;
    } else {
      setButton(mic, s.muted.audio, s.muted.audio ? "call.unmute" : "call.mute");
      setButton(camera, s.muted.video, s.muted.video ? "call.camera_on" : "call.camera_off");
      if (!s.audioTrack) mic.disabled = true;
    }
    if (!s.cameraTrack) camera.disabled = true;
    if (!navigator.mediaDevices.getDisplayMedia) share.hidden = true;
    mic.addEventListener("click", async () => {
      if (s.seat === "organiser") {
        mic.disabled = true;
        try {
          if (s.speaking) await s.stopSpeaking();
          else await s.speak(() => openMicrophone());
        } catch (error) {
          console.warn("microphone", error);
        }
        mic.disabled = false;
        setButton(mic, !s.speaking, s.speaking ? "call.speak_stop" : "call.speak");
        return;
      }
      const muted = !s.muted.audio;
      s.setMuted("audio", muted);
      setButton(mic, muted, muted ? "call.unmute" : "call.mute");
    });
    camera.addEventListener("click", () => {
      const off = !s.muted.video;
      s.setMuted("video", off);
      setButton(camera, off, off ? "call.camera_on" : "call.camera_off");
      this.$("#self-tile").classList.toggle("camera-off", off);
    });
    share.addEventListener("click", async () => {
      try {
        if (s.screenTrack) await s.stopScreenShare();
        else await s.startScreenShare();
      } catch (error) {
        console.warn("screen share", error);
      }
    });
    this.$("#btn-leave").addEventListener("click", () => {
      if (window.confirm(t("call.leave_confirm"))) s.leave();
    });
    // Keyboard: M mutes, V turns the camera, when not typing.
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "m" || event.key === "M") mic.click();
      if (event.key === "v" || event.key === "V") camera.click();
    });
  }

  screen(sharing) {
    const share = this.$("#btn-share");
    share.setAttribute("aria-pressed", String(sharing));
    share.querySelector(".text").textContent = t(sharing ? "call.share_stop" : "call.share");
    this.$("#self-video").srcObject = sharing && this.session.screenTrack
      ? new MediaStream([this.session.screenTrack])
      : this.session.stream;
  }

  // -- chat -------------------------------------------------------------------------------

  bindChat() {
    const form = this.$("#chat-form");
    const input = this.$("#chat-input");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      try {
        await this.session.sendChat(text);
      } catch {
        input.value = text;
      }
    });
  }

  chatLine({ seat, text, at, to }) {
    if (to === "team") {
      this.interpretation.teamLine({ seat, text, at });
      return;
    }
    this.$("#chat-log").append(this.chatItem({ seat, text, at }));
    const log = this.$("#chat-log");
    log.scrollTop = log.scrollHeight;
  }

  chatItem({ seat, text, at }) {
    const item = document.createElement("li");
    item.className = seat === this.session.seat ? "mine" : "theirs";
    item.dataset.seat = seat;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = seat === this.session.seat ? t("call.you") : this.label(seat).name;
    const when = document.createElement("time");
    when.dateTime = at;
    when.textContent = formatTime(at);
    const body = document.createElement("p");
    body.append(linkify(text));
    item.append(who, " ", when, body);
    return item;
  }
}
