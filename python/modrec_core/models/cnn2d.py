"""Narrow 2D-CNN of SigNet's Table I: Conv2D(256, 1x3, same), ReLU, Dropout(0.5), Conv2D(80, 2x3,
valid), ReLU, Dropout(0.5), Dense(256), ReLU, Dropout(0.5), Dense(C). 2.71 M parameters at
2x128 / 11 classes and 10.57 M at 2x512 / 12, as SigNet's Table II lists."""
from torch import nn

from . import papers
from .layers import conv_same
from .registry import AMRModel, ModelSpec, register


@register(ModelSpec("cnn2d", papers.CHEN_SIGNET, min_length=8))
class CNN2D(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.net = nn.Sequential(
            conv_same(1, 256, (1, 3)), nn.ReLU(), nn.Dropout(0.5),
            nn.Conv2d(256, 80, (2, 3)), nn.ReLU(), nn.Dropout(0.5), nn.Flatten(),
            nn.Linear(80 * (length - 2), 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, num_classes))

    def forward(self, x):
        self.check_input(x)
        return self.net(x.unsqueeze(1))
