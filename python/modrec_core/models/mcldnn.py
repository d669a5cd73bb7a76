"""MCLDNN (Xu et al., IEEE WCL 2020; SigNet Table I baseline): multi-channel convolutions on I/Q
and on I and Q separately, then two LSTM(128) and two Dense(128, SELU). 406,199 parameters at
2x128 / 11 classes with PyTorch's two LSTM bias vectors (405,175 with Keras' one)."""
import torch
from torch import nn
from torch.nn import functional as F

from . import papers
from .layers import conv_same, run_rnn
from .registry import AMRModel, ModelSpec, register


@register(ModelSpec("mcldnn", papers.CHEN_SIGNET, any_length=True, min_length=16))
class MCLDNN(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.conv_iq = conv_same(1, 50, (2, 8))
        self.conv_i = nn.Conv1d(1, 50, 8)
        self.conv_q = nn.Conv1d(1, 50, 8)
        self.conv_pair = conv_same(50, 50, (1, 8))
        self.conv_fuse = nn.Conv2d(100, 100, (2, 5))
        self.lstm = nn.LSTM(100, 128, num_layers=2, batch_first=True)
        self.dense = nn.Sequential(nn.Linear(128, 128), nn.SELU(), nn.Dropout(0.5),
                                   nn.Linear(128, 128), nn.SELU(), nn.Dropout(0.5), nn.Linear(128, num_classes))

    def forward(self, x):
        self.check_input(x)
        iq = F.relu(self.conv_iq(x.unsqueeze(1)))  # (B, 50, 2, L)
        causal = (7, 0)  # Keras 'causal' padding: the past only
        i = F.relu(self.conv_i(F.pad(x[:, :1], causal)))
        q = F.relu(self.conv_q(F.pad(x[:, 1:], causal)))
        pair = F.relu(self.conv_pair(torch.stack([i, q], dim=2)))  # (B, 50, 2, L)
        y = F.relu(self.conv_fuse(torch.cat([iq, pair], dim=1)))  # (B, 100, 1, L - 4)
        _, (h, _) = run_rnn(self.lstm, y.squeeze(2).transpose(1, 2))
        return self.dense(h[-1])
