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

export class ProgramPlayer {
  constructor({ url, onDelay }) {
    this.url = url;
    this.onDelay = onDelay;
    this.audio = document.getElementById("program-audio");
    this.hls = null;
    // Held while the page still owes the listener a notice (a recorded space): nothing
    // is loaded or played until they have read it.
    this.held = false;
  }

  get playing() { return Boolean(this.hls) || Boolean(this.audio.src); }

  hold(held) { this.held = held; }

  async play() {
    if (this.playing || this.held) return;
    if (window.Hls && window.Hls.isSupported()) {
      this.hls = new window.Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 30, manifestLoadingRetryDelay: 1000 });
      this.hls.loadSource(this.url);
      this.hls.attachMedia(this.audio);
    } else {
      this.audio.src = this.url;  // Safari plays HLS natively
    }
    this.timer = setInterval(() => this.onDelay(this.delay()), 1000);
    try { await this.audio.play(); } catch { /* the Listen button retries with a gesture */ }
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
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    this.audio.removeAttribute("src");
    this.audio.load();
    this.onDelay(null);
  }
}
