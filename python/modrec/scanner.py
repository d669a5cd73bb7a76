"""Modulation Scanner: a wideband complex stream in; every signal in it found, measured and
classified, frame by frame, as one `signals` message per signal and frame.

A thin adapter over modrec_core.scanning.Scanner (docs/scanning.md): frames of `frame` samples
are gathered from the stream; each is searched for signals, which are tracked (stable ids) on the
stream's own thread. Measuring a signal (channelize, estimate its symbol rate once per track,
resample, classify) is a job for the InferenceEngine's worker thread, which lives from start() to
stop(). In blocking mode every job runs; in realtime mode the oldest waiting jobs are dropped
when the worker falls behind, so memory stays flat, and each message counts its signal's drops.
A tail shorter than a frame is not scanned.
"""
import numpy as np
import pmt
from gnuradio import gr

from modrec_core.bundle import load_bundle
from modrec_core.engine import MODES, InferenceEngine
from modrec_core.scanning import FRAME, Scanner

from .work_errors import ends_flowgraph_on_error, record_error

RX_FREQ = "rx_freq"
REALTIME_JOBS = 8  # realtime mode: signal-frames waiting for the worker before the oldest are dropped
MAX_JOBS = 8  # signal-frames measured together, their windows scored in one batch


class scanner(gr.sync_block):
    """bundle_path: the classifier bundle; sample_rate and center_freq: of the stream, in Hz (an
    `rx_freq` tag on the stream overrides center_freq from where it arrives); frame: samples
    per detection frame; mode: "blocking" (every frame scanned) or "realtime" (drops, counted)."""

    def __init__(self, bundle_path, sample_rate, center_freq=0.0, frame=FRAME, device="cpu", threads=0,
                 mode="blocking"):
        if not (isinstance(sample_rate, (int, float)) and np.isfinite(sample_rate) and sample_rate > 0):
            raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate!r}")
        if not (isinstance(frame, (int, float)) and frame == int(frame) and frame >= 1 << 14):
            raise ValueError(f"frame must be a whole number of samples >= {1 << 14}, got {frame!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        gr.sync_block.__init__(self, name="modrec_scanner", in_sig=[np.complex64], out_sig=None)
        self.bundle = load_bundle(bundle_path, device=device, threads=int(threads) or None)
        self.sample_rate, self.center_freq, self.frame = float(sample_rate), float(center_freq), int(frame)
        self.mode = mode
        self.message_port_register_out(pmt.intern("signals"))
        self.engine = InferenceEngine(self._measure, self._publish, max_batch=MAX_JOBS, mode=mode, capacity=REALTIME_JOBS)
        self.error = None
        self._reset()

    def _reset(self):
        self.scanner = Scanner(self.bundle, self.frame)
        self.buffer, self.filled = np.empty(self.frame, np.complex64), 0  # the frame being gathered
        self.buffered_from, self.freq = 0, self.center_freq
        self.published = 0
        self.submitted, self.delivered = {}, {}  # per signal id: jobs queued, jobs measured

    def start(self):
        self.error = None
        self._reset()
        self.engine.start()
        return True

    def stop(self):
        """Blocking mode delivers every queued frame first; realtime mode drops what is left."""
        try:
            if self.mode == "blocking":
                self.engine.flush()
        except RuntimeError as e:  # a job failed after the last work() call
            record_error(self, e)
        self.engine.close()
        return True

    def stats(self):
        """Signal-frames queued, measured and dropped since the block was made, and messages published."""
        engine = self.engine.stats()
        return {"signal_frames": engine["windows_in"], "measured": engine["classified"],
                "dropped": engine["dropped"], "published": self.published}

    @ends_flowgraph_on_error
    def work(self, input_items, output_items):
        x = input_items[0]
        for tag in self.get_tags_in_window(0, 0, len(x), pmt.intern(RX_FREQ)):
            self.freq = pmt.to_double(tag.value)
        taken = 0
        while taken < len(x):
            n = min(self.frame - self.filled, len(x) - taken)
            self.buffer[self.filled:self.filled + n] = x[taken:taken + n]
            self.filled, taken = self.filled + n, taken + n
            if self.filled == self.frame:
                self._submit(self.buffer.copy())  # the worker keeps its frame; one copy per frame
                self.buffered_from, self.filled = self.buffered_from + self.frame, 0
        if self.mode == "blocking":
            self.engine.flush()
        else:
            self.engine.deliver()
        return len(x)

    def _submit(self, frame):
        index, tracks = self.scanner.track(frame)
        jobs, metas = np.empty(len(tracks), dtype=object), []
        for k, t in enumerate(tracks):
            self.submitted[t.id] = self.submitted.get(t.id, 0) + 1
            jobs[k] = (frame, t, index)
            metas.append((t.id, self.submitted[t.id], self.buffered_from, self.freq))
        self.engine.submit(jobs, metas)

    def _measure(self, jobs):
        return self.scanner.measure(list(jobs))

    def _publish(self, results, metas, latencies):
        for r, (track_id, seq, start, freq), latency in zip(results, metas, latencies):
            self.delivered[track_id] = self.delivered.get(track_id, 0) + 1
            # jobs run oldest first: earlier frames of this signal not measured by now were dropped
            self._message(r, start, freq, dropped=seq - self.delivered[track_id], latency=latency)

    def _message(self, r, start, freq, dropped, latency):
        rate = self.sample_rate
        meta = {"id": r.id, "freq_hz": freq + r.centre * rate, "bandwidth_hz": r.bandwidth * rate,
                "snr_db": r.snr_db, "window_start": start, "window_len": self.frame, "decision": r.decision,
                "decisions": list(r.decisions), "top_probs": np.asarray(r.top_probs, np.float64),
                "rate_confidence": r.rate_confidence, "windows": len(r.decisions), "model": self.bundle.meta.model,
                "dropped": int(dropped), "latency_ms": 1e3 * latency}
        if r.symbol_rate is not None:
            meta["symbol_rate"] = r.symbol_rate * rate
        if r.probs is not None:
            top = int(np.argmax(r.probs))
            meta.update(top_class=self.bundle.labels[top], top_prob=float(r.probs[top]),
                        probs=np.asarray(r.probs, np.float32), labels=list(self.bundle.labels))
        self.message_port_pub(pmt.intern("signals"), pmt.to_pmt(meta))
        self.published += 1
