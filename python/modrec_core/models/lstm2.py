"""LSTM baseline of SigNet's Table I: LSTM(128), LSTM(64), Dense on raw I/Q, any length.

(SigNet's Table II lists about 0.2 M parameters for it, which two LSTM(128) would give; we build
the layers Table I names: 117,963 parameters at 11 classes.)
"""
from torch import nn

from . import papers
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register


@register(ModelSpec("lstm2", papers.CHEN_SIGNET, any_length=True, min_length=2))
class LSTM2(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.lstm1 = nn.LSTM(2, 128, batch_first=True)
        self.lstm2 = nn.LSTM(128, 64, batch_first=True)
        self.out = nn.Linear(64, num_classes)

    def forward(self, x):
        self.check_input(x)
        y, _ = run_rnn(self.lstm1, x.transpose(1, 2))
        _, (h, _) = run_rnn(self.lstm2, y)
        return self.out(h[-1])
