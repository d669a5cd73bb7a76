"""SigNet2.0 (Chen et al., Fig. 2): ResNet50's stages 1 and 2 run as 1-D convolutions on the raw
I/Q, shortening the sequence 4x; S2M then turns each of the 256 feature channels into a square
matrix, and stages 3-5 run in 2-D as in SigNet. Our reading of the figure: one trainable k x k
S2M filter per feature channel, and the 1-D stages use kernel 7 (stem) and 3 where the 2-D net
has 7x7 and 3x3. `width` narrows the backbone as in SigNet. Convolutions, S2M and global pooling
take any window length, so one built model runs on windows of any length >= 32."""
import torch
from torch import nn

from . import papers, resnet
from .registry import AMRModel, ModelSpec, register
from .signet import S2M


@register(ModelSpec("signet2", papers.CHEN_SIGNET, any_length=True, min_length=32))
class SigNet2(AMRModel):
    def __init__(self, num_classes, length, backbone="resnet50", k=3, width=64):
        super().__init__(num_classes, length)
        kind, counts = resnet.layout(backbone)
        self.stem = resnet.stem(2, dims=1, width=width)
        self.stage2, channels = resnet.stage(kind, width, width, counts[0], 1, dims=1)
        self.s2m = S2M(channels, k)
        self.body, channels = resnet.stages(backbone, channels, 1, dims=2, width=width)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        resnet.init_weights(self)

    def forward(self, x):
        self.check_input(x)
        y = self.s2m(self.stage2(self.stem(x)))
        return self.fc(torch.flatten(self.pool(self.body(y)), 1))
