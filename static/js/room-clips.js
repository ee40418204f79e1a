// Clips in the room: the clip button (the last seconds of the live space) and the prompt a
// speaker gets when someone clips their voice. Both go over HTTP (docs/clips.md); the socket
// only brings the prompt (`clip.request`) and the host's switch (`clips.allowed`).
import { closeModal, openModal } from "./room-notices.js";
import { $ } from "./room-state.js";
import { toast } from "./room-ui.js";

function csrf() {
  return document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] || "";
}

async function post(url, fields = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error?.message || "That did not work. Try again.");
  return data;
}

let current = null;

export function initClips() {
  const button = $("btn-clip");
  button?.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { clip } = await post(button.dataset.url);
      toast(`Clipped: everyone heard in it is asked first. ${clip.url}`);
    } catch (error) {
      toast(error.message);
    } finally {
      button.disabled = false;
    }
  });
  $("clip-request-yes")?.addEventListener("click", () => answer("yes"));
  $("clip-request-no")?.addEventListener("click", () => answer("no"));
}

export function showClipRequest(request) {
  current = request;
  $("clip-request-text").textContent = `${request.by} clipped ${request.seconds} s with your voice in it: “${request.title}”. Listen, then choose.`;
  $("clip-request-audio").src = request.preview;
  openModal("clip-request-modal");
}

async function answer(value) {
  if (!current) return;
  try {
    await post(current.answer, { answer: value });
    toast(value === "yes" ? "Thanks: your voice is in the clip." : "Your voice stays out of the clip.");
    closeModal("clip-request-modal");
    $("clip-request-audio").pause();
    current = null;
  } catch (error) {
    toast(error.message);
  }
}

export function clipsAllowed(allowed) {
  const button = $("btn-clip");
  if (button) button.hidden = !allowed;
  const flag = $("clips-flag");
  if (flag) flag.textContent = allowed ? "Clips allowed" : "Clips off";
  toast(allowed ? "The host lets listeners clip this space." : "The host turned clips off.");
}
