"""Rajendran et al.'s averaged magnitude-FFT model: the LSTM fed with the magnitude spectrum.

The window's FFT magnitude (fftshifted, averaged over sub-windows of 64 samples so every length
gives 64 bins, L2-normalized) is read as a 64-step sequence of one feature by two LSTM(128).
"""
import torch
from torch import nn

from . import papers
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register

BINS = 64


def averaged_magnitude_spectrum(x):
    """(B, 2, L) -> (B, 64, 1): |FFT| of consecutive 64-sample slices, averaged, L2-normalized."""
    b, _, n = x.shape
    slices = x[:, :, : (n // BINS) * BINS].reshape(b, 2, n // BINS, BINS)
    k = x.new_ones(BINS).cumsum(0) - 1  # 0..63 on x's device, not traced as a CPU constant
    angle = 2 * torch.pi * torch.outer(k, k) / BINS  # DFT as a matmul: exports to any ONNX runtime
    cos, sin = torch.cos(angle), torch.sin(angle)
    i, q = slices[:, 0], slices[:, 1]
    re = i @ cos + q @ sin
    im = q @ cos - i @ sin
    mag = torch.sqrt(re * re + im * im + 1e-12).mean(dim=1)
    mag = torch.roll(mag, BINS // 2, dims=1)
    mag = mag / torch.sqrt(torch.sum(mag * mag, dim=1, keepdim=True) + 1e-12)
    return mag.unsqueeze(2)


@register(ModelSpec("lstm_fft", papers.RAJENDRAN_LSTM, normalization="none", any_length=True, min_length=BINS))
class LSTMFFT(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.lstm = nn.LSTM(1, 128, num_layers=2, batch_first=True)
        self.out = nn.Linear(128, num_classes)

    def forward(self, x):
        self.check_input(x)
        if x.shape[2] < BINS:
            raise ValueError(f"lstm_fft needs windows of at least {BINS} samples, got {x.shape[2]}")
        _, (h, _) = run_rnn(self.lstm, averaged_magnitude_spectrum(x))
        return self.out(h[-1])
