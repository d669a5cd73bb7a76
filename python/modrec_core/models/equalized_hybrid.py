"""Equalized cyclic hybrid: the blind equalizer (blind_equalizer.py) ahead of the cyclic hybrid
(cyclic_hybrid.py), one model and one bundle. The equalizer learns to flatten multipath first
(modrec_core.equalizer_training), then both are fine-tuned together on the classes (docs/field.md)."""
from . import papers
from .blind_equalizer import BlindEqualizer
from .cyclic_hybrid import CyclicHybrid
from .registry import AMRModel, ModelSpec, register


@register(ModelSpec("equalized_cyclic_hybrid", papers.GR_MODREC_EQUALIZED, normalization="none", any_length=True,
                    min_length=64, length_multiple=16))
class EqualizedCyclicHybrid(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.equalizer = BlindEqualizer()
        self.classifier = CyclicHybrid(num_classes, length)

    @property
    def min_input_length(self):
        return self.classifier.min_input_length

    def forward(self, x):
        self.check_input(x)
        return self.classifier(self.equalizer(x))
