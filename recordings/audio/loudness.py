"""Integrated loudness (ITU-R BS.1770-4 / EBU R128, gated) of 48 kHz mono audio, measured
block by block so a one-hour recording never has to be in memory at once."""

import math

import numpy as np

# K-weighting at 48 kHz: a high shelf (head) then a high-pass (RLB), from BS.1770-4.
K_WEIGHTING = np.array(
    [
        [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585],
        [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
    ]
)
STEP = 4800  # 100 ms: gating blocks are 400 ms with 75 % overlap, i.e. 4 steps
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0


class LoudnessMeter:
    def __init__(self):
        # scipy.signal takes seconds to import: only the processes that render pay for it,
        # never a web process that merely queues a render when a space ends.
        from scipy.signal import sosfilt, sosfilt_zi

        self.sosfilt = sosfilt
        self.zi = sosfilt_zi(K_WEIGHTING) * 0.0
        self.step_energy: list[np.ndarray] = []
        self.carry = np.zeros(0)

    def add(self, samples: np.ndarray) -> None:
        """Samples at full scale 1.0 (float)."""
        weighted, self.zi = self.sosfilt(K_WEIGHTING, samples, zi=self.zi)
        squared = np.concatenate([self.carry, weighted * weighted]) if len(self.carry) else weighted * weighted
        whole = len(squared) // STEP * STEP
        if whole:
            self.step_energy.append(squared[:whole].reshape(-1, STEP).sum(axis=1))
        self.carry = squared[whole:]

    def integrated(self) -> float:
        """LUFS; -inf for silence or less than 400 ms of audio."""
        steps = np.concatenate(self.step_energy) if self.step_energy else np.zeros(0)
        if len(steps) < 4:
            return -math.inf
        blocks = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * STEP)
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10 * np.log10(blocks)
        gated = blocks[loudness > ABSOLUTE_GATE]
        if not len(gated):
            return -math.inf
        relative = -0.691 + 10 * math.log10(gated.mean()) + RELATIVE_GATE
        gated = blocks[(loudness > ABSOLUTE_GATE) & (loudness > relative)]
        return -0.691 + 10 * math.log10(gated.mean())


def gain_to(target_lufs: float, measured_lufs: float, max_gain_db: float = 24.0) -> float:
    """Linear gain that brings `measured` to `target` (none for silence, capped for near-silence)."""
    if not math.isfinite(measured_lufs):
        return 1.0
    return 10 ** (min(target_lufs - measured_lufs, max_gain_db) / 20)


def soft_limit(samples: np.ndarray, ceiling: float = 10 ** (-1 / 20), knee: float = 0.8) -> np.ndarray:
    """Peaks above `knee` bend smoothly towards `ceiling` (-1 dBFS) and never pass it; in place."""
    over = np.abs(samples) > knee
    if over.any():
        x = samples[over]
        room = ceiling - knee
        samples[over] = np.sign(x) * (knee + room * np.tanh((np.abs(x) - knee) / room))
    return samples
