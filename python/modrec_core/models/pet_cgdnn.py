"""PET-CGDNN (Zhang et al., IEEE Commun. Lett. 2021): phase estimation and transformation, then
a CNN + GRU. 71,871 parameters at 2x128 / 11 classes, 75,340 at 2x1024 / 24 classes."""
import torch
from torch import nn

from . import papers
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register


def rotate_iq(x, phi):
    """Rotate (B, 2, L) I/Q by -phi (B, 1): I' = I cos + Q sin, Q' = Q cos - I sin."""
    c, s = torch.cos(phi), torch.sin(phi)
    i, q = x[:, 0], x[:, 1]
    return torch.stack([i * c + q * s, q * c - i * s], dim=1)


@register(ModelSpec("pet_cgdnn", papers.ZHANG_PET_CGDNN, min_length=16))
class PETCGDNN(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.phase = nn.Linear(2 * length, 1)  # Dense(1) on the flattened window -> phi
        self.conv1 = nn.Conv2d(1, 75, (2, 8))
        self.conv2 = nn.Conv2d(75, 25, (1, 5))
        self.gru = nn.GRU(25, 128, batch_first=True)
        self.out = nn.Linear(128, num_classes)

    def forward(self, x):
        self.check_input(x)
        phi = self.phase(x.flatten(1))
        y = rotate_iq(x, phi).unsqueeze(1)  # (B, 1, 2, L)
        y = torch.relu(self.conv2(torch.relu(self.conv1(y))))  # (B, 25, 1, L - 11)
        _, h = run_rnn(self.gru, y.squeeze(2).transpose(1, 2))
        return self.out(h[-1])
