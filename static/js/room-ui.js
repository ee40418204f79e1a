// The room page's small displays: the toast, floating reactions, the connection banner,
// how far behind live the program is, what the stage audio reports, and the toolbar.
import { $, isHost, isModerator, isRecording, onStage, state } from "./room-state.js";

let toastTimer;
export function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

export function bind(id, fn) { const el = $(id); if (el) el.addEventListener("click", fn); }

export function floatReactions(counts) {
  const stream = $("reaction-stream");
  for (const [emoji, n] of Object.entries(counts || {})) {
    for (let i = 0; i < Math.min(n, 6); i++) {
      const el = document.createElement("span");
      el.className = "float";
      el.textContent = emoji;
      el.style.left = `${10 + Math.random() * 80}%`;
      el.style.animationDelay = `${i * 90}ms`;
      el.addEventListener("animationend", () => el.remove());
      stream.append(el);
    }
  }
}

// The room is closed to this person for good: only the way out stays.
export function closeControls() {
  for (const el of $("controls").children) if (el.id !== "leave") el.hidden = true;
  $("react-menu")?.setAttribute("hidden", "");
}

export function showStatus(status, code) {
  const banner = $("conn-banner");
  if (status === "open") { banner.hidden = true; return; }
  if (status === "closed") {
    banner.hidden = false;
    banner.textContent = code === 4403 ? state.closedBecause || "You cannot join this space." : "This space is over.";
    return;
  }
  if (status === "reconnecting") {
    banner.hidden = false;
    banner.textContent = "Connection lost: reconnecting…";
  }
}

// Listening before the space has any sound yet (or through a stall) says so, rather than nothing.
export function showDelay(seconds, waiting) {
  const el = $("behind-live");
  if (waiting) el.textContent = "Waiting for audio…";
  else el.textContent = seconds == null ? "" : seconds < 1.5 ? "Live" : `${seconds.toFixed(1)} s behind live`;
}

export function showAudioState(status) {
  if (status === "mic-denied") toast("Allow the microphone to speak: your browser blocked it.");
  else if (status === "needs-gesture") toast("Tap anywhere to hear the other speakers.");
  else if (status === "failed") toast("Audio connection lost: reconnecting…");
}

export function renderRecordingFlags() {
  const recording = isRecording();
  $("rec-banner").hidden = !recording;
  $("rec-pill").hidden = !recording;
  $("invite-rec").hidden = !recording;
  $("rec-flag").textContent = recording || (state.space && state.space.record) ? "Recorded" : "Not recorded";
}

export function renderControls() {
  const you = state.you;
  const live = state.space && state.space.state === "live";
  const show = (id, visible) => { const el = $(id); if (el) el.hidden = !visible; };
  show("btn-mute", live && you && onStage(you));
  show("btn-hand", live && you && !onStage(you));
  show("btn-stepdown", live && you && (you.role === "speaker" || you.role === "cohost"));
  show("btn-muteall", live && isModerator());
  show("btn-record", live && isHost());
  show("btn-optout", live && you && onStage(you));
  const record = $("btn-record");
  if (record) {
    record.textContent = isRecording() ? "■ Stop recording" : "● Start recording";
    record.classList.toggle("btn-rec-on", isRecording());
  }
  if (!you) return;
  const optOut = $("btn-optout");
  if (optOut) optOut.textContent = you.recording_opt_out ? "Put my voice back in the replay" : "Leave my voice out of the replay";
  const mute = $("btn-mute");
  if (mute) {
    mute.textContent = you.muted ? "🎙 Unmute" : "🔇 Mute";
    mute.disabled = you.muted && you.muted_by_moderator;
    mute.title = mute.disabled ? "The host muted you" : "";
  }
  const hand = $("btn-hand");
  if (hand) hand.textContent = you.hand_raised_at ? "✋ Lower hand" : "✋ Ask to speak";
}
