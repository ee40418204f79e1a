// The host's recording page: live render progress, and the editor (select on the waveform,
// set trim points and cuts; the form holds the edit list and works without this script too).
import { clockTenths, setupPlayer } from "./waveform.js";

const page = document.querySelector("[data-recording]");

// --- progress: poll while a render or the transcript is on its way, reload once done -----
const active = (state) => ["queued", "running"].includes(state);
const watched = [
  { key: "latest", state: page.dataset.latestState, bar: "[data-progress-bar]", text: "[data-progress-text]" },
  { key: "transcript", state: page.dataset.transcriptState, bar: "[data-transcript-bar]", text: "[data-transcript-text]" },
].filter((job) => active(job.state) && page.querySelector(job.bar));
for (const job of watched) {
  const bar = page.querySelector(job.bar);
  // Set here, not in a style attribute, which the Content-Security-Policy forbids.
  bar.style.width = `${bar.parentElement.getAttribute("aria-valuenow")}%`;
}
if (watched.length) {
  const poll = async () => {
    try {
      const response = await fetch(page.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const status = await response.json();
        for (const job of watched) {
          const now = status[job.key];
          if (!now || !active(now.state)) return window.location.reload();
          const percent = Math.round(now.progress * 100);
          const bar = page.querySelector(job.bar);
          bar.style.width = `${percent}%`;
          bar.parentElement.setAttribute("aria-valuenow", String(percent));
          const text = page.querySelector(job.text);
          const done = job.key === "latest" ? `${percent} % done` : `Transcribing: ${percent} % done`;
          text.textContent = now.state === "queued" ? "Waiting for a worker…" : done;
        }
      }
    } catch {
      /* offline for a moment: try again on the next tick */
    }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
}

// --- confirmations ------------------------------------------------------------------
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// --- players --------------------------------------------------------------------------
for (const root of document.querySelectorAll("[data-player]:not([data-editor])")) setupPlayer(root);

const editorRoot = document.querySelector("[data-player][data-editor]");
if (editorRoot) {
  const form = document.querySelector("[data-edit-form]");
  const start = form.elements.trim_start, end = form.elements.trim_end, cuts = form.elements.cuts;
  const cutButton = document.querySelector("[data-cut]");
  const label = document.querySelector("[data-selection]");

  const seconds = (text) => {
    const parts = text.trim().split(":");
    if (!text.trim() || parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) return null;
    return parts.reduce((total, p) => total * 60 + Number(p), 0);
  };
  const editor = setupPlayer(editorRoot, {
    editor: true,
    onSelect(selection) {
      cutButton.disabled = !selection;
      label.textContent = selection ? `Selected ${clockTenths(selection.start)}–${clockTenths(selection.end)}` : "";
    },
  });
  const regions = () => {
    const list = [];
    const s = seconds(start.value), e = seconds(end.value);
    if (s) list.push({ start: 0, end: Math.min(s, editor.duration), kind: "trim" });
    if (e !== null && e < editor.duration) list.push({ start: e, end: editor.duration, kind: "trim" });
    for (const line of cuts.value.split("\n")) {
      const [a, b] = line.replace("–", "-").split("-").map(seconds);
      if (a !== null && b !== null && a !== undefined && b !== undefined && b > a) list.push({ start: a, end: b, kind: "cut" });
    }
    editor.setRegions(list);
  };
  for (const field of [start, end, cuts]) field.addEventListener("input", regions);
  document.querySelector("[data-set-start]").addEventListener("click", () => {
    start.value = clockTenths(editor.audio.currentTime);
    regions();
  });
  document.querySelector("[data-set-end]").addEventListener("click", () => {
    end.value = clockTenths(editor.audio.currentTime);
    regions();
  });
  cutButton.addEventListener("click", () => {
    const selection = editor.selection;
    if (!selection) return;
    const line = `${clockTenths(selection.start)}-${clockTenths(selection.end)}`;
    cuts.value = cuts.value.trim() ? `${cuts.value.trim()}\n${line}` : line;
    editor.clearSelection();
    regions();
  });
  regions();
}
