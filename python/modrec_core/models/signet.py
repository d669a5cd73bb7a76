"""SigNet (Chen et al.): the sliding square operator S2M turns each I/Q channel into an image,
a 2-channel ResNet (ResNet50 by default, as in the paper) classifies it.

S2M, per channel: S is the (L-k+1) x k matrix of sliding windows, F a trainable k x k filter,
M = S F S^T. ResNet50 with a 2-channel stem and 12 outputs has 23,529,484 parameters; S2M adds 2 k^2.
`width` narrows the backbone (the paper's is 64) where compute or bundle size demand it.
"""
import torch
from torch import nn

from . import papers, resnet
from .registry import AMRModel, ModelSpec, register


class S2M(nn.Module):
    """Sliding square operator for C channels: (B, C, L) -> (B, C, L-k+1, L-k+1)."""

    def __init__(self, channels, k):
        super().__init__()
        self.k = k
        self.filters = nn.Parameter(torch.eye(k).repeat(channels, 1, 1) + 0.01 * torch.randn(channels, k, k))

    def forward(self, x):
        n = x.shape[2] - self.k + 1
        s = torch.stack([x[:, :, j:j + n] for j in range(self.k)], dim=3)  # (B, C, L-k+1, k); exports with any L
        return s @ self.filters @ s.transpose(2, 3)


@register(ModelSpec("signet", papers.CHEN_SIGNET, min_length=16))
class SigNet(AMRModel):
    def __init__(self, num_classes, length, backbone="resnet50", k=3, width=64):
        super().__init__(num_classes, length)
        self.s2m = S2M(2, k)
        self.stem = resnet.stem(2, dims=2, width=width)
        self.body, channels = resnet.stages(backbone, width, 0, dims=2, width=width)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        resnet.init_weights(self)

    def forward(self, x):
        self.check_input(x)
        y = self.body(self.stem(self.s2m(x)))
        return self.fc(torch.flatten(self.pool(y), 1))
