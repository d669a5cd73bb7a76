"""Blind equalizer: a small CNN reads a window's statistics and returns a complex FIR filter that
undoes its multipath, so a classifier behind it sees a flat channel (docs/field.md).

It starts as the identity (its last layer is zero), and learns from synthesized windows whose
flat-channel twin the synthesizer knows (modrec_core.equalizer_training). A blind equalizer cannot
know the window's absolute gain, phase or delay, and the classifiers do not need them, so its loss
ignores all three.
"""
import torch
from torch import nn

from .cyclic_features import rms_normalize

TAPS = 65  # FIR length in samples: eight symbols at 8 samples per symbol, centred (docs/field.md: why not 33)


def conv_block(c_in, c_out, kernel, stride):
    return nn.Sequential(nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
                         nn.BatchNorm1d(c_out), nn.ReLU())


def window_statistics(iq):
    """Unit-power windows (B, 2, L) and their per-sample I, Q, x^2, |x|^2 - 1 and Re x^4 (B, 6, L):
    the second- and fourth-order terms a channel estimate is built from."""
    i, q = rms_normalize(iq)
    re2, im2 = i * i - q * q, 2 * i * q
    stats = torch.stack([i, q, re2, im2, i * i + q * q - 1, re2 * re2 - im2 * im2], 1)
    return torch.stack([i, q], 1), stats


def fir(iq, taps):
    """Each window (B, 2, L) through its own complex FIR filter (B, 2, T), centred ('same' length).
    A loop over taps of slices: plain ops that ONNX export keeps."""
    t, length = taps.shape[2], iq.shape[2]
    padded = nn.functional.pad(iq, (t // 2, t // 2))
    out_i = torch.zeros_like(iq[:, 0])
    out_q = torch.zeros_like(iq[:, 0])
    for k in range(t):
        seg = padded[:, :, t - 1 - k:t - 1 - k + length]
        gr, gi = taps[:, 0, k:k + 1], taps[:, 1, k:k + 1]
        out_i = out_i + gr * seg[:, 0] - gi * seg[:, 1]
        out_q = out_q + gr * seg[:, 1] + gi * seg[:, 0]
    return torch.stack([out_i, out_q], 1)


def identity_filter(taps):
    """The (2, taps) complex FIR filter that passes a window unchanged: 1 at its centre tap."""
    identity = torch.zeros(2, taps)
    identity[0, taps // 2] = 1.0
    return identity


def widened(state, taps):
    """An equalizer's state dict with its filter widened to `taps` by zero taps at each end: the
    same filters, so a trained shorter equalizer starts a longer one where it left off."""
    weight, bias = state["head.2.weight"], state["head.2.bias"]
    old = bias.numel() // 2
    if taps < old or (taps - old) % 2:
        raise ValueError(f"cannot widen a {old}-tap equalizer to {taps} taps")
    pad = (taps - old) // 2
    return {**state, "identity": identity_filter(taps),
            "head.2.weight": nn.functional.pad(weight.view(2, old, -1), (0, 0, pad, pad)).reshape(2 * taps, -1),
            "head.2.bias": nn.functional.pad(bias.view(2, old), (pad, pad)).reshape(2 * taps)}


class BlindEqualizer(nn.Module):
    """(B, 2, L) I/Q in, the same windows equalized and scaled to unit power out."""

    def __init__(self, taps=TAPS):
        super().__init__()
        if taps < 1 or taps % 2 == 0:
            raise ValueError(f"the equalizer needs an odd number of taps, got {taps}")
        self.taps = taps
        self.body = nn.Sequential(conv_block(6, 48, 9, 1), conv_block(48, 64, 9, 2), conv_block(64, 96, 9, 2),
                                  conv_block(96, 128, 5, 2), conv_block(128, 128, 5, 1))
        self.head = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2 * taps))
        nn.init.zeros_(self.head[2].weight)
        nn.init.zeros_(self.head[2].bias)
        self.register_buffer("identity", identity_filter(taps))

    def filters(self, iq):
        """Each window's FIR filter (B, 2, T), and the windows at unit power."""
        unit, stats = window_statistics(iq)
        h = self.body(stats)
        g = self.head(torch.cat([h.mean(2), h.amax(2)], 1)).view(-1, 2, self.taps)
        return g + self.identity, unit

    def forward(self, iq):
        taps, unit = self.filters(iq)
        return torch.stack(rms_normalize(fir(unit, taps)), 1)
