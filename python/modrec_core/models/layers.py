"""Small layers shared by several models."""
from torch import nn
from torch.nn import functional as F


class PadSame2d(nn.Module):
    """Zero padding that makes a following stride-1 conv keep its input size, the way Keras' 'same'
    does for even kernels too (the extra sample goes after)."""

    def __init__(self, kernel):
        super().__init__()
        (kh, kw) = kernel
        self.pad = ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2)

    def forward(self, x):
        return F.pad(x, self.pad)


def conv_same(c_in, c_out, kernel):
    """A Conv2d with Keras-style 'same' padding, as one module."""
    return nn.Sequential(PadSame2d(kernel), nn.Conv2d(c_in, c_out, kernel))


def run_rnn(rnn, seq):
    """`rnn(seq)` for a batch-first LSTM or GRU, with zero initial states made from `seq`: nn.LSTM/GRU's
    own default states are traced as CPU constants, so a TorchScript bundle would then run on the CPU only."""
    h0 = seq.new_zeros((rnn.num_layers, seq.shape[0], rnn.hidden_size))
    return rnn(seq, (h0, h0) if isinstance(rnn, nn.LSTM) else h0)
