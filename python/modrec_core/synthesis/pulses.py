"""Pulse shapes (time in symbol periods) and a vectorized polyphase pulse shaper."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import erf

HALF_SPAN = 8  # symbols each side of a pulse's centre; taps beyond are dropped
LEAD = HALF_SPAN + 1  # symbols before the first in-window symbol (they feed only tails)


def raised_cosine(t, beta):
    """Raised-cosine pulse (Nyquist: 1 at t = 0, 0 at other integers) for roll-off beta."""
    t, beta = np.broadcast_arrays(np.asarray(t, float), np.asarray(beta, float))
    x = 2.0 * beta * t
    singular = np.isclose(np.abs(x), 1.0)
    denom = np.where(singular, 1.0, 1.0 - x * x)
    g = np.sinc(t) * np.cos(np.pi * beta * t) / denom
    edge = np.pi / 4 * np.sinc(1.0 / (2.0 * np.where(beta > 0, beta, 1.0)))
    return np.where(singular, edge, g)


def root_raised_cosine(t, beta):
    """Root-raised-cosine pulse for roll-off beta (the transmit filter of GNU Radio's gr-digital
    modulators; a receiver that does not matched-filter sees it): its square is raised cosine."""
    t, beta = np.broadcast_arrays(np.asarray(t, float), np.asarray(beta, float))
    b = np.maximum(beta, 1e-6)
    x = 4.0 * b * t
    at_zero = np.isclose(t, 0.0)
    singular = np.isclose(np.abs(x), 1.0)
    safe_t = np.where(at_zero | singular, 1.0, t)
    g = (np.sin(np.pi * safe_t * (1 - b)) + x * np.cos(np.pi * safe_t * (1 + b))) / (np.pi * safe_t * (1 - x * x))
    edge = b / np.sqrt(2) * ((1 + 2 / np.pi) * np.sin(np.pi / (4 * b)) + (1 - 2 / np.pi) * np.cos(np.pi / (4 * b)))
    return np.where(at_zero, 1 - b + 4 * b / np.pi, np.where(singular, edge, g))


def rectangular(t, _unused=None):
    """One-symbol rectangular pulse, centred on t = 0."""
    t = np.asarray(t, float)
    return ((t >= -0.5) & (t < 0.5)).astype(float)


def gaussian_rect(t, bt):
    """Rectangular pulse through a Gaussian filter of bandwidth-time product bt (GFSK/GMSK)."""
    t, bt = np.broadcast_arrays(np.asarray(t, float), np.asarray(bt, float))
    k = np.pi * bt * np.sqrt(2.0 / np.log(2.0))
    return 0.5 * (erf(k * (t + 0.5)) - erf(k * (t - 0.5)))


def shape(values, pulse, param, sps, n_samples, delay=0.0):
    """Pulse-shape real symbol values (N, K) into (N, n_samples) float32.

    Output sample n sits at time n / sps symbols; symbol k of `values` is centred at time
    k - LEAD + delay, so the first LEAD symbols only feed tails into the window (no filter
    start-up transient). Needs K >= symbols_needed(n_samples, sps).
    `param` is the pulse parameter per example (N,), e.g. the roll-off.
    """
    n, need = values.shape[0], symbols_needed(n_samples, sps)
    m, taps = -(-n_samples // sps), 2 * LEAD
    if values.shape[1] < need:
        raise ValueError(f"shape() needs {need} symbols per example, got {values.shape[1]}")
    phase = np.arange(sps)[:, None] / sps
    j = np.arange(taps)[None, :]
    t = phase + LEAD - j - delay  # (sps, taps): time of output phase p from symbol m + j
    g = pulse(t[None], np.asarray(param, float).reshape(n, 1, 1)).astype(np.float32)
    windows = sliding_window_view(values[:, :need].astype(np.float32), taps, axis=1)
    out = np.matmul(windows, g.transpose(0, 2, 1))  # (N, m, sps)
    return out.reshape(n, m * sps)[:, :n_samples]


def symbols_needed(n_samples, sps):
    """Symbols per example that shape() consumes for a window of n_samples."""
    return -(-n_samples // sps) + 2 * LEAD - 1
