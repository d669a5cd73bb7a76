"""SE-JNNet (Wang et al.): flow-based signal enhancement and phase correction (Part I), then a
joint CNN + GRU network with two-dimensional sparse weighting (2DSWM) (Part II).

The paper fixes Part II and the flow's structure but not the flow's widths; ours (documented in
docs/models.md) land on the paper's 277,716 parameters at 2x128 / 11 classes:
- the flow works on the I/Q sequence as 2 channels; each DownScale Flow Block squeezes 4
  consecutive samples into channels (2 -> 8 -> 32) and runs four Steps of Flow (ActNorm,
  invertible 1x1 convolution, affine coupling); the coupling's g() is a dense block of 1-D
  convolutions (kernel 3): three layers of growth 48 in block 1, two of growth 34 in block 2;
- the Phase Correction Block estimates the rotation angle and the I/Q offsets of the paper's
  equation (5) with one linear Dense layer and applies the inverse transform;
- 2DSWM = channel weighting (shared bias-free MLP, reduction 16) then spatial weighting (7x7
  convolution); `l1_penalty()` is the l1 norm of their weights, added to the loss in training.
"""
import torch
from torch import nn
from torch.nn import functional as F

from . import papers
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register

DENSE_BLOCKS = ((3, 48), (2, 34))  # (layers, growth) of g() in DownScale Flow Blocks 1 and 2
STEPS, SQUEEZE, SWM_REDUCTION = 4, 4, 16


def squeeze(x, factor=SQUEEZE):
    """(B, C, L) -> (B, C * factor, L / factor): consecutive samples become channels."""
    b, c, n = x.shape
    return x.reshape(b, c, n // factor, factor).permute(0, 1, 3, 2).reshape(b, c * factor, n // factor)


def unsqueeze(x, factor=SQUEEZE):
    b, c, n = x.shape
    return x.reshape(b, c // factor, factor, n).permute(0, 1, 3, 2).reshape(b, c // factor, n * factor)


class ActNorm(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1))
        self.logs = nn.Parameter(torch.zeros(1, channels, 1))

    def forward(self, x):
        return (x + self.bias) * torch.exp(self.logs)

    def inverse(self, y):
        return y * torch.exp(-self.logs) - self.bias


class InvConv1x1(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.linalg.qr(torch.randn(channels, channels))[0])

    def forward(self, x):
        return torch.einsum("ij,bjn->bin", self.weight, x)

    def inverse(self, y):
        return torch.einsum("ij,bjn->bin", torch.linalg.inv(self.weight), y)


class DenseBlock(nn.Module):
    """Dense block of 1-D convolutions; its last convolution (zero-initialised) gives log-scale and shift."""

    def __init__(self, c_in, c_out, layers, growth):
        super().__init__()
        self.layers = nn.ModuleList(nn.Conv1d(c_in + k * growth, growth, 3, padding=1) for k in range(layers))
        self.out = nn.Conv1d(c_in + layers * growth, c_out, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        for layer in self.layers:
            x = torch.cat([x, F.relu(layer(x))], dim=1)
        return self.out(x)


class AffineCoupling(nn.Module):
    def __init__(self, channels, layers, growth):
        super().__init__()
        self.g = DenseBlock(channels // 2, channels, layers, growth)

    def _scale_shift(self, xa):
        log_s, t = self.g(xa).chunk(2, dim=1)
        return torch.sigmoid(log_s + 2.0), t

    def forward(self, x):
        xa, xb = x.chunk(2, dim=1)
        s, t = self._scale_shift(xa)
        return torch.cat([xa, (xb + t) * s], dim=1)

    def inverse(self, y):
        ya, yb = y.chunk(2, dim=1)
        s, t = self._scale_shift(ya)
        return torch.cat([ya, yb / s - t], dim=1)


class FlowStep(nn.Sequential):
    def __init__(self, channels, layers, growth):
        super().__init__(ActNorm(channels), InvConv1x1(channels), AffineCoupling(channels, layers, growth))

    def inverse(self, y):
        for module in reversed(self):
            y = module.inverse(y)
        return y


class Flow(nn.Module):
    """Two DownScale Flow Blocks; forward and inverse keep the (B, 2, L) shape."""

    def __init__(self):
        super().__init__()
        blocks, channels = [], 2
        for layers, growth in DENSE_BLOCKS:
            channels *= SQUEEZE
            blocks.append(nn.ModuleList(FlowStep(channels, layers, growth) for _ in range(STEPS)))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        for steps in self.blocks:
            x = squeeze(x)
            for step in steps:
                x = step(x)
        for _ in self.blocks:
            x = unsqueeze(x)
        return x

    def inverse(self, y):
        for _ in self.blocks:
            y = squeeze(y)
        for steps in reversed(self.blocks):
            for step in reversed(steps):
                y = step.inverse(y)
            y = unsqueeze(y)
        return y


class PhaseCorrection(nn.Module):
    """Dense(2L -> 3): rotation sigma and offsets (e, f); applies the inverse of eq. (5)."""

    def __init__(self, length):
        super().__init__()
        self.dense = nn.Linear(2 * length, 3)
        nn.init.zeros_(self.dense.weight)
        nn.init.zeros_(self.dense.bias)

    def forward(self, x):
        sigma, e, f = self.dense(x.flatten(1)).unsqueeze(2).unbind(1)
        p, q = x[:, 0] - e, x[:, 1] - f
        c, s = torch.cos(sigma), torch.sin(sigma)
        return torch.stack([c * p + s * q, c * q - s * p], dim=1)


class SWM2D(nn.Module):
    """2DSWM: channel weighting (CDWSB) then spatial weighting (SDWSB), CBAM-style."""

    def __init__(self, channels):
        super().__init__()
        hidden = max(channels // SWM_REDUCTION, 1)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1, bias=False), nn.ReLU(),
                                 nn.Conv2d(hidden, channels, 1, bias=False))
        self.spatial = nn.Conv2d(2, 1, 7, padding=3)

    def forward(self, x):
        avg, mx = x.mean(dim=(2, 3), keepdim=True), x.amax(dim=(2, 3), keepdim=True)
        x = x * torch.sigmoid(self.mlp(avg) + self.mlp(mx))
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(pooled))


@register(ModelSpec("se_jnnet", papers.WANG_SE_JNNET, min_length=32, length_multiple=SQUEEZE ** len(DENSE_BLOCKS)))
class SEJNNet(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.flow = Flow()
        self.pcb = PhaseCorrection(length)
        self.conv1, self.swm1 = nn.Conv2d(1, 64, (6, 2)), SWM2D(64)
        self.conv2, self.swm2 = nn.Conv2d(64, 32, (3, 1)), SWM2D(32)
        self.gru1 = nn.GRU(32, 128, batch_first=True)
        self.gru2 = nn.GRU(128, 64, batch_first=True)
        self.out = nn.Linear(64, num_classes)

    def forward(self, x):
        self.check_input(x)
        y = self.pcb(self.flow(x)).transpose(1, 2).unsqueeze(1)  # (B, 1, L, 2): time rows, I/Q columns
        y = self.swm1(F.relu(self.conv1(y)))
        y = self.swm2(F.relu(self.conv2(y)))  # (B, 32, L - 7, 1)
        seq, _ = run_rnn(self.gru1, y.squeeze(3).transpose(1, 2))
        _, h = run_rnn(self.gru2, seq)
        return self.out(h[-1])

    def l1_penalty(self):
        """Sum of |w| over the 2DSWM weights (the paper's l1 term, times lambda in the loss)."""
        return sum(p.abs().sum() for m in (self.swm1, self.swm2) for p in m.parameters())
