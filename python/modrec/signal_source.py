"""Modulation Signal Source: a continuous stream of impaired bursts tagged with their ground truth."""
import math

import numpy as np
import pmt
from gnuradio import gr

from modrec_core.burst_stream import BurstStream

from .work_errors import ends_flowgraph_on_error


class signal_source(gr.sync_block):
    """Emits bursts of a preset's classes (sig2019, sig2019_timing, sig2019_field, sig2019_multipath, rml2016a,
    rml2018), each tagged at its first sample with `mod`, `snr_db`, `cfo` (cycles/sample), `cfo_hz`,
    `rolloff`, `phase`, `burst` and the preset's other impairment parameters (e.g. `timing`).

    `sample_rate` only scales time (the `cfo_hz` tag); the physics stays normalized like the
    papers'. Classes, SNR and gap can change while running (from the next chunk of bursts on).
    snr_min_db / snr_max_db None: the preset's own end of its SNR range.
    """

    def __init__(self, preset="sig2019", classes=(), snr_min_db=None, snr_max_db=None, burst_len=0,
                 gap_len=0, gap="noise", seed=0, sample_rate=1e6, noise_floor_db=-30.0):
        gr.sync_block.__init__(self, name="modrec_signal_source", in_sig=None, out_sig=[np.complex64])
        if not (isinstance(sample_rate, (int, float)) and math.isfinite(sample_rate) and sample_rate > 0):
            raise ValueError(f"sample_rate must be a finite number of Hz > 0, got {sample_rate!r}")
        self.sample_rate = float(sample_rate)
        self._stream = BurstStream(preset, classes, (snr_min_db, snr_max_db), burst_len, gap_len, gap,
                                   seed, noise_floor_db)
        self._buf = np.zeros(0, np.complex64)
        self._pos = 0  # next sample of self._buf to emit
        self._emitted = 0  # samples emitted so far, in the burst stream's own positions
        self._records = []
        self._src_id = pmt.intern(self.alias())
        self.error = None

    def set_classes(self, classes):
        self._stream.set_classes(classes)

    def set_snr(self, snr_min_db=None, snr_max_db=None):
        self._stream.set_snr(snr_min_db, snr_max_db)

    def set_gap(self, gap_len, gap="noise"):
        self._stream.set_gap(gap_len, gap)

    @ends_flowgraph_on_error
    def work(self, input_items, output_items):
        out = output_items[0]
        first = self._emitted  # stream position (burst records count from it) of out[0]
        done = 0
        while done < len(out):
            if self._pos == len(self._buf):
                self._buf, records = self._stream.next_chunk()
                self._pos = 0
                self._records.extend(records)
            n = min(len(out) - done, len(self._buf) - self._pos)
            out[done:done + n] = self._buf[self._pos:self._pos + n]
            self._pos += n
            done += n
        self._emitted += done
        self._tag(first, self.nitems_written(0))
        return done

    def _tag(self, first, written):
        """Tag every burst that starts before the stream position self._emitted."""
        while self._records and self._records[0][0] < self._emitted:
            offset, truth = self._records.pop(0)
            at = written + offset - first
            for key, value in truth.items():
                self.add_item_tag(0, at, pmt.intern(key), _to_pmt(value), self._src_id)
            if "cfo" in truth:
                hz = pmt.from_double(truth["cfo"] * self.sample_rate)
                self.add_item_tag(0, at, pmt.intern("cfo_hz"), hz, self._src_id)


def _to_pmt(value):
    if isinstance(value, str):
        return pmt.intern(value)
    if isinstance(value, (int, np.integer)):
        return pmt.from_uint64(int(value))
    return pmt.from_double(float(value))
