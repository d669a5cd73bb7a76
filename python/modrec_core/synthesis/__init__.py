"""Impaired-waveform synthesis: presets (sig2019, rml2016a, rml2018) and the vectorized synthesizer."""
from .presets import PRESETS, Preset, get_preset
from .synthesizer import Batch, synthesize, to_iq

__all__ = ["PRESETS", "Preset", "get_preset", "Batch", "synthesize", "to_iq"]
