// The booth's morning self-test: camera, microphone level, speaker tone, bandwidth to the
// service and TURN reachability. Each check gives {ok, reason, value, detail}; the server
// decides the verdict (app/booths/service.py) and puts it on the organiser's board.

const FRAME_TIMEOUT_MS = 4000;
const MIC_LISTEN_MS = 2000;
const TONE_SECONDS = 0.6;
const TURN_TIMEOUT_MS = 6000;

function mediaReason(error) {
  switch (error?.name) {
    case "NotFoundError":
    case "OverconstrainedError":
      return "no_device";
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    default:
      return "failed";
  }
}

function timeout(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function checkCamera(preview) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (error) {
    return { ok: false, reason: mediaReason(error), detail: String(error?.message || error).slice(0, 200) };
  }
  try {
    const track = stream.getVideoTracks()[0];
    preview.srcObject = stream;
    preview.hidden = false;
    await preview.play().catch(() => {});
    const started = Date.now();
    while (!preview.videoWidth && Date.now() - started < FRAME_TIMEOUT_MS) await timeout(100);
    if (!preview.videoWidth) return { ok: false, reason: "no_picture", detail: track?.label || "" };
    return { ok: true, reason: "", detail: `${track?.label || ""} ${preview.videoWidth}x${preview.videoHeight}`.trim() };
  } finally {
    stream.getTracks().forEach((track) => track.stop());
    preview.srcObject = null;
    preview.hidden = true;
  }
}

export async function checkMicrophone(onLevel = () => {}) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  } catch (error) {
    return { ok: false, reason: mediaReason(error), detail: String(error?.message || error).slice(0, 200) };
  }
  const context = new AudioContext();
  try {
    await context.resume().catch(() => {});
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let peak = 0;
    const started = Date.now();
    while (Date.now() - started < MIC_LISTEN_MS) {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      const level = Math.sqrt(sum / samples.length);
      peak = Math.max(peak, level);
      onLevel(level);
      await timeout(50);
    }
    const label = stream.getAudioTracks()[0]?.label || "";
    // A live microphone always hears something; dead silence is a muted or broken one.
    if (peak < 0.002) return { ok: false, reason: "silent", value: peak, detail: label };
    return { ok: true, reason: "", value: Math.round(peak * 1000) / 1000, detail: label };
  } finally {
    stream.getTracks().forEach((track) => track.stop());
    context.close().catch(() => {});
  }
}

/** Play a short two-tone chime; reports how many seconds of it the audio clock played. */
export async function checkSpeaker(sinkId) {
  let context;
  try {
    context = new AudioContext();
    if (sinkId && context.setSinkId) await context.setSinkId(sinkId).catch(() => {});
    await context.resume().catch(() => {});
    const gain = context.createGain();
    gain.gain.value = 0.2;
    gain.connect(context.destination);
    const begin = context.currentTime + 0.05;
    for (const [i, frequency] of [660, 880].entries()) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(begin + (i * TONE_SECONDS) / 2);
      oscillator.stop(begin + ((i + 1) * TONE_SECONDS) / 2);
    }
    await timeout(TONE_SECONDS * 1000 + 300);
    const played = Math.max(0, Math.min(TONE_SECONDS, context.currentTime - begin));
    if (context.state !== "running" || played < TONE_SECONDS / 2) {
      return { ok: false, reason: "not_played", value: played, detail: context.state };
    }
    return { ok: true, reason: "", value: Math.round(played * 100) / 100, detail: "" };
  } catch (error) {
    return { ok: false, reason: "failed", detail: String(error?.message || error).slice(0, 200) };
  } finally {
    context?.close().catch(() => {});
  }
}

/** Download then upload a sample against the service; value = the slower direction in kbit/s. */
export async function checkBandwidth(headers, bytes) {
  try {
    let started = performance.now();
    const down = await fetch("/api/v1/kiosk/bandwidth", { headers, cache: "no-store" });
    if (!down.ok) return { ok: false, reason: "unreachable", detail: `HTTP ${down.status}` };
    const got = (await down.arrayBuffer()).byteLength;
    const downKbps = (got * 8) / Math.max(1, performance.now() - started);
    const sample = new Uint8Array(bytes);
    for (let i = 0; i < sample.length; i += 65536) crypto.getRandomValues(sample.subarray(i, i + 65536));
    started = performance.now();
    const up = await fetch("/api/v1/kiosk/bandwidth", {
      method: "POST", headers: { ...headers, "Content-Type": "application/octet-stream" }, body: sample,
    });
    if (!up.ok) return { ok: false, reason: "unreachable", detail: `HTTP ${up.status}` };
    await up.json();
    const upKbps = (bytes * 8) / Math.max(1, performance.now() - started);
    const value = Math.round(Math.min(downKbps, upKbps));
    return {
      ok: value >= 1000,
      reason: value >= 1000 ? "" : "too_slow",
      value,
      detail: `down ${Math.round(downKbps)} / up ${Math.round(upKbps)} kbit/s`,
    };
  } catch (error) {
    return { ok: false, reason: "unreachable", detail: String(error?.message || error).slice(0, 200) };
  }
}

/** ICE gathering through the join's TURN servers only: a relay candidate means reachable. */
export async function checkTurn(iceServers) {
  const turn = (iceServers || []).filter((server) =>
    [].concat(server.urls).some((url) => /^turns?:/.test(url)));
  if (!turn.length) return { ok: true, reason: "not_configured", detail: "" };
  const pc = new RTCPeerConnection({ iceServers: turn, iceTransportPolicy: "relay" });
  try {
    pc.createDataChannel("selftest");
    const found = new Promise((resolve) => {
      pc.addEventListener("icecandidate", (event) => {
        if (!event.candidate) resolve(null);
        else if (/ typ relay /.test(event.candidate.candidate)) resolve(event.candidate.candidate);
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    const candidate = await Promise.race([found, timeout(TURN_TIMEOUT_MS).then(() => null)]);
    if (!candidate) return { ok: false, reason: "unreachable", detail: [].concat(turn[0].urls)[0] };
    return { ok: true, reason: "", detail: candidate.split(" ").slice(4, 6).join(":") };
  } catch (error) {
    return { ok: false, reason: "failed", detail: String(error?.message || error).slice(0, 200) };
  } finally {
    pc.close();
  }
}

/** Every check in turn; `onCheck(name, result|null)` is told when each starts and ends. */
export async function runSelfTest({ preview, headers, bandwidthBytes, iceServers, sinkId, onCheck = () => {}, onLevel }) {
  const checks = {};
  const steps = [
    ["camera", () => checkCamera(preview)],
    ["microphone", () => checkMicrophone(onLevel)],
    ["speaker", () => checkSpeaker(sinkId)],
    ["bandwidth", () => checkBandwidth(headers, bandwidthBytes)],
    ["turn", () => checkTurn(iceServers)],
  ];
  for (const [name, run] of steps) {
    onCheck(name, null);
    const result = await run();
    checks[name] = result;
    onCheck(name, result);
  }
  return checks;
}
