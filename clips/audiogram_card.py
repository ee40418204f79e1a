"""What an audiogram shows, drawn once and then laid frame by frame: the clip's title, the names
of the speakers heard, its waveform (bars that fill with colour as playback advances) and the
caption of the moment.

Everything that does not move is drawn once with Pillow (its built-in FreeType font, so no font
file is needed) and converted once to the encoder's YUV 4:2:0 planes; a frame is then the still
card with the played part of the bright waveform and the current caption copied in, slices of
arrays with no per-frame colour conversion or text drawing."""

import textwrap
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = 720
MARGIN = 48
BACKGROUND = (23, 20, 43)  # the site's --ink
TEXT = (255, 255, 255)
MUTED = (185, 181, 208)
PLAYED = (165, 139, 255)  # a lighter --brand, readable on the dark card
UNPLAYED = (66, 60, 100)
BARS = 52
BAR_PITCH = (SIZE - 2 * MARGIN) // BARS
BAR_WIDTH = BAR_PITCH - 4
# The waveform's rows and the caption's, even so that the 4:2:0 chroma rows line up.
WAVE_TOP, WAVE_BOTTOM = 270, 450
CAPTION_TOP, CAPTION_BOTTOM = 540, 700


@dataclass
class Card:
    title: str
    names: list[str]
    # (start s, end s, text) on the clip's own timeline (0 = its first sample).
    cues: list[tuple[float, float, str]] = field(default_factory=list)


def font(size: int):
    return ImageFont.load_default(size=size)


def lines(text: str, width: int, most: int) -> list[str]:
    wrapped = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(wrapped) > most:
        wrapped = wrapped[:most]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return wrapped


def to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.709, limited range (what the encoder's stream is tagged with): Y at full size, U and V
    averaged over 2×2 blocks."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 16 + (46.559 * r + 156.629 * g + 15.812 * b) / 255
    u = 128 + (-25.664 * r - 86.336 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 101.730 * g - 10.270 * b) / 255

    def half(plane):
        return plane.reshape(plane.shape[0] // 2, 2, plane.shape[1] // 2, 2).mean(axis=(1, 3))

    return tuple(np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, half(u), half(v)))  # type: ignore[return-value]


def bar_levels(samples: np.ndarray) -> np.ndarray:
    """Each bar's loudness (0..1, the loudest bar 1): the RMS of its share of the clip."""
    if not len(samples):
        return np.zeros(BARS)
    parts = np.array_split(samples.astype(np.float32), BARS)
    rms = np.array([np.sqrt(np.mean(p**2)) if len(p) else 0.0 for p in parts])
    top = rms.max()
    return rms / top if top > 0 else rms


class Painter:
    """Frames of one card: `frame(t)` gives the 4:2:0 planes stacked as the encoder takes them."""

    def __init__(self, card: Card, samples: np.ndarray, duration_s: float):
        self.card, self.duration = card, max(duration_s, 1e-3)
        still = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
        draw = ImageDraw.Draw(still)
        draw.text((MARGIN, MARGIN), "Roundtable clip", font=font(24), fill=MUTED)
        for i, line in enumerate(lines(card.title, 28, 3)):
            draw.text((MARGIN, MARGIN + 44 + i * 50), line, font=font(42), fill=TEXT)
        if card.names:
            names = lines("with " + ", ".join(card.names), 44, 1)[0]
            draw.text((MARGIN, WAVE_BOTTOM + 30), names, font=font(28), fill=MUTED)
        bright = still.copy()
        levels = bar_levels(samples)
        middle, reach = (WAVE_TOP + WAVE_BOTTOM) // 2, (WAVE_BOTTOM - WAVE_TOP) // 2
        for image, colour in ((still, UNPLAYED), (bright, PLAYED)):
            bars = ImageDraw.Draw(image)
            for i, level in enumerate(levels):
                x, half = MARGIN + i * BAR_PITCH, max(3, int(level * reach))
                bars.rounded_rectangle((x, middle - half, x + BAR_WIDTH - 1, middle + half), radius=3, fill=colour)
        self.still = to_yuv(np.asarray(still))
        self.bright = to_yuv(np.asarray(bright))
        self.captions = [(start, end, self.caption(text)) for start, end, text in card.cues]
        # The encoder's yuv420p layout: Y rows, then U and V each as a quarter of the rows.
        self.out = np.empty((SIZE * 3 // 2, SIZE), dtype=np.uint8)
        q = SIZE // 4
        self.planes = (
            self.out[:SIZE],
            self.out[SIZE : SIZE + q].reshape(SIZE // 2, SIZE // 2),
            self.out[SIZE + q :].reshape(SIZE // 2, SIZE // 2),
        )
        for plane, still in zip(self.planes, self.still, strict=True):
            plane[:] = still

    def caption(self, text: str):
        strip = Image.new("RGB", (SIZE, CAPTION_BOTTOM - CAPTION_TOP), BACKGROUND)
        draw = ImageDraw.Draw(strip)
        for i, line in enumerate(lines(text, 36, 3)):
            draw.text((MARGIN, i * 44), line, font=font(34), fill=TEXT)
        return to_yuv(np.asarray(strip))

    def frame(self, t: float) -> np.ndarray:
        """The card at `t` seconds: the waveform bright up to the playhead, the cue of `t`.
        Only those two bands change; the rest of the buffer keeps the still card."""
        x = MARGIN + round(min(max(t / self.duration, 0.0), 1.0) * (SIZE - 2 * MARGIN) / 2) * 2
        caption = next((planes for start, end, planes in self.captions if start <= t < end), None)
        for plane, still, bright, cap, scale in zip(
            self.planes, self.still, self.bright, caption or (None, None, None), (1, 2, 2), strict=True
        ):
            top, bottom, edge = WAVE_TOP // scale, WAVE_BOTTOM // scale, x // scale
            plane[top:bottom, :edge] = bright[top:bottom, :edge]
            plane[top:bottom, edge:] = still[top:bottom, edge:]
            top, bottom = CAPTION_TOP // scale, CAPTION_BOTTOM // scale
            plane[top:bottom] = still[top:bottom] if cap is None else cap
        return self.out
