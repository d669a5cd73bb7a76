"""Model zoo: `build(name, num_classes, length)` and `list_models()`; one file per model."""
from . import (  # noqa: F401 (registration)
               cldnn,
               cldnn2,
               cnn,
               cnn2d,
               cyclic_hybrid,
               equalized_hybrid,
               gru2,
               lstm2,
               lstm_ap,
               lstm_fft,
               mcldnn,
               pet_cgdnn,
               resnet1d,
               se_jnnet,
               signet,
               signet2,
)
from .registry import (
               AMRModel,
               ModelSpec,
               build,
               count_parameters,
               get_spec,
               list_models,
)

__all__ = ["AMRModel", "ModelSpec", "build", "count_parameters", "get_spec", "list_models"]
