// The replay page: the waveform player, the synced transcript, the share link and the play count.
import { csrfToken, setupPlayer } from "./waveform.js";

const script = document.querySelector("script[data-played-url]");
const playedUrl = script.dataset.playedUrl;
const root = document.querySelector("[data-player]");
const player = setupPlayer(root);
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

// The clip form: "From where I am" takes the player's position and the next 30 seconds.
const form = document.querySelector("[data-clip-form]");
form?.querySelector("[data-clip-here]").addEventListener("click", () => {
  const at = Math.floor(audio.currentTime);
  const end = Math.min(at + 30, Math.floor(audio.duration || at + 30));
  form.querySelector("[data-clip-start]").value = String(at);
  form.querySelector("[data-clip-end]").value = String(end);
});
