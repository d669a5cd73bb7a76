"""The model registry: models are built by name, each declares how it wants its input."""
import inspect
from dataclasses import dataclass

from torch import nn

_REGISTRY = {}


@dataclass(frozen=True)
class ModelSpec:
    """What a model needs from the data: normalization applied before it, window-length rules."""

    name: str
    paper: str  # the citation, from models/papers.py
    normalization: str = "maxmin"  # applied outside the model (see modrec_core.normalize)
    any_length: bool = False  # True: one built model accepts any window length >= min_length
    min_length: int = 16
    length_multiple: int = 1


class AMRModel(nn.Module):
    """Base class: (B, 2, L) float32 I/Q in, (B, C) logits out, with a clear error on bad input."""

    spec: ModelSpec

    def __init__(self, num_classes, length):
        super().__init__()
        self.num_classes, self.length = int(num_classes), int(length)

    @property
    def min_input_length(self):
        """The shortest window this built model reads (any-length models; others read only self.length)."""
        return self.spec.min_length

    def check_input(self, x):
        want_len = "L" if self.spec.any_length else str(self.length)
        if x.dim() != 3 or x.shape[1] != 2 or (not self.spec.any_length and x.shape[2] != self.length):
            raise ValueError(f"{self.spec.name} expects I/Q windows of shape (B, 2, {want_len}), got {tuple(x.shape)}")


def register(spec):
    """Class decorator adding a model class to the registry under spec.name."""

    def add(cls):
        cls.spec = spec
        _REGISTRY[spec.name] = cls
        return cls

    return add


def list_models():
    """Names of every registered model."""
    return sorted(_REGISTRY)


def get_spec(name):
    return _model_class(name).spec


def build(name, num_classes, length, **options):
    """A fresh model `name` for `num_classes` classes and windows of `length` samples."""
    cls = _model_class(name)
    spec = cls.spec
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    if length < spec.min_length or length % spec.length_multiple:
        rule = f"a multiple of {spec.length_multiple} and " if spec.length_multiple > 1 else ""
        raise ValueError(f"{name} needs a window length {rule}>= {spec.min_length}, got {length}")
    known = list(inspect.signature(cls.__init__).parameters)[3:]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"{name} has no option {', '.join(unknown)}; its options: {', '.join(known) or 'none'}")
    return cls(num_classes, length, **options)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def _model_class(name):
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(list_models())}")
    return _REGISTRY[name]
