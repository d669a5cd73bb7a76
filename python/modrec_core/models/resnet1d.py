"""1D-ResNet of SigNet's Table I (O'Shea et al.'s residual stacks): six stacks, each a linear
1x1 Conv1D, two residual units of two Conv1D(k=3), and max-pooling by 2; then Dense(128), SELU,
Dropout(0.3), Dense(C). 32 filters throughout. 89,611 parameters at 2x128 / 11 classes."""
from torch import nn
from torch.nn import functional as F

from . import papers
from .registry import AMRModel, ModelSpec, register

FILTERS, STACKS = 32, 6


class ResidualStack(nn.Module):
    def __init__(self, c_in, filters):
        super().__init__()
        self.project = nn.Conv1d(c_in, filters, 1)
        self.units = nn.ModuleList(nn.ModuleList([nn.Conv1d(filters, filters, 3, padding=1),
                                                  nn.Conv1d(filters, filters, 3, padding=1)]) for _ in range(2))

    def forward(self, x):
        x = self.project(x)
        for first, second in self.units:
            x = x + second(F.relu(first(x)))
        return F.max_pool1d(x, 2)


@register(ModelSpec("resnet1d", papers.CHEN_SIGNET, min_length=2 ** STACKS, length_multiple=2 ** STACKS))
class ResNet1D(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.stacks = nn.Sequential(*[ResidualStack(2 if k == 0 else FILTERS, FILTERS) for k in range(STACKS)])
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(FILTERS * (length >> STACKS), 128), nn.SELU(),
                                   nn.Dropout(0.3), nn.Linear(128, num_classes))

    def forward(self, x):
        self.check_input(x)
        return self.dense(self.stacks(x))
