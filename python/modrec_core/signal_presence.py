"""Is there a signal in a window at all? Two blind tests on the window itself, so they work
whatever the receiver's gain and after any per-window normalization:

- spectral excess: the mean of the window's Welch spectrum over its median bin, minus one, is
  the in-window SNR of a signal narrower than half the band (noise alone: about 0);
- modulus: 2 - E|x|^4 / (E|x|^2)^2 is 0 for Gaussian noise and up to 1 for a constant-envelope
  signal, which catches wide FSK that fills more than half the band.

A window passing neither is noise. Windows of the `maxmin` normalization have each channel's
mean removed first, so that its per-channel shift is not taken for a signal (there, a bare
carrier at 0 Hz is lost with it: AM with carrier keeps only its sidebands). Both thresholds
scale as 1/sqrt(length), set so that white or receiver-filtered Gaussian noise passes either in
well under 0.1 % of windows (tests/test_confidence.py). A Gaussian-like signal that fills the
whole band is indistinguishable from noise by design.
"""
import numpy as np
from scipy import signal

SEGMENT = 32  # Welch segment (samples): 16 bins of resolution over the band of a 512-sample window
EXCESS_AT_512 = 0.25  # spectral excess (linear) above which a 512-sample window holds a signal
MODULUS_AT_512 = 0.35


def spectral_excess(iq):
    """(N,) mean over median of each (N, 2, L) window's Welch spectrum, minus one."""
    x = iq[:, 0].astype(np.float64) + 1j * iq[:, 1]
    _, psd = signal.welch(x, nperseg=min(SEGMENT, x.shape[-1]), return_onesided=False, detrend=False, axis=-1)
    return psd.mean(axis=-1) / np.maximum(np.median(psd, axis=-1), 1e-30) - 1.0


def modulus_deviation(iq):
    """(N,) 2 - E|x|^4 / (E|x|^2)^2 of each window: 0 for Gaussian noise, 1 for a constant envelope."""
    power = np.sum(np.asarray(iq, np.float64) ** 2, axis=1)
    return 2.0 - np.mean(power ** 2, axis=-1) / np.maximum(np.mean(power, axis=-1) ** 2, 1e-30)


def is_noise(iq, normalization="none"):
    """(N,) True for windows (N, 2, L), normalized as `normalization` says, in which neither test
    finds a signal."""
    iq = np.asarray(iq, np.float64)
    if normalization == "maxmin":
        iq = iq - iq.mean(axis=-1, keepdims=True)
    scale = np.sqrt(512.0 / iq.shape[-1])
    return (spectral_excess(iq) < EXCESS_AT_512 * scale) & (modulus_deviation(iq) < MODULUS_AT_512 * scale)
