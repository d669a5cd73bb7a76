"""Symbol-rate normalization for the classifier: bring a stream to the bundle's samples per symbol
with GNU Radio's own pfb_arb_resampler_ccf, from a symbol rate given in Hz or estimated blindly.

`rate_finder` holds the stream back until it has ESTIMATE_SAMPLES samples, estimates centre and
symbol rate from them (modrec_core.estimation), sets the rotator that brings the signal to 0 Hz
and the resampler's rate and taps, then lets the samples through, the first of them tagged
`symbol_rate` (Hz) and `rate_confidence` (dB). Where no rate stands out it tries the next
ESTIMATE_SAMPLES; nothing is classified at a guessed rate. The estimate holds for the run.
"""
import numpy as np
import pmt
from gnuradio import blocks, fft, filter, gr

from modrec_core import estimation

ESTIMATE_SAMPLES = 1 << 16
RESAMPLER_FILTERS = 32


def resampler_taps(rate):
    """Prototype low-pass taps for pfb_arb_resampler_ccf at `rate` (output/input), the way GNU
    Radio's pfb.arb_resampler_ccf designs them: pass 80 % of the narrower Nyquist band."""
    halfband = 0.5 * min(rate, 1.0)
    return filter.firdes.low_pass_2(RESAMPLER_FILTERS, RESAMPLER_FILTERS, 0.8 * halfband, 0.4 * halfband, 100,
                                    fft.window.WIN_BLACKMAN_HARRIS)


def normalizer_chain(sample_rate, sps, symbol_rate):
    """(the blocks in stream order, the rate_finder or None) that bring a stream at `sample_rate`
    to `sps` samples per symbol: symbol_rate in Hz, or "auto" to estimate it (and the centre) first."""
    if symbol_rate == "auto":
        rotator = blocks.rotator_cc(0.0)
        resampler = filter.pfb_arb_resampler_ccf(1.0, resampler_taps(1.0), RESAMPLER_FILTERS)
        finder = rate_finder(sample_rate, sps, rotator, resampler)
        return (finder, rotator, resampler), finder
    rate = sps * float(symbol_rate) / sample_rate
    resampler = filter.pfb_arb_resampler_ccf(rate, resampler_taps(rate), RESAMPLER_FILTERS)
    return (resampler,), None


class rate_finder(gr.basic_block):
    """Passes samples through once it has estimated their symbol rate (see the module's doc)."""

    def __init__(self, sample_rate, sps, rotator, resampler):
        gr.basic_block.__init__(self, name="modrec_rate_finder", in_sig=[np.complex64], out_sig=[np.complex64])
        self.sample_rate, self.sps = float(sample_rate), float(sps)
        self.rotator, self.resampler = rotator, resampler
        self.set_tag_propagation_policy(gr.TPP_DONT)  # tags are re-emitted with the samples they belong to
        self._reset()

    def _reset(self):
        self.held = np.zeros(0, np.complex64)
        self.estimate = None

    def start(self):
        self._reset()
        return True

    def general_work(self, input_items, output_items):
        x, out = input_items[0], output_items[0]
        if self.estimate is None:
            self.held = np.concatenate([self.held, x])
            self.consume(0, len(x))
            if len(self.held) < ESTIMATE_SAMPLES:
                return 0
            self._try_estimate()
            if self.estimate is None:
                self.held = self.held[ESTIMATE_SAMPLES:]
                return 0
        if len(self.held):  # release what was held back, as much as fits
            n = min(len(self.held), len(out))
            out[:n], self.held = self.held[:n], self.held[n:]
            return n
        n = min(len(x), len(out))
        out[:n] = x[:n]
        self.consume(0, n)
        return n

    def _try_estimate(self):
        est = estimation.estimate(self.held[:ESTIMATE_SAMPLES])
        if est.symbol_rate is None:
            return
        self.estimate = est
        rate = self.sps * est.symbol_rate
        self.rotator.set_phase_inc(-2.0 * np.pi * est.centre)
        self.resampler.set_taps(resampler_taps(rate))
        self.resampler.set_rate(rate)
        start = self.nitems_written(0)
        for key, value in (("symbol_rate", est.symbol_rate * self.sample_rate), ("rate_confidence", est.confidence)):
            self.add_item_tag(0, start, pmt.intern(key), pmt.from_double(float(value)))
