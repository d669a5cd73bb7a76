"""Cyclic hybrid: fixed cyclic features (cyclic_features.py) read by three small learned branches.

- spectra of |x|^2 and x^k (k = 1, 2, 4, 8) -> 1-D CNN with global max/mean pooling (CFO moves
  the lines; pooling makes that harmless);
- the window derotated by the carrier offset read from its x^4 line -> 1-D CNN on I/Q, and its
  constellation histogram -> 2-D CNN (what magnitude spectra lose: where the points lie);
- amplitude histogram, moments and line heights -> straight into the fusion MLP.
Nothing depends on symbol-aligned windows. Sized to run well over twice the LSTM's rate on a CPU.
"""
import torch
from torch import nn

from . import papers
from .cyclic_features import CyclicFeatures
from .registry import AMRModel, ModelSpec, register


def conv1d_block(c_in, c_out, kernel, stride=1):
    return nn.Sequential(nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
                         nn.BatchNorm1d(c_out), nn.ReLU())


def conv2d_block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                         nn.MaxPool2d(2))


def max_and_mean(h):
    """(B, C, L) -> (B, 2C): global max and mean over the last axis."""
    return torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1)


@register(ModelSpec("cyclic_hybrid", papers.GR_MODREC_HYBRID, normalization="none", any_length=True, min_length=64,
                    length_multiple=16))
class CyclicHybrid(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.features = CyclicFeatures(length)
        n_spec = CyclicFeatures.n_spectra
        self.spectra = nn.Sequential(conv1d_block(n_spec, 24, 7), nn.MaxPool1d(4), conv1d_block(24, 48, 5),
                                     nn.MaxPool1d(2), conv1d_block(48, 96, 3))
        self.iq = nn.Sequential(conv1d_block(2, 32, 9, stride=2), conv1d_block(32, 64, 5, stride=2),
                                conv1d_block(64, 64, 5, stride=2), conv1d_block(64, 64, 3))
        self.constellation = nn.Sequential(conv2d_block(1, 16), conv2d_block(16, 32), conv2d_block(32, 64))
        self.const_pool = nn.AdaptiveAvgPool2d(2)
        const_out = 64 * 2 * 2
        fused = 2 * 96 + 2 * 64 + const_out + CyclicFeatures.n_scalars
        self.scalars = nn.BatchNorm1d(CyclicFeatures.n_scalars)
        self.head = nn.Sequential(nn.Linear(fused, 192), nn.ReLU(), nn.Dropout(0.3), nn.Linear(192, num_classes))

    @property
    def min_input_length(self):
        return self.features.frame

    def forward(self, x):
        self.check_input(x)
        spectra, derotated, hist, scalars = self.features(x)
        parts = [max_and_mean(self.spectra(spectra)), max_and_mean(self.iq(derotated)),
                 self.const_pool(self.constellation(hist)).flatten(1), self.scalars(scalars)]
        return self.head(torch.cat(parts, dim=1))
