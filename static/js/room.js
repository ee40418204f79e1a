// The room page: renders the stage, the audience and the hand queue from the socket's
// snapshot and deltas (protocol: docs/room-protocol.md).
import { ProgramPlayer, StageAudio } from "./room-audio.js";
import { RoomSocket } from "./room-socket.js";

const root = document.getElementById("room");
const spaceId = root.dataset.spaceId;
const myId = root.dataset.userId ? Number(root.dataset.userId) : null;
const $ = (id) => document.getElementById(id);

const state = { space: null, people: new Map(), listenerCount: 0, you: null, retentionDays: null };
// What this page has told its person about recording: `listen` once a listener has read
// that the space is recorded (their audio waits for it), `mic` once someone on stage has
// (their microphone waits for it). Both are asked again on the next page load.
const told = { listen: false, mic: false };
// The join notice opens by itself once per recording; dismissed (Escape), it stays closed
// through later room updates, and only "Listen live" brings it back.
let joinNoticeShown = false;
const ROLE_LABEL = { host: "Host", cohost: "Co-host", speaker: "Speaker", listener: "" };
const RANK = { host: 3, cohost: 2, speaker: 1, listener: 1 };
const onStage = (p) => p.role !== "listener";

const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new RoomSocket(`${scheme}://${location.host}/ws/spaces/${spaceId}/`, {
  onMessage: handle,
  onStatus: showStatus,
});
const stageAudio = new StageAudio({
  send: (type, fields) => socket.send(type, fields),
  iceServers: JSON.parse(root.dataset.iceServers || "[]"),
  onState: showAudioState,
});
const player = new ProgramPlayer({ url: root.dataset.liveUrl, onDelay: showDelay });
window.roundtable = { socket, state, stageAudio, player };

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
      floatReactions(msg.reactions);
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
    case "invited":
      openInvite(msg.by_name);
      break;
    case "removed":
      toast("You were removed from this space.");
      setTimeout(() => location.reload(), 1500);
      return;
    case "error":
      toast(msg.message);
      return;
    default:
      return;
  }
  render();
}

function upsert(p) {
  if (!p.present) { state.people.delete(p.user_id); } else { state.people.set(p.user_id, p); }
  if (p.user_id === myId) {
    // Off the stage, the next time up asks again before the microphone opens.
    if (!onStage(p)) told.mic = false;
    state.you = p;
  }
}

function showStatus(status, code) {
  const banner = $("conn-banner");
  if (status === "open") { banner.hidden = true; return; }
  if (status === "closed") {
    banner.hidden = false;
    banner.textContent = code === 4403 ? "You cannot join this space." : "This space is over.";
    return;
  }
  if (status === "reconnecting") {
    banner.hidden = false;
    banner.textContent = "Connection lost: reconnecting…";
  }
}

// --- rendering ------------------------------------------------------------------
function render() {
  const people = [...state.people.values()];
  const stage = people.filter(onStage).sort((a, b) => RANK[b.role] - RANK[a.role]);
  const audience = people.filter((p) => !onStage(p));
  const hands = audience.filter((p) => p.hand_raised_at).sort((a, b) => a.hand_raised_at.localeCompare(b.hand_raised_at));
  $("stage").replaceChildren(...stage.map(personTile));
  const tiles = audience.map(personTile);
  // Guests and listeners past the snapshot's cap are counted, not named.
  const unnamed = state.listenerCount - audience.length;
  if (unnamed > 0) {
    const more = document.createElement("span");
    more.className = "more-listeners";
    more.textContent = audience.length ? `+${unnamed} more listening` : `${unnamed} listening`;
    tiles.push(more);
  }
  $("audience").replaceChildren(...tiles);
  $("audience-count").textContent = state.listenerCount;
  $("listener-count").textContent = `${state.listenerCount + stage.length} in the space`;
  const recording = isRecording();
  $("rec-banner").hidden = !recording;
  $("rec-pill").hidden = !recording;
  $("invite-rec").hidden = !recording;
  $("rec-flag").textContent = recording || (state.space && state.space.record) ? "Recorded" : "Not recorded";
  renderQueue(hands);
  renderControls();
  syncAudio();
}

const isLive = () => Boolean(state.space && state.space.state === "live");
const isRecording = () => Boolean(state.space && state.space.recording);
const isHost = () => Boolean(state.you && state.you.role === "host");

// Speakers talk and hear over WebRTC; everyone else listens to the HLS program.
// In a recorded space neither starts before the person has been told (the host chose it).
function syncAudio() {
  const live = isLive();
  const speaking = Boolean(live && state.you && onStage(state.you));
  const mustTell = live && isRecording() && !isHost();
  const listen = $("btn-listen");
  player.hold(mustTell && !told.listen);
  stageAudio.hold(speaking && mustTell && !told.mic);
  if (speaking) {
    if (player.playing) player.stop();
    stageAudio.setMuted(state.you.muted);
    if (stageAudio.held) openStageNotice("joining");
    else stageAudio.start();
  } else if (stageAudio.pc || stageAudio.mic) {
    stageAudio.stop();
  }
  // Each notice shows while its gate is shut, and goes when it opens some other way
  // (recording stopped, the space ended, the person left the stage or came up).
  const stageNotice = $("rec-stage-modal");
  if (!speaking || (stageNotice.dataset.mode === "joining" && !stageAudio.held)) closeModal("rec-stage-modal");
  if (!player.held || speaking) closeModal("rec-join-modal");
  else if (!joinNoticeShown) { joinNoticeShown = true; openModal("rec-join-modal"); }
  listen.hidden = !live || speaking;
  listen.textContent = player.playing ? "■ Stop listening" : "▶ Listen live";
}

// --- recording notices -----------------------------------------------------------------
function openModal(id) {
  const el = $(id);
  if (!el || !el.hidden) return;
  el.hidden = false;
  const first = el.querySelector(".btn-primary");
  if (first) first.focus();
}

function closeModal(id) { const el = $(id); if (el) el.hidden = true; }

function retentionSentence() {
  const days = state.retentionDays;
  if (days === 0) {
    return "A moderation copy still keeps your voice until the space ends (longer only if someone reports it), for safety reviews.";
  }
  if (days == null) return "A moderation copy still keeps your voice for a while, for safety reviews.";
  return `A moderation copy still keeps your voice for ${days} ${days === 1 ? "day" : "days"} after the space ends, for safety reviews.`;
}

// `joining`: brought up (or back on a page load) while recording; the microphone waits.
// `started`: recording began while they were on stage; their microphone is already open.
function openStageNotice(mode) {
  const modal = $("rec-stage-modal");
  if (!modal.hidden && modal.dataset.mode === mode) return;
  modal.dataset.mode = mode;
  $("rec-stage-title").textContent = mode === "joining" ? "This space is being recorded" : "The host started recording";
  $("rec-stage-text").textContent = mode === "joining"
    ? "Before your microphone opens: what you say on stage goes into the recording, which the host may publish as a replay."
    : "What you say from now on goes into the recording, which the host may publish as a replay.";
  $("rec-optout-check").checked = Boolean(state.you && state.you.recording_opt_out);
  $("rec-retention").textContent = retentionSentence();
  $("rec-stage-ok").textContent = mode === "joining" ? "🎙 Open my microphone" : "Continue";
  $("rec-stage-back").hidden = mode !== "joining" || isHost();
  openModal("rec-stage-modal");
}

function recordingStarted() {
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

function recordingStopped() {
  joinNoticeShown = false;
  $("rec-notice").hidden = true;
  toast(isHost() ? "Recording stopped." : "The host stopped recording.");
}

function setOptOut(optOut) {
  if (state.you && Boolean(state.you.recording_opt_out) !== optOut) socket.send("recording.opt_out", { opt_out: optOut });
}

function showLevels(levels) {
  for (const tile of document.querySelectorAll("#stage .person")) {
    const value = levels[tile.dataset.userId] || 0;
    tile.classList.toggle("speaking", value > 0.04);
  }
}

// Listening before the space has any sound yet (or through a stall) says so, rather than nothing.
function showDelay(seconds, waiting) {
  const el = $("behind-live");
  if (waiting) el.textContent = "Waiting for audio…";
  else el.textContent = seconds == null ? "" : seconds < 1.5 ? "Live" : `${seconds.toFixed(1)} s behind live`;
}

function showAudioState(status) {
  if (status === "mic-denied") toast("Allow the microphone to speak: your browser blocked it.");
  else if (status === "needs-gesture") toast("Tap anywhere to hear the other speakers.");
  else if (status === "failed") toast("Audio connection lost: reconnecting…");
}

function personTile(p) {
  const tile = document.createElement("button");
  tile.className = `person role-${p.role}`;
  tile.dataset.userId = p.user_id;
  tile.setAttribute("aria-label", `${p.name}${ROLE_LABEL[p.role] ? ", " + ROLE_LABEL[p.role] : ""}`);
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.textContent = (p.name || "?").slice(0, 1).toUpperCase();
  tile.append(avatar);
  if (onStage(p)) {
    const mic = document.createElement("span");
    mic.className = `mic ${p.muted ? "mic-off" : "mic-on"}`;
    mic.title = p.muted ? (p.muted_by_moderator ? "Muted by the host" : "Muted") : "Mic on";
    mic.textContent = p.muted ? "🔇" : "🎙";
    tile.append(mic);
  }
  if (p.hand_raised_at) {
    const hand = document.createElement("span");
    hand.className = "hand";
    hand.textContent = "✋";
    tile.append(hand);
  }
  const name = document.createElement("span");
  name.className = "person-name";
  name.textContent = p.user_id === myId ? `${p.name} (you)` : p.name;
  tile.append(name);
  if (ROLE_LABEL[p.role]) {
    const role = document.createElement("span");
    role.className = "person-role";
    role.textContent = ROLE_LABEL[p.role];
    tile.append(role);
  }
  // Hosts see who is left out of the replay (and each person sees it on themselves).
  if (onStage(p) && p.recording_opt_out && (isModerator() || p.user_id === myId)) {
    const out = document.createElement("span");
    out.className = "badge-optout";
    out.title = "Left out of the published recording";
    out.textContent = "Not in replay";
    tile.append(out);
  }
  tile.addEventListener("click", (e) => openPersonMenu(p, e.currentTarget));
  return tile;
}

const isModerator = () => state.you && (state.you.role === "host" || state.you.role === "cohost");
const outranks = (p) => state.you && RANK[state.you.role] > RANK[p.role] && isModerator();

function renderQueue(hands) {
  const panel = $("queue-panel");
  panel.hidden = !isModerator();
  $("queue-count").textContent = hands.length;
  const items = hands.map((p) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = p.name;
    const up = document.createElement("button");
    up.className = "btn btn-sm btn-primary";
    up.textContent = "Bring up";
    up.onclick = () => socket.send("speaker.add", { user_id: p.user_id });
    const no = document.createElement("button");
    no.className = "btn btn-sm btn-ghost";
    no.textContent = "Dismiss";
    no.onclick = () => socket.send("hand.lower", { user_id: p.user_id });
    li.append(name, up, no);
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "No requests yet.";
    items.push(li);
  }
  $("queue").replaceChildren(...items);
}

function renderControls() {
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

// --- menus, invitations, reactions -------------------------------------------------
function openPersonMenu(p, anchor) {
  const menu = $("person-menu");
  const actions = [[`View profile`, () => { location.href = `/u/${encodeURIComponent(p.username)}/`; }]];
  if (p.user_id === myId && onStage(p) && isLive()) {
    actions.push(p.recording_opt_out
      ? ["Put my voice back in the replay", () => setOptOut(false)]
      : ["Leave my voice out of the replay", () => setOptOut(true)]);
  }
  if (outranks(p)) {
    if (p.role === "listener") {
      if (p.hand_raised_at) actions.push(["Bring up to speak", () => socket.send("speaker.add", { user_id: p.user_id })]);
      else if (!p.invited) actions.push(["Invite to speak", () => socket.send("speaker.invite", { user_id: p.user_id })]);
    } else {
      if (!p.muted) actions.push(["Mute", () => socket.send("mute", { user_id: p.user_id })]);
      if (p.muted_by_moderator) actions.push(["Allow to unmute", () => socket.send("mute.allow", { user_id: p.user_id })]);
      actions.push(["Move to listeners", () => socket.send("speaker.remove", { user_id: p.user_id })]);
    }
    if (state.you.role === "host") {
      if (p.role === "cohost") actions.push(["Remove as co-host", () => socket.send("cohost.remove", { user_id: p.user_id })]);
      else actions.push(["Make co-host", () => socket.send("cohost.add", { user_id: p.user_id })]);
    }
    actions.push(["Remove from space", () => {
      if (confirm(`Remove ${p.name} from this space? They will not be able to rejoin.`)) {
        socket.send("participant.remove", { user_id: p.user_id });
      }
    }, "danger"]);
  }
  menu.replaceChildren(...actions.map(([label, run, kind]) => {
    const b = document.createElement("button");
    b.textContent = label;
    b.setAttribute("role", "menuitem");
    if (kind) b.className = kind;
    b.onclick = () => { menu.hidden = true; run(); };
    return b;
  }));
  const box = anchor.getBoundingClientRect();
  menu.style.left = `${Math.min(window.innerWidth - 220, box.left + window.scrollX)}px`;
  menu.style.top = `${box.bottom + window.scrollY + 4}px`;
  menu.hidden = false;
}

document.addEventListener("click", (e) => {
  const menu = $("person-menu");
  if (menu && !menu.hidden && !e.target.closest(".person") && !e.target.closest("#person-menu")) menu.hidden = true;
});

function openInvite(byName) {
  $("invite-text").textContent = `${byName} invited you to join the stage.`;
  $("invite-rec").hidden = !isRecording();
  $("invite-modal").hidden = false;
}

function floatReactions(counts) {
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

let toastTimer;
function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

function bind(id, fn) { const el = $(id); if (el) el.addEventListener("click", fn); }
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
bind("rec-stage-back", () => { closeModal("rec-stage-modal"); socket.send("speaker.step_down"); });
bind("rec-notice-ok", () => { $("rec-notice").hidden = true; });
// Escape dismisses what only informs (the join notice keeps the audio held: "Listen live"
// brings it back); choices that act on the stage or the microphone need their own buttons.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!$("rec-join-modal").hidden) closeModal("rec-join-modal");
  else if (!$("rec-notice").hidden) $("rec-notice").hidden = true;
});
bind("btn-record", () => socket.send("recording.set", { on: !isRecording() }));
bind("btn-optout", () => setOptOut(!state.you.recording_opt_out));
document.addEventListener("click", () => { if (stageAudio.output.paused && stageAudio.output.srcObject) stageAudio.output.play(); });
bind("btn-hand", () => socket.send(state.you.hand_raised_at ? "hand.lower" : "hand.raise"));
bind("btn-stepdown", () => socket.send("speaker.step_down"));
bind("btn-muteall", () => socket.send("mute.all"));
bind("invite-accept", () => { $("invite-modal").hidden = true; socket.send("invite.accept"); });
bind("invite-decline", () => { $("invite-modal").hidden = true; socket.send("invite.decline"); });
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
