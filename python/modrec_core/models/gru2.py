"""GRU2 (Hong et al., ICCC 2017; SE-JNNet Table 6 baseline): two GRU(128) on I/Q, 151,179
parameters at 11 classes (PyTorch's two GRU bias vectors, as Keras' reset_after GRU)."""
from torch import nn

from . import papers
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register


@register(ModelSpec("gru2", papers.WANG_SE_JNNET, any_length=True, min_length=2))
class GRU2(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.gru = nn.GRU(2, 128, num_layers=2, batch_first=True)
        self.out = nn.Linear(128, num_classes)

    def forward(self, x):
        self.check_input(x)
        _, h = run_rnn(self.gru, x.transpose(1, 2))
        return self.out(h[-1])
