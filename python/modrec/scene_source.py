"""Modulation Scene Source: an endless wideband stream of labelled scenes, each several signals
side by side at their own centre frequencies and symbol rates (modrec_core.scene, as
apps/make_scene.py writes them), for trying the scanner without a radio."""
import numpy as np
import pmt
from gnuradio import gr

from modrec_core import scene

from .work_errors import ends_flowgraph_on_error


class scene_source(gr.sync_block):
    """signals: per scene (0-8); scene_samples: each scene's length, after which a new scene
    (new classes, centres, rates, SNRs) follows; sample_rate and center_freq (Hz) place the truth.
    Each scene's first sample carries a `scene` tag (a list of dicts: label, freq_hz,
    bandwidth_hz, symbol_rate, snr_db) and the stream's first an `rx_freq` tag. Scene k is
    make_scene(signals, scene_samples, seed + k): the same seed gives the same stream."""

    def __init__(self, preset="sig2019", signals=4, scene_samples=1 << 19, sample_rate=2.4e6, center_freq=0.0, seed=0):
        gr.sync_block.__init__(self, name="modrec_scene_source", in_sig=None, out_sig=[np.complex64])
        if not (isinstance(sample_rate, (int, float)) and np.isfinite(sample_rate) and sample_rate > 0):
            raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate!r}")
        self.preset, self.signals, self.scene_samples = preset, signals, scene_samples
        self.sample_rate, self.center_freq, self.seed = float(sample_rate), float(center_freq), int(seed)
        scene.check_request(signals, scene_samples, preset)  # fails here, not in work()
        self.error = None
        self._src_id = pmt.intern(self.alias())
        self._reset()

    def _reset(self):
        self.scenes, self._buf, self._pos = 0, np.zeros(0, np.complex64), 0

    def start(self):
        self.error = None
        self._reset()
        return True

    @ends_flowgraph_on_error
    def work(self, input_items, output_items):
        out, done = output_items[0], 0
        while done < len(out):
            if self._pos == len(self._buf):
                self._next_scene(self.nitems_written(0) + done)
            n = min(len(out) - done, len(self._buf) - self._pos)
            out[done:done + n] = self._buf[self._pos:self._pos + n]
            self._pos += n
            done += n
        return done

    def _next_scene(self, offset):
        """Make the next scene and tag its first sample (stream position `offset`) with its truth."""
        self._buf, truth = scene.make_scene(self.signals, self.scene_samples, self.seed + self.scenes, self.preset)
        self._pos, self.scenes = 0, self.scenes + 1
        if offset == 0:
            self.add_item_tag(0, 0, pmt.intern("rx_freq"), pmt.from_double(self.center_freq), self._src_id)
        rate = self.sample_rate
        signals = [{"label": s.label, "freq_hz": self.center_freq + s.centre * rate, "bandwidth_hz": s.bandwidth * rate,
                    "symbol_rate": rate / s.samples_per_symbol, "snr_db": s.snr_db} for s in truth]
        self.add_item_tag(0, offset, pmt.intern("scene"), pmt.to_pmt(signals), self._src_id)
