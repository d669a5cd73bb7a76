"""The synthesizer: labels and SNRs in, impaired complex windows plus ground truth out."""
from dataclasses import dataclass, field, replace

import numpy as np

from .modulators import AUX, modulate
from .pulses import symbols_needed
from .streams import ExampleStreams


@dataclass
class Batch:
    """A batch of examples: complex windows and every parameter that made them."""

    x: np.ndarray  # complex64 (N, L)
    labels: np.ndarray  # int64 (N,)
    snr_db: np.ndarray  # float32 (N,)
    params: dict  # name -> per-example array: rolloff, phase, cfo, ...
    symbols: np.ndarray  # int16 (N, L // sps) in-window symbol indices, -1 for analog classes
    clean: np.ndarray = field(default=None, repr=False)  # complex64 (N, L) before noise, if kept

    def iq(self):
        """Model input layout: float32 (N, 2, L), I row then Q row."""
        return to_iq(self.x)


def to_iq(x):
    """Complex (N, L) to float32 (N, 2, L)."""
    return np.stack([x.real, x.imag], axis=1).astype(np.float32)


def synthesize(preset, labels, snr_db, seed, first=0, keep_clean=False):
    """Examples first .. first+N-1 of `seed` with the given class indices and SNRs (dB).

    SNR is the mean power of the clean window over the complex noise variance (per-sample
    Es/N0 at the sampling rate): the clean window is scaled to unit mean power.
    """
    labels, snr_db = _check_request(preset, labels, snr_db)
    n, length, margin = len(labels), preset.length, preset.margin
    n_ext = length + 2 * margin
    streams = ExampleStreams(seed, first, n)
    u = streams.uniform("symbols", (symbols_needed(n_ext, preset.sps),))
    rolloff = streams.uniform("rolloff", (), *preset.rolloff)
    aux = streams.uniform("audio", (AUX,))
    x = np.empty((n, n_ext), np.complex64)
    symbols = np.empty((n, n_ext // preset.sps), np.int16)
    rolloff_used = np.full(n, np.nan, np.float32)
    rrc = streams.uniform("pulse_family", ()) < preset.rrc_share
    for k in np.unique(labels):
        mod = preset.classes[k]
        for family in (False, True):
            rows = np.flatnonzero((labels == k) & (rrc == family))
            if len(rows):
                used = _receiver_pulse(mod) if family else mod
                x[rows], symbols[rows] = modulate(used, u[rows], rolloff[rows], aux[rows], n_ext, preset.sps)
                if used.kind != "analog" and used.pulse in ("rc", "rrc"):
                    rolloff_used[rows] = rolloff[rows]
    params = {"rolloff": rolloff_used}
    if preset.rrc_share > 0:
        params["rrc"] = rrc.astype(np.float32)
    for stage in preset.stages:
        params.update(stage.draw(streams, n_ext))
    for stage in (s for s in preset.stages if s.before_crop):
        x = stage.apply(x, params, margin)
    x = x[:, margin:margin + length]
    x = x / np.sqrt(np.mean(np.abs(x) ** 2, axis=1, keepdims=True))
    for stage in (s for s in preset.stages if not s.before_crop and not s.after_noise):
        x = stage.apply(x, params, 0)
    clean = x.astype(np.complex64) if keep_clean else None
    if preset.awgn:
        noise = streams.normal("noise", (2, length))
        sigma = np.sqrt(10.0 ** (-snr_db / 10.0) / 2.0).astype(np.float32)[:, None]
        x = x + sigma * (noise[:, 0] + 1j * noise[:, 1])
    for stage in (s for s in preset.stages if s.after_noise):
        x = stage.apply(x, params, 0)
    params = {k: v for k, v in params.items() if not k.endswith("_walk") and not k.endswith("_scatter")}
    params["snr_db"] = snr_db
    m0 = margin // preset.sps
    return Batch(x.astype(np.complex64), labels, snr_db, params,
                 symbols[:, m0:m0 + length // preset.sps], clean)


def _receiver_pulse(mod):
    """The class as an unmatched receiver sees a real transmitter's: a raised-cosine linear class
    with the root-raised-cosine pulse, an FSK with rectangular frequency pulses (CPFSK)."""
    if mod.pulse != "rc" or mod.kind == "analog":
        return mod
    return replace(mod, pulse="rect" if mod.kind == "fsk" else "rrc")


def _check_request(preset, labels, snr_db):
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= len(preset.classes):
        raise ValueError(f"labels must be class indices 0..{len(preset.classes) - 1} of preset {preset.name}")
    snr_db = np.broadcast_to(np.asarray(snr_db, np.float32), labels.shape).copy()
    if not np.all(np.isfinite(snr_db)):
        raise ValueError("snr_db must be finite")
    if preset.length % preset.sps or preset.margin % preset.sps:
        raise ValueError(f"length {preset.length} and margin must be multiples of sps {preset.sps}")
    return labels.astype(np.int64), snr_db
