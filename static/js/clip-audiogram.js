// The clip page's "Make a video (MP4)" button: ask for the audiogram, show its progress while a
// worker makes it (polling its status once a second), then the download link.
import { csrfToken } from "./waveform.js";

const root = document.querySelector("[data-audiogram]");
const form = root?.querySelector("[data-audiogram-form]");
const making = root?.querySelector("[data-audiogram-making]");
const bar = making?.querySelector("progress");
const download = root?.querySelector("[data-audiogram-download]");
const failed = root?.querySelector("[data-audiogram-failed]");
const POLL_MS = 1000;

function show({ state, progress, url }) {
  const busy = state === "queued" || state === "running";
  form.hidden = busy || state === "ready";
  making.hidden = !busy;
  failed.hidden = state !== "failed";
  bar.value = progress || 0;
  if (state === "ready" && url) download.href = url;
  download.hidden = state !== "ready";
  return busy;
}

async function poll() {
  try {
    const response = await fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
    if (show((await response.json()).audiogram)) setTimeout(poll, POLL_MS);
  } catch {
    setTimeout(poll, POLL_MS * 5); // a dropped connection: try again a little later
  }
}

if (root) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    const body = await response.json();
    if (!response.ok) {
      failed.textContent = body.error?.message || "The video could not be made.";
      failed.hidden = false;
      return;
    }
    if (show(body.audiogram)) setTimeout(poll, POLL_MS);
  });
  if (root.dataset.state === "queued" || root.dataset.state === "running") poll();
}
