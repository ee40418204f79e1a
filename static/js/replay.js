// The replay page: the waveform player, the synced transcript, the share link and the play count.
import { csrfToken, setupPlayer } from "./waveform.js";

const script = document.querySelector("script[data-played-url]");
const playedUrl = script.dataset.playedUrl;
const root = document.querySelector("[data-player]");
const form = document.querySelector("[data-clip-form]");
// With the clip form on the page, a drag across the waveform selects the clip's range.
const player = setupPlayer(root, { editor: Boolean(form), onSelect: (range) => range && clipRange(range.start, range.end) });
const { audio } = player;

// A play counts once it has played 5 seconds (the server counts it once per visitor session).
let heard = 0, last = null, counted = false;
audio.addEventListener("timeupdate", () => {
  if (counted || audio.paused) return (last = audio.currentTime);
  if (last !== null && audio.currentTime > last && audio.currentTime - last < 1.5) heard += audio.currentTime - last;
  last = audio.currentTime;
  if (heard >= 5) {
    counted = true;
    fetch(playedUrl, { method: "POST", headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" });
  }
});

const share = document.querySelector("[data-share]");
share?.addEventListener("click", async () => {
  const url = share.dataset.share;
  try {
    if (navigator.share && matchMedia("(pointer: coarse)").matches) await navigator.share({ url, title: document.title });
    else await navigator.clipboard.writeText(url);
    document.querySelector("[data-share-done]").hidden = false;
  } catch {
    window.prompt("Copy this link:", url);
  }
});

const cues = [...document.querySelectorAll("[data-cues] .cue")];
let active = null;
audio.addEventListener("timeupdate", () => {
  const t = audio.currentTime;
  const now = cues.find((c) => t >= Number(c.dataset.start) && t < Number(c.dataset.end)) || null;
  if (now === active) return;
  active?.classList.remove("is-current");
  now?.classList.add("is-current");
  now?.setAttribute("aria-current", "true");
  active?.removeAttribute("aria-current");
  active = now;
  if (now) {
    const list = now.closest("[data-cues]");
    const top = now.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top > list.scrollTop + list.clientHeight - now.offsetHeight) list.scrollTop = top - 40;
  }
});
for (const cue of cues) {
  cue.addEventListener("click", () => {
    player.seek(Number(cue.dataset.start));
    audio.play();
  });
}

// A link to a moment (search results link to the line that matched): ?t=seconds.
const at = Number(new URLSearchParams(window.location.search).get("t"));
if (at > 0) {
  const seekThere = () => player.seek(at);
  if (audio.readyState >= 1) seekThere();
  else audio.addEventListener("loadedmetadata", seekThere, { once: true });
}

// Search inside the transcript: only the lines holding every word typed stay, the words marked.
const search = document.querySelector("[data-cue-search]");
const matches = document.querySelector("[data-cue-matches]");
const plain = new Map(cues.map((c) => [c, c.querySelector("[data-cue-text]").textContent]));
search?.addEventListener("input", () => {
  const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const cue of cues) {
    const text = plain.get(cue);
    const hit = words.every((w) => text.toLowerCase().includes(w));
    cue.closest(".cue-row").hidden = !hit;
    shown += hit;
    const holder = cue.querySelector("[data-cue-text]");
    holder.textContent = "";
    if (!words.length || !hit) {
      holder.textContent = text;
      continue;
    }
    const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
    for (const part of text.split(pattern)) {
      if (!part) continue;
      if (words.includes(part.toLowerCase())) {
        const mark = document.createElement("mark");
        mark.textContent = part;
        holder.append(mark);
      } else holder.append(part);
    }
  }
  matches.hidden = !words.length;
  matches.textContent = shown ? `${shown} line${shown === 1 ? "" : "s"} found` : "Nothing in the transcript matches.";
});

// Captions over the player, from its WebVTT track (the same file the downloads give).
const captionsTrack = document.querySelector("[data-captions-track]");
const captionLine = document.querySelector("[data-caption-line]");
const captionsToggle = document.querySelector("[data-captions-toggle]");
if (captionsTrack && captionLine && captionsToggle) {
  const track = captionsTrack.track;
  track.mode = "hidden"; // cues fire cuechange; the line below shows them
  const unescape = (text) => new DOMParser().parseFromString(text, "text/html").documentElement.textContent;
  const show = () => {
    const cue = track.activeCues?.[0];
    captionLine.textContent = "";
    if (!cue) return;
    const voiced = /^<v\s+([^>]*)>([\s\S]*)$/.exec(cue.text);
    if (voiced) {
      const name = document.createElement("strong");
      name.textContent = unescape(voiced[1]);
      captionLine.append(name, unescape(voiced[2]).replace(/\n/g, " "));
    } else captionLine.append(unescape(cue.text).replace(/\n/g, " "));
  };
  track.addEventListener("cuechange", show);
  const set = (on) => {
    captionLine.hidden = !on;
    captionsToggle.setAttribute("aria-pressed", String(on));
    localStorage.setItem("replay-captions", on ? "on" : "off");
    if (on) show();
  };
  captionsToggle.addEventListener("click", () => set(captionLine.hidden));
  set(localStorage.getItem("replay-captions") === "on");
}

// The clip form: a range dragged on the waveform, a transcript line's clip button, or "From
// where I am" (the player's position and the next 30 seconds) fill in its start and end.
const LONGEST = 60;
function clipRange(start, end) {
  const from = Math.max(0, start);
  const to = Math.min(end, from + LONGEST, player.duration || end);
  form.querySelector("[data-clip-start]").value = from.toFixed(1);
  form.querySelector("[data-clip-end]").value = to.toFixed(1);
}
form?.querySelector("[data-clip-here]").addEventListener("click", () => {
  const at = Math.floor(audio.currentTime);
  clipRange(at, at + 30);
});
for (const button of document.querySelectorAll("[data-clip-cue]")) {
  button.addEventListener("click", () => {
    clipRange(Number(button.dataset.start), Number(button.dataset.end));
    form.scrollIntoView({ block: "nearest" });
  });
}
