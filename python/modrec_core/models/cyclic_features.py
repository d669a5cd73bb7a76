"""Classical cyclic features computed inside a model, in ops that export to ONNX (opset 17).

Complex arithmetic is written on (real, imag) pairs and the DFT is a one-frame `torch.stft`,
because the ONNX exporter has neither complex tensors nor `torch.fft`. Nothing here is learned;
the hybrid models feed these features to small networks (docs/models.md).
"""
import math
import warnings

import torch
from torch import nn

POWERS = (1, 2, 4, 8)  # the lines of x^k sit at k x the carrier offset for k-ary PSK/QAM
HIST_BINS = 32  # constellation histogram bins per axis over [-HIST_RANGE, HIST_RANGE]
HIST_RANGE = 2.0
AMP_BINS = 24  # amplitude histogram bins over [0, AMP_RANGE]
AMP_RANGE = 3.0
SPECTRUM_FRAME = 512  # DFT length of the spectra: longer windows average whole frames (Bartlett)


def cmul(a, b):
    """(re, im) x (re, im)."""
    return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]


def cpowers(z):
    """{k: z^k} for k in POWERS (each the square of the one before)."""
    out, p = {1: z}, z
    for k in POWERS[1:]:
        p = cmul(p, p)
        out[k] = p
    return out


def rms_normalize(x):
    """(B, 2, L) -> (re, im) scaled to unit mean power per window, so features do not see the gain."""
    scale = torch.rsqrt(torch.mean(x[:, 0] ** 2 + x[:, 1] ** 2, dim=1, keepdim=True) + 1e-12)
    return x[:, 0] * scale, x[:, 1] * scale


class CyclicFeatures(nn.Module):
    """Spectra of |z|^2 and z^k, a blind carrier-offset estimate from the z^4 line, the window
    derotated by it, its constellation histogram, amplitude histogram and moment features.

    Built for `length`, it reads any window of at least `frame` = min(length, SPECTRUM_FRAME)
    samples: the spectra keep `frame` bins and average the window's whole frames, so a longer
    window gives the same features, less noisy."""

    n_spectra = 1 + len(POWERS)
    n_scalars = AMP_BINS + 6 + n_spectra

    def __init__(self, length):
        super().__init__()
        self.frame = min(int(length), SPECTRUM_FRAME)
        self.register_buffer("window", torch.hann_window(self.frame, periodic=True), persistent=False)
        self.register_buffer("hist_centres", torch.linspace(-HIST_RANGE, HIST_RANGE, HIST_BINS), persistent=False)
        self.register_buffer("amp_centres", torch.linspace(0.0, AMP_RANGE, AMP_BINS), persistent=False)

    def forward(self, x):
        """(B, 2, L) -> spectra (B, 5, frame), derotated window (B, 2, L), histogram (B, 1, 32, 32), scalars (B, S)."""
        if x.shape[2] < self.frame:
            raise ValueError(f"the cyclic features need windows of >= {self.frame} samples, got {x.shape[2]}")
        z = rms_normalize(x)
        powers = cpowers(z)
        amp2 = z[0] ** 2 + z[1] ** 2
        spectra = [self._power_spectrum((amp2 - amp2.mean(dim=1, keepdim=True), torch.zeros_like(amp2)))]
        spectra += [self._power_spectrum(powers[k]) for k in POWERS]
        power = torch.stack(spectra, dim=1)
        power = power / (power.mean(dim=2, keepdim=True) + 1e-12)
        y = self._derotate(z, power[:, 1 + POWERS.index(4)])
        peaks = torch.log(power.amax(dim=2) + 1e-6)  # a window of constant |x|^2 has no |x|^2 spectrum
        scalars = torch.cat([self._amplitude_histogram(amp2), _moments(powers, amp2), peaks], dim=1)
        log_spectra = torch.roll(torch.log(power + 1e-3), self.frame // 2, dims=2) / 4.0
        return log_spectra, torch.stack(y, dim=1), self._constellation(y), scalars

    def _dft(self, signal):
        """Windowed DFTs of a real (B, L) signal's whole frames: (re, im), each (B, frame, frames)."""
        with warnings.catch_warnings():  # return_complex=False is deprecated, but it is what ONNX export takes
            warnings.simplefilter("ignore", UserWarning)
            spec = torch.stft(signal, self.frame, hop_length=self.frame, window=self.window, center=False,
                              onesided=False, return_complex=False)
        return spec[..., 0], spec[..., 1]

    def _power_spectrum(self, z):
        """|DFT(z)|^2 averaged over the frames: (B, frame)."""
        a, b = self._dft(z[0]), self._dft(z[1])
        return ((a[0] - b[1]) ** 2 + (a[1] + b[0]) ** 2).mean(dim=2)

    def _derotate(self, z, power4):
        """z with the carrier offset and phase read from the z^4 line removed (a 90-degree ambiguity
        stays, which every class here is symmetric under). Exact for BPSK/QPSK/PAM at >= 10 dB; in
        64 QAM symbols the z^4 continuum often outshines the line, and the learned branches see that.
        The offset and phase are estimates, held fixed under gradients (argmax and half-angle roots
        have none that help, and infinite ones at a zero line): a learned front end trains through
        the derotation, not through its estimate."""
        f = self._line_frequency(power4.detach()) / 4.0
        time = torch.cumsum(torch.ones_like(z[0][0]), 0) - 1.0  # 0..L-1 on z's device (arange traces it as a constant)
        angle = -2.0 * math.pi * f.unsqueeze(1) * time
        y = cmul(z, (torch.cos(angle), torch.sin(angle)))
        c4 = cpowers(y)[4]
        u = _fourth_root_unit((c4[0].mean(dim=1, keepdim=True).detach(), c4[1].mean(dim=1, keepdim=True).detach()))
        return cmul(y, (u[0], -u[1]))

    def _line_frequency(self, power):
        """Frequency (cycles/sample) of the strongest bin, refined by a parabola through log power."""
        n = self.frame
        k = torch.argmax(power, dim=1, keepdim=True)
        logp = torch.log(power + 1e-12)
        lm, l0, lp = (torch.gather(logp, 1, (k + d) % n).squeeze(1) for d in (-1, 0, 1))
        denom = lm - 2.0 * l0 + lp
        delta = torch.where(denom.abs() > 1e-6, 0.5 * (lm - lp) / (denom - 1e-12), torch.zeros_like(denom))
        f = (k.squeeze(1).to(power.dtype) + delta.clamp(-0.5, 0.5)) / n
        return torch.remainder(f + 0.5, 1.0) - 0.5

    def _constellation(self, y):
        """Bilinear 2-D histogram of the derotated samples, log-scaled: (B, 1, BINS, BINS)."""
        width = 2.0 * HIST_RANGE / (HIST_BINS - 1)
        hist = torch.bmm(_bin_weights(y[0], self.hist_centres, width).transpose(1, 2),
                         _bin_weights(y[1], self.hist_centres, width)) / y[0].shape[1]
        return torch.log1p(100.0 * hist).unsqueeze(1)

    def _amplitude_histogram(self, amp2):
        amp = torch.sqrt(amp2 + 1e-12)
        return _bin_weights(amp, self.amp_centres, AMP_RANGE / (AMP_BINS - 1)).mean(dim=1)


def _bin_weights(v, centres, width):
    """(B, L) values -> (B, L, bins) linear-interpolation weights onto bin centres `width` apart."""
    return torch.relu(1.0 - torch.abs(v.unsqueeze(2) - centres) / width)


def _moments(powers, amp2):
    """|E z^2|, |E z^4|, E|z|^4, E|z|^6 and C42 = E|z|^4 - |E z^2|^2 - 2 (unit power)."""
    m20 = torch.sqrt(powers[2][0].mean(dim=1) ** 2 + powers[2][1].mean(dim=1) ** 2 + 1e-12)
    m40 = torch.sqrt(powers[4][0].mean(dim=1) ** 2 + powers[4][1].mean(dim=1) ** 2 + 1e-12)
    m42 = (amp2 ** 2).mean(dim=1)
    m63 = (amp2 ** 3).mean(dim=1)
    c42 = m42 - m20 ** 2 - 2.0
    return torch.stack([m20, m40, m42, m63, c42, torch.log(m63 + 1e-6)], dim=1)


def _fourth_root_unit(c):
    """A fourth root of c / |c| by two half-angle steps (no atan2 in ONNX opset 17)."""
    norm = torch.sqrt(c[0] ** 2 + c[1] ** 2) + 1e-12
    u = (c[0] / norm, c[1] / norm)
    for _ in range(2):
        cos_half = torch.sqrt(torch.clamp(0.5 * (1.0 + u[0]), min=0.0))
        sin_half = torch.sqrt(torch.clamp(0.5 * (1.0 - u[0]), min=0.0)) * torch.where(u[1] < 0, -1.0, 1.0)
        u = (cos_half, sin_half)
    return u
