"""CNN of the CNN/CLDNN comparison (cnn-cldnn-liu.md) at the size SE-JNNet's Table 6 lists
(858,123 parameters at 2x128 / 11 classes): four Conv2D(2x8, 'same') with ReLU, 1x2 max-pooling
and dropout, then Dense(128) and Dense(C). Liu's text adds batch normalization after each
convolution; we leave it out so the count matches the published one (BN would add 1,024)."""
from torch import nn

from . import papers
from .layers import conv_same
from .registry import AMRModel, ModelSpec, register

WIDTHS = (256, 128, 64, 64)


def conv_stack(widths, batch_norm):
    """Conv2D (2x8, same) -> [BN] -> ReLU -> MaxPool(1x2) -> Dropout(0.5), per width."""
    layers, c_in = [], 1
    for width in widths:
        layers += [conv_same(c_in, width, (2, 8))]
        layers += [nn.BatchNorm2d(width)] if batch_norm else []
        layers += [nn.ReLU(), nn.MaxPool2d((1, 2)), nn.Dropout(0.5)]
        c_in = width
    return nn.Sequential(*layers)


@register(ModelSpec("cnn", papers.LIU_CNN_CLDNN, min_length=16, length_multiple=16))
class CNN(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.features = conv_stack(WIDTHS, batch_norm=False)
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(2 * (length // 16) * WIDTHS[-1], 128), nn.ReLU(),
                                   nn.Linear(128, num_classes))

    def forward(self, x):
        self.check_input(x)
        return self.dense(self.features(x.unsqueeze(1)))
