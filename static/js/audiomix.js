// Received audio through WebAudio: each remote audio track plays through its own GainNode set
// to the level the relay's `routing` message gives it (floor underneath a language channel,
// silent-channel fallback), so the level a listener hears is the level the server decided.

const RAMP_S = 0.05; // a short ramp, so a level change does not click
const LAYERS = ["floor", "channel", "back_channel"];

function rmsOf(analyser, buffer) {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (const v of buffer) sum += v * v;
  return Math.sqrt(sum / buffer.length);
}

export class AudioMix {
  constructor({ sinkId = "" } = {}) {
    this.context = new AudioContext();
    if (sinkId && this.context.setSinkId) this.context.setSinkId(sinkId).catch(() => {});
    this.tracks = new Map(); // track_id -> {seat, source, layer, channel, level, element, input, gain, before, after}
    this.feeds = null; // track_id -> feed of the latest routing message; null before the first
    this.layers = {};
    for (const layer of LAYERS) {
      const bus = this.context.createGain();
      const analyser = this.context.createAnalyser();
      analyser.fftSize = 2048;
      bus.connect(analyser);
      bus.connect(this.context.destination);
      this.layers[layer] = { bus, analyser };
    }
    this.buffer = new Float32Array(2048);
    // Without a user gesture (a kiosk joining by itself) the browser may start the context
    // suspended: the first touch or key brings the sound.
    this.wake = () => this.context.resume().catch(() => {});
    for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, this.wake, { once: true });
  }

  /** Start playing a received audio track. Chromium delivers a remote WebRTC track to WebAudio
   *  only while a media element plays it too, so a muted element plays it as well. (The
   *  receiver's inbound-rtp audioLevel then reads 0: levels are measured here instead.) */
  add(trackId, track, { seat, source = "mic" } = {}) {
    this.remove(trackId);
    const stream = new MediaStream([track]);
    const element = document.createElement("audio");
    element.autoplay = true;
    element.muted = true;
    element.dataset.seat = seat;
    element.dataset.trackId = trackId;
    element.srcObject = stream;
    element.play().catch(() => {});
    const input = this.context.createMediaStreamSource(stream);
    const gain = this.context.createGain();
    const before = this.context.createAnalyser();
    const after = this.context.createAnalyser();
    before.fftSize = after.fftSize = 2048;
    input.connect(before);
    input.connect(gain);
    gain.connect(after);
    const entry = {
      seat, source, layer: source === "back_channel" ? "back_channel" : "floor", channel: null,
      level: 1, element, input, gain, before, after,
    };
    this.tracks.set(trackId, entry);
    this.route(trackId, entry, true);
    this.context.resume().catch(() => {});
    return element;
  }

  /** The same received track under a new id (its m-line was relabelled): it keeps playing,
   *  and takes the gain the routing gives the new id. False if `from` was not playing. */
  rekey(from, to, { seat, source } = {}) {
    const entry = this.tracks.get(from);
    if (!entry) return false;
    this.tracks.delete(from);
    Object.assign(entry, { seat: seat ?? entry.seat, source: source ?? entry.source });
    entry.element.dataset.trackId = to;
    entry.element.dataset.seat = entry.seat;
    this.tracks.set(to, entry);
    this.route(to, entry, false);
    return true;
  }

  remove(trackId) {
    const entry = this.tracks.get(trackId);
    if (!entry) return;
    this.tracks.delete(trackId);
    entry.input.disconnect();
    entry.gain.disconnect();
    entry.element.srcObject = null;
    entry.element.remove();
  }

  /** The relay's `routing` feeds for this seat: layer and level per received track. */
  applyRouting(feeds) {
    this.feeds = new Map((feeds || []).map((feed) => [feed.track_id, feed]));
    for (const [trackId, entry] of this.tracks) this.route(trackId, entry, false);
  }

  /** The routing's feed for a track: by its id, or (a `routing` may name a reconnecting seat's
   *  new track before the offer that relabels our m-line) by the same seat and source. */
  feedFor(trackId, entry) {
    if (!this.feeds) return undefined;
    const feed = this.feeds.get(trackId);
    if (feed) return feed;
    const known = new Set(this.tracks.keys());
    return [...this.feeds.values()].find(
      (f) => f.seat === entry.seat && f.source === entry.source && !known.has(f.track_id),
    );
  }

  route(trackId, entry, fresh) {
    const feed = this.feedFor(trackId, entry);
    let layer = entry.layer;
    let level;
    if (feed) {
      layer = feed.layer || layer;
      entry.channel = feed.channel ?? null;
      level = Math.min(1, Math.max(0, Number(feed.level)));
    } else {
      // Before the first routing message everything plays at full level; after it, a track
      // the relay has not (yet) listed stays silent until it is.
      level = this.feeds === null ? 1 : 0;
    }
    if (fresh || layer !== entry.layer) {
      entry.gain.disconnect();
      entry.gain.connect(entry.after);
      entry.gain.connect(this.layers[layer]?.bus || this.layers.floor.bus);
      entry.layer = layer;
    }
    entry.level = level;
    const param = entry.gain.gain;
    const now = this.context.currentTime;
    if (fresh) {
      param.setValueAtTime(level, now);
    } else {
      param.cancelScheduledValues(now);
      param.setValueAtTime(param.value, now);
      param.linearRampToValueAtTime(level, now + RAMP_S);
    }
  }

  /** {track_id: {seat, source, layer, channel, level, gain}}: gain is the GainNode's value now. */
  gains() {
    const out = {};
    for (const [trackId, e] of this.tracks) {
      out[trackId] = {
        seat: e.seat, source: e.source, layer: e.layer, channel: e.channel,
        level: e.level, gain: e.gain.gain.value,
      };
    }
    return out;
  }

  /** RMS per track before and after its gain, and per layer (the sum of a layer's tracks). */
  rms() {
    const tracks = {};
    for (const [trackId, e] of this.tracks) {
      tracks[trackId] = { before: rmsOf(e.before, this.buffer), after: rmsOf(e.after, this.buffer) };
    }
    const layers = {};
    for (const [layer, { analyser }] of Object.entries(this.layers)) layers[layer] = rmsOf(analyser, this.buffer);
    return { tracks, layers };
  }

  setSinkId(sinkId) {
    if (sinkId && this.context.setSinkId) return this.context.setSinkId(sinkId).catch(() => {});
    return Promise.resolve();
  }

  close() {
    for (const type of ["pointerdown", "keydown"]) document.removeEventListener(type, this.wake);
    for (const trackId of [...this.tracks.keys()]) this.remove(trackId);
    this.context.close().catch(() => {});
  }
}
