// One seat's call: the seat websocket (docs/signalling.md) and the RTCPeerConnection it drives.
// The server makes every offer; this client answers, sends each source on the m-line the offer
// names for it, maps every received m-line to a seat by its mid anew on every offer, trickles
// ICE, and rejoins by itself after a drop (keeping the old connection sending meanwhile).

// 1013: every node is full now; 4015: the room lives on another node (docs/signalling.md).
const RETRYABLE_CLOSE = new Set([1000, 1001, 1005, 1006, 1011, 1012, 1013, 4014, 4015, 4000]);
const FATAL_CLOSE = {
  4001: "link_invalid", 4002: "link_expired", 4003: "link_revoked", 4004: "link_wrong_meeting",
  4005: "join_required", 4009: "seat_taken", 4010: "meeting_not_open", 4011: "meeting_over",
  4012: "room_closed", 4013: "seat_left", 1003: "unsupported_data", 1008: "too_many_messages",
  1009: "message_too_big",
};
const PING_EVERY_MS = 5000;
const PING_TIMEOUT_MS = 15000; // three pings unanswered: a busy relay is not a lost link
const ICE_DISCONNECTED_GRACE_MS = 4000;
// After a rejoin, the old peer connection goes on sending until the new one is connected and a
// little longer: the relay switches the others to the new tracks at their first keyframe.
const OLD_PEER_AFTER_CONNECTED_MS = 3000;
const OLD_PEER_AT_MOST_MS = 15000;
// Drops after which the old peer connection cannot still be sending.
const MEDIA_LOST = /^(offline|ice failed|ice disconnected|closed 4014)$/;

/** mid -> direction of each m-section of an SDP. */
export function sdpDirections(sdp) {
  const directions = {};
  let mid = null;
  let direction = "sendrecv";
  const flush = () => {
    if (mid !== null) directions[mid] = direction;
  };
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("m=")) {
      flush();
      mid = null;
      direction = "sendrecv";
    } else if (line.startsWith("a=mid:")) {
      mid = line.slice(6).trim();
    } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line.trim())) {
      direction = line.trim().slice(2);
    }
  }
  flush();
  return directions;
}

export class CallSession extends EventTarget {
  constructor({ details, token, stream, device = "", iceServers = [] }) {
    super();
    this.details = details;
    this.token = token;
    this.stream = stream || new MediaStream();
    this.device = device;
    this.iceServers = iceServers;
    this.seat = details.seat;
    this.ws = null;
    this.pc = null;
    this.pending = new Map();
    this.nextId = 1;
    this.state = "idle"; // idle | connecting | connected | reconnecting | ended
    this.attempt = 0;
    this.remote = new Map(); // mid -> {seat, kind, track, trackId, source}
    // The microphone and camera as the user set them; sent with every join (explicit state).
    this.muted = { audio: !this.audioTrack, video: !this.cameraTrack };
    if (this.seat === "organiser") this.muted = { audio: true, video: true }; // listens first
    this.speaking = false; // the organiser chose to speak
    this.oldPc = null; // the previous connection, still sending while the new one comes up
    this.oldPcTimer = null;
    this.screenTrack = null;
    this.published = new Set(); // sources we send or asked to: mic, camera, back_channel
    this.uploads = new Map(); // mid of each send line -> its source (mic, camera, back_channel)
    this.backChannelTrack = null; // the partner line's push-to-talk track, once started
    this.listenChoice = null; // the last `listen` sent, sent again after a rejoin
    this.lastPong = 0;
    this.drops = []; // why the connection dropped, for support and the tests
    this.timers = [];
    this.iceTimer = null;
    this.onOffline = () => this.dropped("offline");
    this.onOnline = () => {
      if (this.state === "reconnecting") this.scheduleReconnect(0);
    };
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("online", this.onOnline);
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  get audioTrack() {
    return this.stream.getAudioTracks()[0] || null;
  }

  get cameraTrack() {
    return this.stream.getVideoTracks()[0] || null;
  }

  // -- connection -------------------------------------------------------------------------

  start() {
    this.connect();
    this.timers.push(setInterval(() => this.keepAlive(), PING_EVERY_MS));
  }

  connect() {
    if (this.state === "ended") return;
    this.state = this.attempt ? "reconnecting" : "connecting";
    // The room's node (the join response), a node the room moved to (a redirect), or after a
    // drop the service's entry, which sends the seat on to wherever the room lives now.
    const url = this.redirect || (this.attempt && this.details.entry_websocket_url) || this.details.websocket_url;
    this.redirect = null;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.lastPong = Date.now();
      this.request("join", { token: this.token, device: this.device, muted: { ...this.muted } })
        .then((data) => this.joined(data))
        .catch(() => {});
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.lastPong = Date.now();
      this.handle(message).catch((error) => console.error("signalling", message.type, error));
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.closed(event.code, event.reason);
    });
  }

  joined(data) {
    this.state = "connected";
    this.attempt = 0;
    this.published.clear();
    this.protocol = data.protocol;
    this.emit("joined", data);
    // The join said how our microphone and camera are. A new connection is off the air and
    // listens to the floor: an organiser who was speaking, and a listener's choice, say so again.
    if (this.speaking) this.request("publish", { kind: "audio" }).catch(() => {});
    if (this.listenChoice) this.request("listen", this.listenChoice).catch(() => {});
  }

  closed(code, reason) {
    for (const { reject } of this.pending.values()) reject(new Error(`closed ${code}`));
    this.pending.clear();
    if (this.state === "ended") return;
    const fatal = FATAL_CLOSE[code] || (reason && !RETRYABLE_CLOSE.has(code) ? reason : null);
    if (fatal && code !== 1000) {
      this.end(fatal);
      return;
    }
    if (code === 4015 && this.redirect) {
      this.closePeer();
      this.connect(); // to the room's node at once: not a drop
      return;
    }
    this.dropped(`closed ${code}`);
  }

  /** The connection is gone (socket, network or ICE): show it and come back by ourselves. */
  dropped(why) {
    if (this.state === "ended") return;
    this.drops.push(why);
    console.info("call: connection dropped:", why);
    const wasReconnecting = this.state === "reconnecting";
    this.state = "reconnecting";
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(4000, "client reconnecting");
    // Only the signalling went: our media may still reach the others, so the old connection
    // goes on sending until the new one is up (docs/signalling.md, Reconnection).
    this.closePeer({ keepSending: !MEDIA_LOST.test(why) && this.pc?.connectionState === "connected" });
    if (!wasReconnecting) this.emit("reconnecting", { why });
    this.scheduleReconnect();
  }

  scheduleReconnect(delay) {
    clearTimeout(this.reconnectTimer);
    const wait = delay ?? Math.min(5000, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      if (this.state !== "reconnecting") return;
      if (!navigator.onLine) return; // the "online" event brings us back
      this.connect();
    }, wait);
  }

  keepAlive() {
    if (this.state !== "connected" || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastPong > PING_TIMEOUT_MS) {
      this.dropped("ping timeout");
      return;
    }
    this.request("ping").catch(() => {});
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  request(type, fields = {}) {
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type, id, ...fields });
    });
  }

  // -- server messages --------------------------------------------------------------------

  async handle(message) {
    switch (message.type) {
      case "response": {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        waiter?.resolve(message.data || {});
        return;
      }
      case "error": {
        const waiter = message.id != null ? this.pending.get(message.id) : null;
        if (waiter) {
          this.pending.delete(message.id);
          waiter.reject(Object.assign(new Error(message.message), { code: message.code, details: message.details }));
        } else {
          if (message.code === "room_elsewhere") this.redirect = message.details?.websocket_url;
          this.emit("notice", message);
        }
        return;
      }
      case "offer":
        await this.answerOffer(message);
        return;
      case "ice_candidate":
        if (this.pc) {
          const candidate = message.candidate
            ? { candidate: message.candidate, sdpMid: message.sdp_mid, sdpMLineIndex: message.sdp_mline_index }
            : null;
          await this.pc.addIceCandidate(candidate).catch((e) => console.warn("ice", e));
        }
        return;
      default:
        // presence, mute_state, speaking, active_speaker, chat, slot_timer, room_state
        this.emit(message.type, message);
    }
  }

  newPeer() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    pc.addEventListener("icecandidate", (event) => {
      if (pc !== this.pc) return; // an old connection's candidates are not the new one's
      const c = event.candidate;
      this.send({
        type: "ice_candidate",
        candidate: c ? c.candidate : "",
        sdp_mid: c ? c.sdpMid : null,
        sdp_mline_index: c ? c.sdpMLineIndex : null,
      });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc !== this.pc) return;
      this.emit("connection", { state: pc.connectionState });
      clearTimeout(this.iceTimer);
      if (pc.connectionState === "connected" && this.oldPc) {
        clearTimeout(this.oldPcTimer);
        this.oldPcTimer = setTimeout(() => this.closeOldPeer(), OLD_PEER_AFTER_CONNECTED_MS);
      }
      if (pc.connectionState === "failed") this.dropped("ice failed");
      if (pc.connectionState === "disconnected") {
        this.iceTimer = setTimeout(() => {
          if (pc === this.pc && pc.connectionState !== "connected") this.dropped("ice disconnected");
        }, ICE_DISCONNECTED_GRACE_MS);
      }
    });
    return pc;
  }

  closePeer({ keepSending = false } = {}) {
    if (this.pc) {
      if (keepSending) {
        this.closeOldPeer(); // at most one old connection
        this.oldPc = this.pc;
        this.oldPcTimer = setTimeout(() => this.closeOldPeer(), OLD_PEER_AT_MOST_MS);
      } else {
        this.pc.close();
      }
      this.pc = null;
    }
    this.uploads.clear();
    for (const [mid, info] of this.remote) this.emit("remote-track-ended", { mid, ...info });
    this.remote.clear();
  }

  closeOldPeer() {
    clearTimeout(this.oldPcTimer);
    this.oldPc?.close();
    this.oldPc = null;
  }

  localTrack(kind, source = kind === "audio" ? "mic" : "camera") {
    if (source === "back_channel") return this.backChannelTrack;
    if (kind === "audio") return this.audioTrack;
    // The organiser's seat is unseen; a `screen` line carries the shared screen.
    if (this.seat === "organiser") return null;
    if (source === "screen") return this.screenTrack;
    return this.screenTrack || this.cameraTrack;
  }

  /** The offer's line for each mid; an offer of another server (no `tracks`) is read from the
   *  SDP: a recvonly line is ours to send on, the first audio one the microphone. */
  offerLines(offer) {
    if (Array.isArray(offer.tracks) && offer.tracks.length) {
      return new Map(offer.tracks.map((line) => [line.mid, line]));
    }
    const lines = new Map();
    let audio = 0;
    for (const [mid, direction] of Object.entries(sdpDirections(offer.sdp))) {
      if (direction !== "recvonly") continue;
      const kind = this.pc.getTransceivers().find((t) => t.mid === mid)?.receiver.track.kind;
      const source = kind === "video" ? "camera" : audio++ ? "back_channel" : "mic";
      lines.set(mid, { mid, kind, direction: "send", seat: this.seat, source, track_id: null });
    }
    return lines;
  }

  async answerOffer(offer) {
    if (!this.pc) this.pc = this.newPeer();
    const pc = this.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    const lines = this.offerLines(offer);
    // Every offer re-maps every mid: a reused m-line may carry another seat's track now.
    for (const transceiver of pc.getTransceivers()) {
      const mid = transceiver.mid;
      if (mid === null || transceiver.stopped) continue;
      const line = lines.get(mid);
      if (line?.direction === "send") {
        this.uploads.set(mid, line.source);
        const track = this.localTrack(line.kind, line.source);
        if (transceiver.sender.track !== track) await transceiver.sender.replaceTrack(track);
        transceiver.direction = track ? "sendonly" : "inactive";
        if (track) this.published.add(line.source);
        continue;
      }
      if (this.uploads.has(mid)) {
        // A send line the server has closed (we unpublished it): nothing goes out on it.
        this.uploads.delete(mid);
        if (transceiver.sender.track) await transceiver.sender.replaceTrack(null);
        transceiver.direction = "inactive";
      }
      const before = this.remote.get(mid);
      if (line?.direction === "receive") {
        const now = {
          seat: line.seat, kind: line.kind, track: transceiver.receiver.track,
          trackId: line.track_id, source: line.source,
        };
        this.remote.set(mid, now);
        if (!before) this.emit("remote-track", { mid, ...now });
        else if (before.trackId !== now.trackId || before.seat !== now.seat || before.source !== now.source) {
          this.emit("remote-track-changed", { mid, before, ...now });
        }
      } else if (before) {
        this.remote.delete(mid);
        this.emit("remote-track-ended", { mid, ...before });
      }
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.send({ type: "answer", id: offer.id, sdp: pc.localDescription.sdp });
    // A microphone or camera we have but the server offered no line for: ask for one.
    const sending = new Set([...lines.values()].filter((l) => l.direction === "send").map((l) => l.source));
    for (const [kind, source] of [["audio", "mic"], ["video", "camera"]]) {
      if (this.localTrack(kind, source) && !sending.has(source) && !this.published.has(source)) {
        if (this.seat === "organiser" && !this.speaking) continue;
        this.published.add(source);
        this.request("publish", { kind, source }).catch(() => this.published.delete(source));
      }
    }
    this.publishBackChannel();
  }

  publishBackChannel() {
    if (!this.backChannelTrack || this.published.has("back_channel") || this.state !== "connected") return;
    this.published.add("back_channel");
    this.request("publish", { kind: "audio", source: "back_channel" }).catch((error) => {
      this.published.delete("back_channel");
      this.emit("back-channel-refused", { code: error.code });
    });
  }

    // -- the user's controls ----------------------------------------------------------------

  setMuted(kind, muted) {
    this.muted[kind] = muted;
    const track = kind === "audio" ? this.audioTrack : this.cameraTrack;
    if (track) track.enabled = !muted;
    if (this.state === "connected") this.request("mute", { kind, muted }).catch(() => {});
  }

  /** The organiser speaks: a microphone now (no device check on the way in), the server asked
   *  to forward it (`publish` audio, which offers the microphone line again), unmuted. */
  async speak(openMicrophone) {
    if (!this.audioTrack) {
      const stream = await openMicrophone();
      for (const track of stream.getAudioTracks()) this.stream.addTrack(track);
    }
    this.speaking = true;
    this.setMuted("audio", false);
    await this.request("publish", { kind: "audio" });
  }

  /** Back to listening only: muted, and the server forwards nothing of ours. */
  async stopSpeaking() {
    this.speaking = false;
    this.setMuted("audio", true);
    await this.request("unpublish", { kind: "audio" }).catch(() => {});
  }

  videoSender() {
    if (!this.pc) return null;
    return this.pc.getTransceivers().find(
      (tr) => tr.sender.track?.kind === "video" || (tr.direction === "sendonly" && tr.receiver.track.kind === "video"),
    )?.sender || null;
  }

  async startScreenShare() {
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    this.screenTrack = track;
    track.addEventListener("ended", () => this.stopScreenShare());
    await this.videoSender()?.replaceTrack(track);
    this.emit("screen", { sharing: true, track });
  }

  async stopScreenShare() {
    if (!this.screenTrack) return;
    const track = this.screenTrack;
    this.screenTrack = null;
    track.stop();
    await this.videoSender()?.replaceTrack(this.cameraTrack);
    this.emit("screen", { sharing: false });
  }

  sendChat(text, to = "room") {
    return this.request("chat", to === "room" ? { text } : { text, to });
  }

  // -- interpretation (docs/signalling.md) -------------------------------------------------

  /** What this seat hears: the floor (`channel` null) or a language channel with the floor
   *  underneath at `floor_level`; for an interpreter, `channel` is their relay source. */
  listen({ channel, floorLevel, fallback, backChannel }) {
    this.listenChoice = { channel, floor_level: floorLevel, fallback, back_channel: backChannel };
    return this.request("listen", this.listenChoice);
  }

  setMode(mode) {
    return this.request("interpretation", { mode });
  }

  setDirection(channel) {
    return this.request("direction", { channel });
  }

  markFloor(floor) {
    return this.request("floor", { floor });
  }

  handover(channel, action) {
    return this.request("handover", { channel, action });
  }

  /** The partner line: a second copy of the microphone, published as a back-channel track and
   *  silent (disabled) except while `talkBackChannel(true)` holds it open. */
  startBackChannel() {
    if (!this.backChannelTrack && this.audioTrack) {
      this.backChannelTrack = this.audioTrack.clone();
      this.backChannelTrack.enabled = false;
    }
    this.publishBackChannel();
    return this.backChannelTrack;
  }

  talkBackChannel(on) {
    if (this.backChannelTrack) this.backChannelTrack.enabled = on;
  }

  async leave() {
    if (this.state === "connected") {
      await Promise.race([this.request("leave"), new Promise((r) => setTimeout(r, 1500))]).catch(() => {});
    }
    this.end("left");
  }

  end(reason) {
    if (this.state === "ended") return;
    this.state = "ended";
    clearTimeout(this.reconnectTimer);
    this.timers.forEach(clearInterval);
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("online", this.onOnline);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
    this.closePeer();
    this.closeOldPeer();
    this.screenTrack?.stop();
    this.backChannelTrack?.stop();
    this.emit("ended", { reason });
  }
}
