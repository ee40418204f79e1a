// Live captions on the room page (spaces with captions on): the socket's `caption` events
// as "Name: text" lines in an aria-live region, the latest few kept, and the quiet note when
// the captioner skipped ahead (`captions_behind`). Off until the person turns them on; the
// choice is remembered in this browser for every space.
import { $ } from "./room-state.js";
import { bind } from "./room-ui.js";

const KEY = "roundtable.captions";
const KEEP_LINES = 4;
const BEHIND_NOTE_MS = 6000;
let behindTimer;

function remembered() {
  try { return localStorage.getItem(KEY) === "on"; } catch { return false; }
}

function remember(on) {
  try { localStorage.setItem(KEY, on ? "on" : "off"); } catch { /* private mode: this page only */ }
}

function show(on) {
  const panel = $("captions");
  const button = $("btn-captions");
  panel.hidden = !on;
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? "CC Hide captions" : "CC Captions";
}

export function initCaptions() {
  if (!$("captions")) return;
  show(remembered());
  bind("btn-captions", () => {
    const on = $("captions").hidden;
    remember(on);
    show(on);
  });
}

// Kept while hidden too, so turning captions on shows the last lines at once.
export function showCaption(cue) {
  const list = $("caption-lines");
  if (!list) return;
  const line = document.createElement("li");
  line.dataset.userId = cue.user_id;
  const name = document.createElement("span");
  name.className = "caption-name";
  name.textContent = `${cue.name}: `;
  line.append(name, document.createTextNode(cue.text));
  list.append(line);
  while (list.children.length > KEEP_LINES) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
  $("captions").classList.add("has-lines");
}

export function captionsBehind() {
  const note = $("caption-behind");
  if (!note) return;
  note.hidden = false;
  clearTimeout(behindTimer);
  behindTimer = setTimeout(() => { note.hidden = true; }, BEHIND_NOTE_MS);
}
