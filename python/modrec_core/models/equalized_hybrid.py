"""Equalized cyclic hybrid: the blind equalizer (blind_equalizer.py) ahead of the cyclic hybrid
(cyclic_hybrid.py), one model and one bundle. The equalizer learns to flatten multipath first
(modrec_core.equalizer_training), then both are fine-tuned together on the classes (docs/field.md).

With views=4 it scores each window four times (as it is, conjugated, time-reversed, and both) and
averages the logits: the same weights, four times the cost, a steadier reading of echoes. Those
symmetries keep the class of every Sig2019-12 modulation, not of single-sideband signals."""
import torch

from . import papers
from .blind_equalizer import BlindEqualizer
from .cyclic_hybrid import CyclicHybrid
from .registry import AMRModel, ModelSpec, register

VIEWS = (1, 4)


def symmetry_views(x):
    """Windows (B, 2, L) as (4B, 2, L): themselves, conjugated, time-reversed, conjugated and reversed."""
    pair = torch.cat([x, torch.stack([x[:, 0], -x[:, 1]], 1)])
    return torch.cat([pair, pair.flip(2)])


@register(ModelSpec("equalized_cyclic_hybrid", papers.GR_MODREC_EQUALIZED, normalization="none", any_length=True,
                    min_length=64, length_multiple=16))
class EqualizedCyclicHybrid(AMRModel):
    def __init__(self, num_classes, length, views=1):
        super().__init__(num_classes, length)
        if views not in VIEWS:
            raise ValueError(f"equalized_cyclic_hybrid: views must be one of {VIEWS}, got {views!r}")
        self.views = views
        self.equalizer = BlindEqualizer()
        self.classifier = CyclicHybrid(num_classes, length)

    @property
    def min_input_length(self):
        return self.classifier.min_input_length

    def forward(self, x):
        self.check_input(x)
        if self.views == 1:
            return self.classifier(self.equalizer(x))
        # slices, not a reshape: ONNX then keeps the output (B, classes) the bundle contract checks
        logits, b = self.classifier(self.equalizer(symmetry_views(x))), x.shape[0]
        return sum(logits[k * b:(k + 1) * b] for k in range(self.views)) / self.views
