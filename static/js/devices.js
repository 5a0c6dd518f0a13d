// Device check: camera/microphone/speaker choice, preview, microphone level meter, speaker test.
import { t } from "./i18n.js";

const STORAGE_KEY = "tb-devices";

export function savedChoice() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
  } catch {
    return {};
  }
}

function saveChoice(choice) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(choice));
}

/** Camera and microphone as one stream, honouring the chosen device ids when still present. */
export async function openLocalMedia(choice = savedChoice()) {
  const video = choice.camera ? { deviceId: { ideal: choice.camera } } : true;
  const audio = choice.microphone
    ? { deviceId: { ideal: choice.microphone }, echoCancellation: true, noiseSuppression: true }
    : { echoCancellation: true, noiseSuppression: true };
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio });
  } catch (error) {
    // No camera (or it is busy): carry on with the microphone alone.
    if (error.name === "NotFoundError" || error.name === "NotReadableError") {
      return navigator.mediaDevices.getUserMedia({ audio });
    }
    throw error;
  }
}

/** The microphone alone (the organiser, who joins listening and may speak later). */
export function openMicrophone(choice = savedChoice()) {
  const audio = choice.microphone
    ? { deviceId: { ideal: choice.microphone }, echoCancellation: true, noiseSuppression: true }
    : { echoCancellation: true, noiseSuppression: true };
  return navigator.mediaDevices.getUserMedia({ audio });
}

/** An RMS level meter on an audio track; calls `onLevel(0..1)` each animation frame. */
export function levelMeter(track, onLevel) {
  const context = new AudioContext();
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let running = true;
  const tick = () => {
    if (!running) return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const v of samples) sum += v * v;
    onLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
    requestAnimationFrame(tick);
  };
  context.resume().catch(() => {});
  tick();
  return () => {
    running = false;
    context.close().catch(() => {});
  };
}

function describeError(error) {
  if (error?.name === "NotAllowedError") return t("devices.error.denied");
  if (error?.name === "NotFoundError") return t("devices.error.none");
  if (error?.name === "NotReadableError") return t("devices.error.busy");
  return t("devices.error.other", { message: error?.message || String(error) });
}

/** The device-check step; resolves with the chosen local stream when the user continues. */
export class DeviceCheck {
  constructor(root) {
    this.root = root;
    this.preview = root.querySelector("#devices-preview");
    this.cameraSelect = root.querySelector("#camera-select");
    this.micSelect = root.querySelector("#mic-select");
    this.speakerSelect = root.querySelector("#speaker-select");
    this.meterBar = root.querySelector("#mic-meter-bar");
    this.meterText = root.querySelector("#mic-meter-text");
    this.error = root.querySelector("#devices-error");
    this.stream = null;
    this.stopMeter = null;
    this.opening = Promise.resolve();
    this.heard = false;
    this.cameraSelect.addEventListener("change", () => this.open());
    this.micSelect.addEventListener("change", () => this.open());
    this.speakerSelect.addEventListener("change", () => saveChoice(this.choice()));
    root.querySelector("#speaker-test").addEventListener("click", () => this.testSpeaker());
  }

  choice() {
    return {
      camera: this.cameraSelect.value || undefined,
      microphone: this.micSelect.value || undefined,
      speaker: this.speakerSelect.value || undefined,
    };
  }

  async start() {
    await this.open(savedChoice());
    await this.fillLists();
  }

  /** Open the chosen devices; `this.opening` lets "continue" wait for a device still opening. */
  open(choice = this.choice()) {
    this.opening = this.openNow(choice);
    return this.opening;
  }

  async openNow(choice) {
    this.error.hidden = true;
    this.stopPreview();
    try {
      this.stream = await openLocalMedia(choice);
    } catch (error) {
      this.error.textContent = describeError(error);
      this.error.hidden = false;
      return;
    }
    this.preview.srcObject = this.stream;
    const audio = this.stream.getAudioTracks()[0];
    if (audio) {
      this.stopMeter = levelMeter(audio, (level) => {
        this.meterBar.style.width = `${Math.round(level * 100)}%`;
        if (level > 0.05 && !this.heard) {
          this.heard = true;
          this.meterText.textContent = t("devices.meter.ok");
        }
      });
    }
    saveChoice(this.choice());
  }

  async fillLists() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const current = {
      videoinput: this.stream?.getVideoTracks()[0]?.getSettings().deviceId,
      audioinput: this.stream?.getAudioTracks()[0]?.getSettings().deviceId,
      audiooutput: savedChoice().speaker,
    };
    const fill = (select, kind, fallbackKey) => {
      select.replaceChildren();
      const found = devices.filter((d) => d.kind === kind);
      found.forEach((device, index) => {
        const option = new Option(device.label || t(fallbackKey, { n: index + 1 }), device.deviceId);
        option.selected = device.deviceId === current[kind];
        select.add(option);
      });
      if (!found.length) select.add(new Option(t("devices.none_found"), ""));
      select.disabled = !found.length;
    };
    fill(this.cameraSelect, "videoinput", "devices.camera_n");
    fill(this.micSelect, "audioinput", "devices.microphone_n");
    fill(this.speakerSelect, "audiooutput", "devices.speaker_n");
    if (!("setSinkId" in HTMLMediaElement.prototype)) this.speakerSelect.disabled = true;
  }

  async testSpeaker() {
    // A short two-tone chime through an <audio> element, so the chosen speaker is used.
    const context = new AudioContext();
    const destination = context.createMediaStreamDestination();
    for (const [frequency, start] of [[660, 0], [880, 0.35]]) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, context.currentTime + start);
      gain.gain.exponentialRampToValueAtTime(0.3, context.currentTime + start + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + start + 0.6);
      oscillator.connect(gain).connect(destination);
      oscillator.start(context.currentTime + start);
      oscillator.stop(context.currentTime + start + 0.65);
    }
    const audio = new Audio();
    audio.srcObject = destination.stream;
    const speaker = this.speakerSelect.value;
    if (speaker && audio.setSinkId) await audio.setSinkId(speaker).catch(() => {});
    await audio.play().catch(() => {});
    setTimeout(() => {
      audio.srcObject = null;
      context.close().catch(() => {});
    }, 1200);
  }

  stopPreview() {
    this.stopMeter?.();
    this.stopMeter = null;
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
  }

  /** Hand the stream over (the call keeps using it) and stop the meter. */
  takeStream() {
    this.stopMeter?.();
    this.stopMeter = null;
    const stream = this.stream;
    this.stream = null;
    return stream;
  }
}
