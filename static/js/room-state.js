// What the room page knows: the socket's snapshot and deltas (docs/room-protocol.md), the
// page's own person, and the role rules the rendering and the menus decide by.
const root = document.getElementById("room");

export const spaceId = root.dataset.spaceId;
export const myId = root.dataset.userId ? Number(root.dataset.userId) : null;
export const page = root.dataset;
export const $ = (id) => document.getElementById(id);

// `blocked`: the people this person blocked, whose reactions the page does not show them.
// `closedBecause`: why the server closed the socket for good, when it said.
export const state = {
  space: null, people: new Map(), listenerCount: 0, you: null, retentionDays: null, blocked: new Set(),
  closedBecause: null,
};
// What this page has told its person about recording: `listen` once a listener has read
// that the space is recorded (their audio waits for it), `mic` once someone on stage has
// (their microphone waits for it). Both are asked again on the next page load.
export const told = { listen: false, mic: false };

export const ROLE_LABEL = { host: "Host", cohost: "Co-host", speaker: "Speaker", listener: "" };
export const RANK = { host: 3, cohost: 2, speaker: 1, listener: 1 };
export const onStage = (p) => p.role !== "listener";

export const isLive = () => Boolean(state.space && state.space.state === "live");
export const isRecording = () => Boolean(state.space && state.space.recording);
export const hasCaptions = () => Boolean(state.space && state.space.captions);
export const isHost = () => Boolean(state.you && state.you.role === "host");
export const isModerator = () => state.you && (state.you.role === "host" || state.you.role === "cohost");
export const outranks = (p) => state.you && RANK[state.you.role] > RANK[p.role] && isModerator();

export function upsert(p) {
  if (!p.present) { state.people.delete(p.user_id); } else { state.people.set(p.user_id, p); }
  if (p.user_id === myId) {
    // Off the stage, the next time up asks again before the microphone opens.
    if (!onStage(p)) told.mic = false;
    state.you = p;
  }
}
