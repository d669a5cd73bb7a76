"""Scan Annotation Writer: the scanner's `signals` messages for a SigMF recording written as
that recording's annotations when the flowgraph stops, as apps/scan.py writes them: one per
signal and contiguous stretch (docs/scanning.md)."""
import os

import numpy as np
import pmt
from gnuradio import gr

from modrec_core import recordings
from modrec_core.scanning import FrameResult, stretch


class scan_annotation_writer(gr.basic_block):
    """recording: the .sigmf-meta of the recording the scanner reads (its sample rate and centre
    frequency place the signals; its global object and captures are kept); out: the .sigmf-meta
    to write, through a renamed temporary file, with the found signals as its annotations."""

    def __init__(self, recording, out):
        gr.basic_block.__init__(self, name="modrec_scan_annotation_writer", in_sig=None, out_sig=None)
        self.capture = recordings.read_capture(recording, samples=False)
        if not out.endswith(".sigmf-meta"):
            raise ValueError(f"scan_annotation_writer: out must be a .sigmf-meta path, got {out!r}")
        folder = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(folder):
            raise ValueError(f"scan_annotation_writer: folder {folder} does not exist")
        self.out, self.per_signal, self._frame = out, {}, 0
        self.message_port_register_in(pmt.intern("signals"))
        self.set_msg_handler(pmt.intern("signals"), self.handle)

    def start(self):
        self.per_signal = {}
        return True

    def handle(self, msg):
        r = self._frame_result(pmt.to_python(msg))
        self.per_signal.setdefault(r.id, []).append(r)

    def stop(self):
        recordings.write_annotations(self.capture, self.annotations(), self.out)
        return True

    def annotations(self):
        """The SigMF annotations of what has arrived so far: one per signal and stretch."""
        frame = self._frame
        found = [stretch(sorted(rs, key=lambda r: r.frame), frame) for _, rs in sorted(self.per_signal.items())]
        return [recordings.signal_annotation(s, self.capture) for s in found]

    def _frame_result(self, m):
        """A scanner message as the FrameResult it was made from, in the recording's cycles/sample."""
        rate = self.capture.sample_rate
        self._frame = int(m["window_len"])
        symbol_rate, top_probs = m.get("symbol_rate"), m.get("top_probs")
        top_probs = () if top_probs is None else np.asarray(top_probs, float).tolist()
        return FrameResult(int(m["id"]), int(m["window_start"]) // self._frame,
                           (m["freq_hz"] - self.capture.frequency) / rate, m["bandwidth_hz"] / rate, float(m["snr_db"]),
                           None if symbol_rate is None else symbol_rate / rate, float(m["rate_confidence"]),
                           tuple(m.get("decisions") or ()), tuple(top_probs), None)
