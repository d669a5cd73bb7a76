"""Modulation Scanner: a wideband complex stream in; every signal in it found, measured and
classified, frame by frame, as one `signals` message per signal and frame.

A thin adapter over modrec_core.scanning.Scanner (docs/scanning.md): frames of `frame` samples
are gathered from the stream; each is searched for signals, which are tracked (stable ids),
channelized, brought to the bundle's samples per symbol (their symbol rate estimated blindly
once per track) and classified. The block works at the pipeline's pace (blocking: every frame
is scanned); a tail shorter than a frame is not.
"""
import numpy as np
import pmt
from gnuradio import gr

from modrec_core.bundle import load_bundle
from modrec_core.scanning import FRAME, Scanner

from .work_errors import ends_flowgraph_on_error

RX_FREQ = "rx_freq"


class scanner(gr.sync_block):
    """bundle_path: the classifier bundle; sample_rate and center_freq: of the stream, in Hz (an
    `rx_freq` tag on the stream overrides center_freq from where it arrives); frame: samples
    per detection frame."""

    def __init__(self, bundle_path, sample_rate, center_freq=0.0, frame=FRAME, device="cpu", threads=0):
        if not (isinstance(sample_rate, (int, float)) and np.isfinite(sample_rate) and sample_rate > 0):
            raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate!r}")
        if not (isinstance(frame, (int, float)) and frame == int(frame) and frame >= 1 << 14):
            raise ValueError(f"frame must be a whole number of samples >= {1 << 14}, got {frame!r}")
        gr.sync_block.__init__(self, name="modrec_scanner", in_sig=[np.complex64], out_sig=None)
        self.bundle = load_bundle(bundle_path, device=device, threads=int(threads) or None)
        self.sample_rate, self.center_freq, self.frame = float(sample_rate), float(center_freq), int(frame)
        self.message_port_register_out(pmt.intern("signals"))
        self.error = None
        self._reset()

    def _reset(self):
        self.scanner = Scanner(self.bundle, self.frame)
        self.buffer, self.buffered_from, self.freq = np.zeros(0, np.complex64), 0, self.center_freq
        self.published = 0

    def start(self):
        self.error = None
        self._reset()
        return True

    @ends_flowgraph_on_error
    def work(self, input_items, output_items):
        x = input_items[0]
        for tag in self.get_tags_in_window(0, 0, len(x), pmt.intern(RX_FREQ)):
            self.freq = pmt.to_double(tag.value)
        self.buffer = np.concatenate([self.buffer, x])
        while len(self.buffer) >= self.frame:
            frame, self.buffer = self.buffer[:self.frame], self.buffer[self.frame:]
            for result in self.scanner.process(frame):
                self._publish(result, self.buffered_from)
            self.buffered_from += self.frame
        return len(x)

    def _publish(self, r, start):
        rate = self.sample_rate
        meta = {"id": r.id, "freq_hz": self.freq + r.centre * rate, "bandwidth_hz": r.bandwidth * rate,
                "snr_db": r.snr_db, "window_start": start, "window_len": self.frame, "decision": r.decision,
                "rate_confidence": r.rate_confidence, "windows": len(r.decisions), "model": self.bundle.meta.model}
        if r.symbol_rate is not None:
            meta["symbol_rate"] = r.symbol_rate * rate
        if r.probs is not None:
            top = int(np.argmax(r.probs))
            meta.update(top_class=self.bundle.labels[top], top_prob=float(r.probs[top]),
                        probs=np.asarray(r.probs, np.float32), labels=list(self.bundle.labels))
        self.message_port_pub(pmt.intern("signals"), pmt.to_pmt(meta))
        self.published += 1
