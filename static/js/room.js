// The room page: renders the stage, the audience and the hand queue from the socket's
// snapshot and deltas (protocol: docs/room-protocol.md). This entry wires the socket and
// the audio to the page's modules and dispatches what the socket brings.
import { ProgramPlayer, StageAudio } from "./room-audio.js";
import {
  closeModal, initNotices, openInvite, openModal, openStageNotice, recordingStarted, recordingStopped, setOptOut,
  syncNotices,
} from "./room-notices.js";
import { initPeople, renderPeople, showLevels } from "./room-people.js";
import { clipsAllowed, initClips, showClipRequest } from "./room-clips.js";
import { captionsBehind, initCaptions, showCaption } from "./room-captions.js";
import { RoomSocket } from "./room-socket.js";
import { $, hasCaptions, isHost, isLive, isRecording, onStage, page, spaceId, state, told, upsert } from "./room-state.js";
import {
  bind, closeControls, floatReactions, renderControls, renderRecordingFlags, showAudioState, showDelay, showStatus, toast,
} from "./room-ui.js";

const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new RoomSocket(`${scheme}://${location.host}/ws/spaces/${spaceId}/`, {
  onMessage: handle,
  onStatus: showStatus,
});
const stageAudio = new StageAudio({
  send: (type, fields) => socket.send(type, fields),
  iceServers: JSON.parse(page.iceServers || "[]"),
  onState: showAudioState,
});
const player = new ProgramPlayer({ url: page.liveUrl, onDelay: showDelay });
// The browser tests read the player through this (whether the program is playing).
window.roundtable = { socket, state, stageAudio, player };
initPeople(socket);
initNotices(socket);
initClips();
initCaptions();

function handle(msg) {
  switch (msg.type) {
    case "snapshot": {
      // A reconnect may bring news missed while away: recording started meanwhile.
      const wasRecording = state.space ? Boolean(state.space.recording) : null;
      state.space = msg.space;
      state.people = new Map(msg.participants.map((p) => [p.user_id, p]));
      state.listenerCount = msg.listener_count;
      state.you = msg.you;
      state.retentionDays = msg.limits ? msg.limits.retention_days : null;
      state.blocked = new Set(msg.blocked_user_ids || []);
      if (wasRecording === false && msg.space.recording) recordingStarted();
      // An invitation still open after a reconnect is asked again.
      if (msg.you && msg.you.invited && msg.you.role === "listener") openInvite("The host");
      break;
    }
    case "space.recording": {
      if (!state.space) return;
      const was = Boolean(state.space.recording);
      state.space.recording = msg.recording;
      if (msg.recording && !was) recordingStarted();
      else if (!msg.recording && was) recordingStopped();
      break;
    }
    case "participant.updated":
      upsert(msg.participant);
      break;
    case "participant.left":
      state.people.delete(msg.user_id);
      break;
    case "batch":
      for (const id of msg.left) state.people.delete(id);
      // A join is a picture from when they arrived: a later delta about them already won.
      for (const p of msg.joined) if (!state.people.has(p.user_id)) upsert(p);
      state.listenerCount = msg.listener_count;
      floatReactions(unblockedReactions(msg));
      break;
    case "space.started":
      location.reload();
      return;
    case "space.ended":
      state.space = msg.space;
      toast(msg.reason === "staff" ? "Staff ended this space." : "The host ended this space.");
      setTimeout(() => location.reload(), 1500);
      break;
    case "media.answer":
      stageAudio.accept(msg.sdp);
      return;
    case "levels":
      showLevels(msg.levels);
      return;
    case "caption":
      showCaption(msg);
      return;
    case "captions_behind":
      captionsBehind();
      return;
    case "invited":
      openInvite(msg.by_name);
      break;
    case "removed":
      toast("You were removed from this space.");
      setTimeout(() => location.reload(), 1500);
      return;
    case "suspended":
      // The socket closes next (4403) and every session of the account is signed out: the
      // microphone and the program stop, and the controls go (nothing they send would be
      // taken). The banner keeps saying why.
      state.closedBecause = `${msg.message} You were taken out of this space and signed out.`;
      state.you = null;
      stageAudio.stop();
      if (player.playing) player.stop();
      closeControls();
      toast(msg.message);
      return;
    case "clip.request":
      showClipRequest(msg.request);
      return;
    case "clips.allowed":
      clipsAllowed(msg.allowed);
      return;
    case "error":
      toast(msg.message);
      return;
    default:
      return;
  }
  render();
}

// The batch's counts, less the reactions it lists from people this person blocked.
function unblockedReactions(msg) {
  const counts = { ...msg.reactions };
  if (!state.blocked.size) return counts;
  for (const r of msg.recent_reactions || []) {
    if (state.blocked.has(r.user_id) && counts[r.emoji]) counts[r.emoji] -= 1;
  }
  return counts;
}

function render() {
  renderPeople();
  renderRecordingFlags();
  renderControls();
  syncAudio();
}

// Speakers talk and hear over WebRTC; everyone else listens to the HLS program.
// In a recorded space neither starts before the person has been told (the host chose it);
// with live captions on, the microphone also waits until the speaker has read so.
function syncAudio() {
  const live = isLive();
  const speaking = Boolean(live && state.you && onStage(state.you));
  const mustTell = live && isRecording() && !isHost();
  const mustTellSpeaker = live && (isRecording() || hasCaptions()) && !isHost();
  const listen = $("btn-listen");
  player.hold(mustTell && !told.listen);
  stageAudio.hold(speaking && mustTellSpeaker && !told.mic);
  if (speaking) {
    if (player.playing) player.stop();
    stageAudio.setMuted(state.you.muted);
    if (stageAudio.held) openStageNotice("joining");
    else stageAudio.start();
  } else if (stageAudio.pc || stageAudio.mic) {
    stageAudio.stop();
  }
  syncNotices({ speaking, micHeld: stageAudio.held, listenHeld: player.held });
  listen.hidden = !live || speaking;
  listen.textContent = player.playing ? "■ Stop listening" : "▶ Listen live";
}

bind("btn-mute", () => socket.send(state.you.muted ? "unmute" : "mute"));
bind("btn-listen", () => {
  if (player.playing) player.stop();
  else if (player.held) openModal("rec-join-modal");
  else player.play();
  syncAudio();
});
bind("rec-join-listen", () => {
  told.listen = true;
  closeModal("rec-join-modal");
  syncAudio();  // lifts the hold
  player.play();  // this click is the gesture autoplay needs
  syncAudio();
});
bind("rec-stage-ok", () => {
  setOptOut($("rec-optout-check").checked);
  told.mic = true;
  closeModal("rec-stage-modal");
  syncAudio();
});
bind("btn-record", () => socket.send("recording.set", { on: !isRecording() }));
bind("btn-optout", () => setOptOut(!state.you.recording_opt_out));
document.addEventListener("click", () => { if (stageAudio.output.paused && stageAudio.output.srcObject) stageAudio.output.play(); });
bind("btn-hand", () => socket.send(state.you.hand_raised_at ? "hand.lower" : "hand.raise"));
bind("btn-stepdown", () => socket.send("speaker.step_down"));
bind("btn-muteall", () => socket.send("mute.all"));
bind("btn-react", (e) => {
  const menu = $("react-menu");
  menu.hidden = !menu.hidden;
  e.currentTarget.setAttribute("aria-expanded", String(!menu.hidden));
});
const reactMenu = $("react-menu");
if (reactMenu) {
  reactMenu.addEventListener("click", (e) => {
    const emoji = e.target.closest("button")?.dataset.emoji;
    if (emoji) socket.send("reaction", { emoji });
  });
}
const endForm = $("end-form");
if (endForm) {
  endForm.addEventListener("submit", (e) => {
    if (!confirm("End this space for everyone?")) e.preventDefault();
  });
}
window.addEventListener("pagehide", () => { stageAudio.stop(); socket.close(); });
