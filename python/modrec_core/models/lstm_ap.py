"""Amplitude/phase LSTM (Rajendran et al., IEEE TCCN 2018): two LSTM(128), any window length.

Parameters: 201,099 at 11 classes. The paper's 200,075 counts one bias vector per LSTM layer
(Keras); PyTorch's nn.LSTM keeps two (input and recurrent), adding 4 x 128 per layer = 1,024.
The amplitude is divided by its RMS, i.e. the paper's L2 normalization times sqrt(L): the same
shape, but a scale that does not change with the window length, which matters because the
model is trained on one length and used on others.
"""
import torch
from torch import nn

from . import papers
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register


def amplitude_phase(x):
    """(B, 2, L) I/Q -> (B, L, 2): amplitude over its RMS per window, phase in radians / pi."""
    amp = torch.sqrt(x[:, 0] ** 2 + x[:, 1] ** 2)
    amp = amp / torch.sqrt(torch.mean(amp * amp, dim=1, keepdim=True) + 1e-12)
    phase = torch.atan2(x[:, 1], x[:, 0]) / torch.pi
    return torch.stack([amp, phase], dim=2)


@register(ModelSpec("lstm_ap", papers.RAJENDRAN_LSTM, normalization="none", any_length=True, min_length=2))
class LSTMAmpPhase(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.lstm = nn.LSTM(2, 128, num_layers=2, batch_first=True)
        self.out = nn.Linear(128, num_classes)

    def forward(self, x):
        self.check_input(x)
        _, (h, _) = run_rnn(self.lstm, amplitude_phase(x))
        return self.out(h[-1])
