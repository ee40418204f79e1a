// The room page's dialogs: the recording notices (the listener's join notice, the stage
// notice, the banner for recording started), the opt-out, and the invitation to the stage.
import { $, hasCaptions, isHost, isLive, isRecording, onStage, state, told } from "./room-state.js";
import { bind, toast } from "./room-ui.js";

let socket;
// The join notice opens by itself once per recording; dismissed (Escape), it stays closed
// through later room updates, and only "Listen live" brings it back.
let joinNoticeShown = false;

export function initNotices(roomSocket) {
  socket = roomSocket;
  bind("rec-stage-back", () => { closeModal("rec-stage-modal"); socket.send("speaker.step_down"); });
  bind("rec-notice-ok", () => { $("rec-notice").hidden = true; });
  // Escape dismisses what only informs (the join notice keeps the audio held: "Listen live"
  // brings it back); choices that act on the stage or the microphone need their own buttons.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!$("rec-join-modal").hidden) closeModal("rec-join-modal");
    else if (!$("rec-notice").hidden) $("rec-notice").hidden = true;
  });
  bind("invite-accept", () => { $("invite-modal").hidden = true; socket.send("invite.accept"); });
  bind("invite-decline", () => { $("invite-modal").hidden = true; socket.send("invite.decline"); });
}

export function openModal(id) {
  const el = $(id);
  if (!el || !el.hidden) return;
  el.hidden = false;
  const first = el.querySelector(".btn-primary");
  if (first) first.focus();
}

export function closeModal(id) { const el = $(id); if (el) el.hidden = true; }

// Each notice shows while its gate is shut, and goes when it opens some other way
// (recording stopped, the space ended, the person left the stage or came up).
export function syncNotices({ speaking, micHeld, listenHeld }) {
  const stageNotice = $("rec-stage-modal");
  if (!speaking || (stageNotice.dataset.mode === "joining" && !micHeld)) closeModal("rec-stage-modal");
  if (!listenHeld || speaking) closeModal("rec-join-modal");
  else if (!joinNoticeShown) { joinNoticeShown = true; openModal("rec-join-modal"); }
}

function retentionSentence() {
  const days = state.retentionDays;
  if (days === 0) {
    return "A moderation copy still keeps your voice until the space ends (longer only if someone reports it), for safety reviews.";
  }
  if (days == null) return "A moderation copy still keeps your voice for a while, for safety reviews.";
  return `A moderation copy still keeps your voice for ${days} ${days === 1 ? "day" : "days"} after the space ends, for safety reviews.`;
}

// `joining`: brought up (or back on a page load) while recording or captioned; the
// microphone waits. `started`: recording began while they were on stage; their microphone
// is already open. Live captions get a line of their own; without a recording, they are
// the whole notice (nothing to opt out of: captions are not kept).
export function openStageNotice(mode) {
  const modal = $("rec-stage-modal");
  if (!modal.hidden && modal.dataset.mode === mode) return;
  modal.dataset.mode = mode;
  const recording = isRecording();
  // The captions sentence: a line under the recording's, or (not recording) the notice's text.
  $("rec-stage-captions").hidden = !(recording && hasCaptions());
  $("rec-optout-label").hidden = !recording;
  $("rec-retention").hidden = !recording;
  const kicker = modal.querySelector(".rec-kicker");
  kicker.lastChild.textContent = recording ? "Recording" : "Live captions";
  kicker.classList.toggle("kicker-captions", !recording);
  modal.querySelector(".rec-dot").hidden = !recording;
  if (!recording) {
    $("rec-stage-title").textContent = "Before your microphone opens";
    $("rec-stage-text").textContent = $("rec-stage-captions").textContent;
  } else {
    $("rec-stage-title").textContent = mode === "joining" ? "This space is being recorded" : "The host started recording";
    $("rec-stage-text").textContent = mode === "joining"
      ? "Before your microphone opens: what you say on stage goes into the recording, which the host may publish as a replay."
      : "What you say from now on goes into the recording, which the host may publish as a replay.";
  }
  $("rec-optout-check").checked = Boolean(state.you && state.you.recording_opt_out);
  if (recording) $("rec-retention").textContent = retentionSentence();
  $("rec-stage-ok").textContent = mode === "joining" ? "🎙 Open my microphone" : "Continue";
  $("rec-stage-back").hidden = mode !== "joining" || isHost();
  openModal("rec-stage-modal");
}

export function recordingStarted() {
  if (isHost()) { toast("Recording started. Everyone in the space has been told."); return; }
  if (state.you && onStage(state.you) && isLive()) {
    // Their microphone is already open; they are told now and offered the opt-out.
    told.mic = true;
    openStageNotice("started");
    return;
  }
  // A listener hears on: the notice is what tells them.
  told.listen = true;
  $("rec-notice").hidden = false;
}

export function recordingStopped() {
  joinNoticeShown = false;
  $("rec-notice").hidden = true;
  toast(isHost() ? "Recording stopped." : "The host stopped recording.");
}

export function setOptOut(optOut) {
  if (state.you && Boolean(state.you.recording_opt_out) !== optOut) socket.send("recording.opt_out", { opt_out: optOut });
}

export function openInvite(byName) {
  $("invite-text").textContent = `${byName} invited you to join the stage.`;
  $("invite-rec").hidden = !isRecording();
  $("invite-modal").hidden = false;
}
