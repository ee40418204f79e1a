// A waveform player: an <audio> element drawn as its peaks on a canvas. Click or use the
// arrow keys to seek; in editor mode, drag to select a range. Regions (trimmed parts, cuts,
// the selection) are drawn over the waveform.

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? `${h}:` : "") + `${mm}:${String(r).padStart(2, "0")}`;
}

// Times people can type back: 1:02:03.5 -> 3723.5 s; tenths kept.
export function clockTenths(seconds) {
  const tenths = Math.round(seconds * 10) % 10;
  return `${clock(seconds)}.${tenths}`;
}

const COLORS = { played: "#6d4aff", rest: "#cfc8ee", trim: "rgba(23, 20, 43, .55)", cut: "rgba(229, 53, 91, .35)", selection: "rgba(109, 74, 255, .22)" };

export function setupPlayer(root, { editor = false, onSelect = () => {} } = {}) {
  const audio = root.querySelector("[data-audio]");
  const canvas = root.querySelector("[data-canvas]");
  const wave = root.querySelector("[data-wave]");
  const playButton = root.querySelector("[data-play]");
  const nowLabel = root.querySelector("[data-now]");
  const peaks = JSON.parse(document.getElementById(root.dataset.peaksId).textContent);
  const duration = Number(root.dataset.duration) / 1000;
  let regions = [];
  let selection = null;
  let drag = null;
  let frame = 0;

  function draw() {
    const width = wave.clientWidth, height = wave.clientHeight, ratio = window.devicePixelRatio || 1;
    if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
      canvas.width = width * ratio;
      canvas.height = height * ratio;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const bar = 3, step = bar + 1, bars = Math.max(1, Math.floor(width / step));
    const played = duration ? audio.currentTime / duration : 0;
    for (let i = 0; i < bars; i++) {
      const from = Math.floor((i / bars) * peaks.length), to = Math.max(from + 1, Math.floor(((i + 1) / bars) * peaks.length));
      let peak = 0;
      for (let j = from; j < to && j < peaks.length; j++) peak = Math.max(peak, peaks[j]);
      const h = Math.max(2, peak * (height - 4));
      ctx.fillStyle = i / bars < played ? COLORS.played : COLORS.rest;
      ctx.fillRect(i * step, (height - h) / 2, bar, h);
    }
    const shade = (start, end, color) => {
      const x0 = (start / duration) * width, x1 = (end / duration) * width;
      ctx.fillStyle = color;
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), height);
    };
    for (const r of regions) shade(r.start, r.end, COLORS[r.kind]);
    if (selection) shade(selection.start, selection.end, COLORS.selection);
    ctx.fillStyle = COLORS.played;
    ctx.fillRect(Math.min(width - 2, played * width), 0, 2, height);
    nowLabel.textContent = clock(audio.currentTime);
    wave.setAttribute("aria-valuenow", String(Math.round(audio.currentTime * 1000)));
    wave.setAttribute("aria-valuetext", clock(audio.currentTime));
  }

  function tick() {
    draw();
    frame = audio.paused ? 0 : requestAnimationFrame(tick);
  }

  const timeAt = (event) => {
    const box = wave.getBoundingClientRect();
    return Math.min(duration, Math.max(0, ((event.clientX - box.left) / box.width) * duration));
  };
  const seek = (seconds) => {
    audio.currentTime = Math.min(duration, Math.max(0, seconds));
    draw();
  };

  playButton.addEventListener("click", () => (audio.paused ? audio.play() : audio.pause()));
  audio.addEventListener("play", () => {
    playButton.querySelector("[data-icon-play]").hidden = true;
    playButton.querySelector("[data-icon-pause]").hidden = false;
    playButton.setAttribute("aria-label", "Pause");
    if (!frame) frame = requestAnimationFrame(tick);
  });
  audio.addEventListener("pause", () => {
    playButton.querySelector("[data-icon-play]").hidden = false;
    playButton.querySelector("[data-icon-pause]").hidden = true;
    playButton.setAttribute("aria-label", "Play");
  });
  audio.addEventListener("timeupdate", draw);
  audio.addEventListener("ended", draw);

  wave.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, start: timeAt(event) };
    wave.setPointerCapture(event.pointerId);
  });
  wave.addEventListener("pointermove", (event) => {
    if (!drag || !editor || Math.abs(event.clientX - drag.x) < 4) return;
    const t = timeAt(event);
    selection = { start: Math.min(drag.start, t), end: Math.max(drag.start, t) };
    draw();
  });
  wave.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const moved = Math.abs(event.clientX - drag.x) >= 4;
    if (moved && editor) {
      onSelect(selection);
    } else {
      if (editor && selection) {
        selection = null;
        onSelect(null);
      }
      seek(timeAt(event));
    }
    drag = null;
  });
  wave.addEventListener("keydown", (event) => {
    const jump = { ArrowLeft: -5, ArrowRight: 5, Home: -Infinity, End: Infinity }[event.key];
    if (jump !== undefined) {
      event.preventDefault();
      seek(audio.currentTime + jump);
    } else if (event.key === " ") {
      event.preventDefault();
      playButton.click();
    }
  });
  new ResizeObserver(draw).observe(wave);
  draw();

  return {
    audio,
    duration,
    seek,
    setRegions(list) { regions = list; draw(); },
    get selection() { return selection; },
    clearSelection() { selection = null; draw(); onSelect(null); },
  };
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
