"""Data-set presets: class lists, window length, SNR grid and impairment stages."""
from dataclasses import dataclass, replace

import numpy as np

from . import constellations as c
from .channel import (CarrierOffset, DCOffset, IQImbalance, Multipath, Phase, PhaseNoise, Quantizer, RandomMultipath,
                      SampleRateOffset, SymbolTiming)
from .modulators import analog, fsk, linear, oqpsk


@dataclass(frozen=True)
class Preset:
    """Everything that defines one family of examples apart from the seed."""

    name: str
    classes: tuple
    length: int
    sps: int
    snr_levels: tuple
    rolloff: tuple = (0.2, 0.7)
    stages: tuple = ()
    margin: int = 0  # extra samples each side for stages that move samples in time
    awgn: bool = True
    rrc_share: float = 0.0  # share of windows whose pulse is a real transmitter's (RRC; CPFSK for FSK)

    @property
    def labels(self):
        return [m.name for m in self.classes]

    @property
    def stage_names(self):
        return [s.name for s in self.stages] + (["awgn"] if self.awgn else [])

    def class_index(self, name):
        """Index of a class name, or a ValueError listing the valid names."""
        labels = self.labels
        if name not in labels:
            raise ValueError(f"unknown class {name!r} for preset {self.name}; valid: {', '.join(labels)}")
        return labels.index(name)

    def without(self, *names):
        """The same preset with the named impairments ('phase', 'cfo', 'awgn', ...) switched off."""
        unknown = set(names) - set(self.stage_names)
        if unknown:
            raise ValueError(f"preset {self.name} has no impairment {sorted(unknown)}; it has {self.stage_names}")
        return replace(self, stages=tuple(s for s in self.stages if s.name not in names),
                       awgn=self.awgn and "awgn" not in names)

    def with_length(self, length):
        """The same preset with another window length (a whole number of symbols)."""
        if length <= 0 or length % self.sps:
            raise ValueError(f"length {length} must be a positive multiple of {self.sps} samples per symbol")
        return replace(self, length=int(length))

    def with_min_snr(self, low):
        """The same preset at its SNR levels >= low dB only."""
        levels = tuple(s for s in self.snr_levels if s >= low)
        if not levels:
            raise ValueError(f"preset {self.name} has no SNR level >= {low:g} dB "
                             f"(its levels: {self.snr_levels[0]:g} to {self.snr_levels[-1]:g} dB)")
        return replace(self, snr_levels=levels)

    def with_rolloff(self, low, high=None):
        """The same preset with roll-off uniform in [low, high] (fixed when high is None)."""
        high = low if high is None else high
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"roll-off range [{low}, {high}] must lie within [0, 1]")
        return replace(self, rolloff=(float(low), float(high)))


def _snr_grid(low, high, step=2):
    return tuple(float(s) for s in np.arange(low, high + step / 2, step))


SIG2019 = Preset(
    name="sig2019",
    classes=(linear("BPSK", c.psk(2)), linear("QPSK", c.psk(4)), linear("8PSK", c.psk(8)), oqpsk("OQPSK"),
             fsk("2FSK", 2), fsk("4FSK", 4), fsk("8FSK", 8),
             linear("16QAM", c.qam(16)), linear("32QAM", c.qam(32)), linear("64QAM", c.qam(64)),
             linear("4PAM", c.pam(4)), linear("8PAM", c.pam(8))),
    length=512, sps=8, snr_levels=_snr_grid(-20, 30), rolloff=(0.2, 0.7),
    stages=(Phase(), CarrierOffset(0.1)),
)

# Sig2019-12 with windows at any symbol-timing phase: Sig2019-12's windows all start on a symbol
# boundary, and models trained on them lose up to 27 points on windows that do not (docs/results.md).
SIG2019_TIMING = replace(SIG2019, name="sig2019_timing", stages=(SymbolTiming(SIG2019.sps),) + SIG2019.stages,
                         margin=16)

# Sig2019-12 as a receiver meets it (docs/synthesis.md gives each range and why): RC or RRC pulses,
# any symbol timing, +-6 % symbol-rate error with drift, multipath over up to one symbol in half
# the windows, then the front end after the noise: phase noise, I/Q imbalance, DC offset, AGC
# level and an 8-bit, 12-bit or no ADC.
SIG2019_FIELD = replace(
    SIG2019, name="sig2019_field", rrc_share=0.5, margin=48,
    stages=(SymbolTiming(SIG2019.sps), SampleRateOffset(0.06, max_drift=0.01),
            RandomMultipath(max_delay=float(SIG2019.sps), taps=3, share=0.5)) + SIG2019.stages
           + (PhaseNoise(0.01), IQImbalance(1.0, 5.0), DCOffset(0.15), Quantizer((8, 12, 0), (-25.0, -8.0))),
)
FRONT_END = tuple(s.name for s in SIG2019_FIELD.stages if s.after_noise)  # the receiver's stages, by name

# sig2019_field with every window through multipath, half of them without a line of sight (all
# paths Rayleigh), as gr-channels' selective_fading_model draws them: the echo-heavy stage of
# field training and a test set for it (docs/field.md).
SIG2019_MULTIPATH = replace(
    SIG2019_FIELD, name="sig2019_multipath",
    stages=tuple(RandomMultipath(max_delay=float(SIG2019.sps), taps=3, los_share=0.5)
                 if isinstance(s, RandomMultipath) else s for s in SIG2019_FIELD.stages),
)

# RML-style channel: GNU Radio's dynamic channel model as RML2016.10a used it, at 200 kHz.
_RML_CHANNEL = (Multipath(), SampleRateOffset(2.5e-4), Phase(),
                CarrierOffset(2.5e-3, drift_std=1e-5, drift_max=1e-3))

RML2016A = Preset(
    name="rml2016a",
    classes=(linear("8PSK", c.psk(8)), analog("AM-DSB", "am_dsb_wc"), analog("AM-SSB", "am_ssb_sc"),
             linear("BPSK", c.psk(2)), fsk("CPFSK", 2, pulse="rect"), fsk("GFSK", 2, pulse="gaussian", bt=0.35),
             linear("PAM4", c.pam(4)), linear("QAM16", c.qam(16)), linear("QAM64", c.qam(64)),
             linear("QPSK", c.psk(4)), analog("WBFM", "fm", deviation=0.1)),
    length=128, sps=8, snr_levels=_snr_grid(-20, 18), rolloff=(0.35, 0.35),
    stages=_RML_CHANNEL, margin=16,
)

RML2018 = Preset(
    name="rml2018",
    classes=(linear("OOK", c.ask(2)), linear("4ASK", c.ask(4)), linear("8ASK", c.ask(8)),
             linear("BPSK", c.psk(2)), linear("QPSK", c.psk(4)), linear("8PSK", c.psk(8)),
             linear("16PSK", c.psk(16)), linear("32PSK", c.psk(32)),
             linear("16APSK", c.apsk(16)), linear("32APSK", c.apsk(32)), linear("64APSK", c.apsk(64)),
             linear("128APSK", c.apsk(128)),
             linear("16QAM", c.qam(16)), linear("32QAM", c.qam(32)), linear("64QAM", c.qam(64)),
             linear("128QAM", c.qam(128)), linear("256QAM", c.qam(256)),
             analog("AM-SSB-WC", "am_ssb_wc"), analog("AM-SSB-SC", "am_ssb_sc"),
             analog("AM-DSB-WC", "am_dsb_wc"), analog("AM-DSB-SC", "am_dsb_sc"),
             analog("FM", "fm", deviation=0.05), fsk("GMSK", 2, pulse="gaussian", bt=0.3), oqpsk("OQPSK")),
    length=1024, sps=8, snr_levels=_snr_grid(-20, 30), rolloff=(0.35, 0.35),
    stages=_RML_CHANNEL, margin=16,
)

# Classes Sig2019-12 does not know, for open-set evaluation (docs/open-set.md): RML2018's classes
# outside Sig2019-12, without GMSK (CPFSK with h = 0.5, as Sig2019-12's 2FSK is), made under
# Sig2019-12's own conditions so that only the modulation is new.
SIG2019_UNKNOWN = replace(SIG2019, name="sig2019_unknown",
                          classes=tuple(m for m in RML2018.classes if m.name not in SIG2019.labels + ["GMSK"]))

# Auxiliary outliers for outlier-exposure training (docs/open-set.md): classes in neither
# Sig2019-12 nor the open-set evaluation (sig2019_unknown, OFDM, noise), so the evaluation stays
# about modulations the model never saw: a bare carrier, odd PSK orders, dense PAM/ASK/QAM, 16FSK.
OUTLIER_CLASSES = (linear("CW", c.psk(1)), linear("3PSK", c.psk(3)), linear("6PSK", c.psk(6)),
                   linear("12PSK", c.psk(12)), linear("64PSK", c.psk(64)), linear("16PAM", c.pam(16)),
                   linear("16ASK", c.ask(16)), linear("1024QAM", c.qam(1024)), fsk("16FSK", 16))

PRESETS = {p.name: p for p in (SIG2019, SIG2019_TIMING, SIG2019_FIELD, SIG2019_MULTIPATH, SIG2019_UNKNOWN, RML2016A, RML2018)}


def get_preset(name):
    """A preset by name, or a ValueError listing the known ones."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]
