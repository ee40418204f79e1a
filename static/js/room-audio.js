// Audio on the room page: speakers talk to the media engine over WebRTC and hear everyone
// else (their mix-minus); listeners play the program over HLS (hls.js, or Safari's own).

export class StageAudio {
  constructor({ send, iceServers, onState }) {
    this.send = send;
    this.iceServers = iceServers;
    this.onState = onState;
    this.pc = null;
    this.mic = null;
    this.muted = true;
    this.restarts = 0;
    this.output = document.getElementById("stage-audio");
    // Held while someone brought up to speak in a recorded space has not yet been told:
    // the microphone (getUserMedia) is not asked for until they have.
    this.held = false;
  }

  hold(held) { this.held = held; }

  async start() {
    if (this.pc || this.held) return;
    this.stopped = false;
    if (!this.mic) {
      try {
        this.mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
      } catch (error) {
        this.onState("mic-denied");
        return;
      }
    }
    this.setMuted(this.muted);
    await this.offer();
  }

  async offer() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    for (const track of this.mic.getAudioTracks()) pc.addTrack(track, this.mic);
    pc.ontrack = (event) => {
      this.output.srcObject = event.streams[0] || new MediaStream([event.track]);
      this.output.play().catch(() => this.onState("needs-gesture"));
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      this.onState(state);
      if (state === "connected") this.restarts = 0;
      if ((state === "failed" || state === "disconnected") && pc === this.pc && !this.stopped) this.restartSoon();
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 3000);  // the engine does not trickle: send every candidate at once
    if (pc !== this.pc) return;
    this.send("media.offer", { sdp: pc.localDescription.sdp });
  }

  async accept(sdp) {
    if (!this.pc || this.pc.signalingState !== "have-local-offer") return;
    await this.pc.setRemoteDescription({ type: "answer", sdp });
  }

  // A dropped connection comes back with a fresh offer, keeping the microphone and the place on stage.
  restartSoon() {
    clearTimeout(this.restartTimer);
    const delay = Math.min(10000, 1000 * 2 ** this.restarts);
    this.restarts += 1;
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      const old = this.pc;
      this.pc = null;
      if (old) old.close();
      this.offer();
    }, delay);
  }

  setMuted(muted) {
    this.muted = muted;
    if (this.mic) for (const track of this.mic.getAudioTracks()) track.enabled = !muted;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    if (this.pc) { this.pc.close(); this.pc = null; this.send("media.leave"); }
    if (this.mic) { for (const track of this.mic.getTracks()) track.stop(); this.mic = null; }
    this.output.srcObject = null;
  }
}

function gathered(pc, timeout) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); } };
    const timer = setTimeout(resolve, timeout);
    pc.addEventListener("icegatheringstatechange", done);
  });
}

// Retries of the program back off from RETRY_FIRST_MS to RETRY_MAX_MS: the playlist of a
// space that has just started appears within one segment, so the cap stays short.
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 2000;
// Fatal media errors in a row that recoverMediaError() may mend before the player starts over.
const MEDIA_RECOVERIES = 3;

export class ProgramPlayer {
  constructor({ url, onDelay }) {
    this.url = url;
    this.onDelay = onDelay;
    this.audio = document.getElementById("program-audio");
    this.hls = null;
    this.native = false;
    this.retries = 0;
    this.mediaErrors = 0;
    // Held while the page still owes the listener a notice (a recorded space): nothing
    // is loaded or played until they have read it.
    this.held = false;
    // Safari's own HLS: an error (the playlist not there yet, a dropped connection) loads the
    // source again, and sound coming through resets the backoff.
    this.audio.addEventListener("error", () => { if (this.native) this.retry(() => this.loadNative()); });
    this.audio.addEventListener("playing", () => { this.retries = 0; });
  }

  get playing() { return Boolean(this.hls) || this.native; }

  // Whether the listener is listening but nothing can be heard yet (no audio, or a stall).
  get waiting() { return this.playing && this.audio.readyState < HTMLMediaElement.HAVE_FUTURE_DATA; }

  hold(held) { this.held = held; }

  async play() {
    if (this.playing || this.held) return;
    this.retries = 0;
    this.mediaErrors = 0;
    if (window.Hls && window.Hls.isSupported()) this.startHls();
    else { this.native = true; this.loadNative(); }
    this.timer = setInterval(() => this.onDelay(this.delay(), this.waiting), 1000);
    this.resume();
  }

  // The Listen click is the gesture autoplay needs; a later call (after a recovery) rides on it.
  resume() { this.audio.play().catch(() => { /* the Listen button retries with a gesture */ }); }

  loadNative() {
    this.audio.src = this.url;
    this.resume();
  }

  startHls() {
    const Hls = window.Hls;
    const hls = new Hls({ liveSyncDurationCount: 2 });
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.resume());
    hls.on(Hls.Events.FRAG_BUFFERED, () => { this.retries = 0; this.mediaErrors = 0; });
    // hls.js retries what it thinks worth retrying, then reports the error as fatal and stops.
    // A live space needs more: its playlist answers 404 until the first segment is written,
    // and a listener should come back from a dropped connection without reloading the page.
    hls.on(Hls.Events.ERROR, (event, data) => {
      if (!data.fatal || hls !== this.hls) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && this.mediaErrors < MEDIA_RECOVERIES) {
        this.mediaErrors += 1;
        hls.recoverMediaError();
      } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // No playlist yet (or never parsed): ask for it again; otherwise carry on loading from where it was.
        const noManifest = [
          Hls.ErrorDetails.MANIFEST_LOAD_ERROR,
          Hls.ErrorDetails.MANIFEST_LOAD_TIMEOUT,
          Hls.ErrorDetails.MANIFEST_PARSING_ERROR,
        ].includes(data.details);
        this.retry(() => (noManifest ? hls.loadSource(this.url) : hls.startLoad()));
      } else {
        // Nothing left to mend in this instance: a fresh one, on the same media element.
        this.retry(() => { hls.destroy(); this.startHls(); this.resume(); });
      }
    });
    hls.loadSource(this.url);
    hls.attachMedia(this.audio);
  }

  retry(run) {
    clearTimeout(this.retryTimer);
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.retries);
    this.retries += 1;
    this.retryTimer = setTimeout(() => { if (this.playing) run(); }, delay);
  }

  // Seconds between what is heard and the live edge: wall clock vs the playlist's
  // PROGRAM-DATE-TIME of the moment playing.
  delay() {
    const playing = this.hls ? this.hls.playingDate : null;
    if (playing) return Math.max(0, (Date.now() - playing.getTime()) / 1000);
    return null;
  }

  stop() {
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    this.native = false;
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    this.audio.removeAttribute("src");
    this.audio.load();
    this.onDelay(null, false);
  }
}
