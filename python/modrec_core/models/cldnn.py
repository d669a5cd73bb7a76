"""CLDNN of the CNN/CLDNN comparison (cnn-cldnn-liu.md): the CNN's convolutions, each with
batch normalization as Liu describes, then an LSTM(128) over time and Dense(128), Dense(C).
Any window length that is a multiple of 16 (four 1x2 poolings)."""
import torch
from torch import nn

from . import papers
from .cnn import WIDTHS, conv_stack
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register


@register(ModelSpec("cldnn", papers.LIU_CNN_CLDNN, any_length=True, min_length=16, length_multiple=16))
class CLDNN(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.features = conv_stack(WIDTHS, batch_norm=True)
        self.lstm = nn.LSTM(2 * WIDTHS[-1], 128, batch_first=True)
        self.dense = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, num_classes))

    def forward(self, x):
        self.check_input(x)
        y = self.features(x.unsqueeze(1))  # (B, 64, 2, L / 16)
        _, (h, _) = run_rnn(self.lstm, torch.flatten(y, 1, 2).transpose(1, 2))
        return self.dense(h[-1])
