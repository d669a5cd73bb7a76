"""Modulation Classifier: complex stream in, one PMT message of class probabilities per window.

A thin adapter: the C++ iq_framer cuts and normalizes windows as the bundle's metadata says,
`window_classifier` gates them and hands them to modrec_core's InferenceEngine (worker thread,
bounded queue, batching), and publishes each result on the `probs` port as
cons(meta dict, f32vector of calibrated probabilities). The meta dict says `decision`: the top
class, "unknown" (the bundle's unknown detector rejects it) or "noise" (no signal in the
window). The engine's thread lives from start() to stop(), so a flowgraph runs, stops and runs
again; a model that fails ends the flowgraph with one logged error (`error()`), and rows that
are not probabilities are counted, never published.
"""

import numpy as np
import pmt
from gnuradio import gr

from modrec_core.bundle import MAX_WINDOW_LENGTH, load_bundle, probability_rows
from modrec_core.engine import InferenceEngine

from .work_errors import ends_flowgraph_on_error, record_error

from .modrec_python import iq_framer
from .rate_finder import normalizer_chain

STICKY_TAGS = ("rx_freq", "rx_time", "symbol_rate", "rate_confidence")  # kept from the window they arrive in on
END_TAG = "modrec_end"  # the framer's mark on the last window of a finite stream


class classifier(gr.hier_block2):
    """Classifies every window of `bundle`'s length (hop apart) of a complex stream.

    bundle_path: .onnx (onnxruntime) or .pt (TorchScript) bundle; device: "cpu" or "cuda" (an
    error where there is none); hop: samples between windows (0: the window length); mode:
    "blocking" (every window classified) or "realtime" (oldest pending windows dropped and
    counted under overload); max_batch: windows per model call; power_gate_db: windows whose mean
    power (dBFS) is below are skipped and counted (None: no gate; windows of zeros or with NaN/inf
    are always skipped and counted); prob_output: also stream one
    probability vector per window (zeros for skipped windows; the block then waits for the
    model); sample_rate: reported in messages; window: the window length for bundles of any length
    (0: the length they were trained at, their trained_window_length; fixed-length bundles: 0 or
    their own length); symbol_rate: 0 (the stream is at the bundle's samples per symbol already),
    the signal's symbol rate in Hz, or "auto" (estimated blindly from the stream's first 65,536
    samples, which also sets the shift to 0 Hz; messages then carry symbol_rate and
    rate_confidence): the stream is resampled to the bundle's samples per symbol before framing.
    """

    def __init__(self, bundle_path, device="cpu", hop=0, mode="blocking", max_batch=64, power_gate_db=None,
                 prob_output=False, sample_rate=0.0, window=0, threads=0, symbol_rate=0):
        window, hop, max_batch, threads = (_whole(v, name) for v, name in (
            (window, "window"), (hop, "hop"), (max_batch, "max_batch"), (threads, "threads")))
        if not 0 <= window <= MAX_WINDOW_LENGTH:
            raise ValueError(f"window must be between 0 and {MAX_WINDOW_LENGTH} samples, got {window}")
        bundle = load_bundle(bundle_path, device=device, threads=threads or None)
        length = bundle.meta.window_length
        if length == "any":
            length = window or bundle.meta.trained_window_length
            if length is None or length < 2:
                raise ValueError(f"{bundle_path} accepts any window length and does not say which it was trained "
                                 f"at: set window (e.g. 128)")
            if length < (bundle.meta.min_window_length or 0):
                raise ValueError(f"{bundle_path} reads windows of >= {bundle.meta.min_window_length} samples, "
                                 f"window is {length}")
        elif window and window != length:
            raise ValueError(f"{bundle_path} takes {length}-sample windows only; leave window at 0 or set {length}")
        if power_gate_db is not None and not np.isfinite(power_gate_db):
            raise ValueError(f"power_gate_db must be a finite dBFS level or None, got {power_gate_db}")
        hop = hop or length
        if not 1 <= hop <= MAX_WINDOW_LENGTH:
            raise ValueError(f"hop must be between 1 and {MAX_WINDOW_LENGTH} samples, got {hop}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        n_classes = len(bundle.labels)
        out_sig = gr.io_signature(1, 1, 4 * n_classes) if prob_output else gr.io_signature(0, 0, 0)
        gr.hier_block2.__init__(self, "modrec_classifier", gr.io_signature(1, 1, gr.sizeof_gr_complex), out_sig)
        self.message_port_register_hier_out("probs")
        self.framer = iq_framer(length, hop, bundle.meta.normalization)
        self.framer.set_min_output_buffer(0, 4 * max_batch)
        self.framer.set_min_output_buffer(1, 4 * max_batch)
        self.windows = window_classifier(bundle, length, hop, mode, max_batch, power_gate_db, prob_output,
                                         sample_rate)
        self.rate_finder = None
        if symbol_rate:
            rate = _symbol_rate(symbol_rate, sample_rate)
            chain, self.rate_finder = normalizer_chain(sample_rate, _samples_per_symbol(bundle, bundle_path), rate)
            self.connect(self, chain[0])
            for a, b in zip(chain, chain[1:]):
                self.connect(a, b)
            self.connect(chain[-1], self.framer)
        else:
            self.connect(self, self.framer)
        self.connect((self.framer, 0), (self.windows, 0))
        self.connect((self.framer, 1), (self.windows, 1))
        self.msg_connect(self.windows, "probs", self, "probs")
        if prob_output:
            self.connect(self.windows, self)

    def stats(self):
        """Counters: windows in, classified (of which unknown and noise), dropped, gated, non-finite,
        silent, bad_output, batches, latency p50/p99."""
        return self.windows.stats()

    def error(self):
        """The error that ended the last run (a failed model call), or None."""
        return self.windows.error


def _symbol_rate(value, sample_rate):
    """"auto" or a positive symbol rate in Hz below the sample rate, or a ValueError saying why not."""
    if not (isinstance(sample_rate, (int, float)) and np.isfinite(sample_rate) and sample_rate > 0):
        raise ValueError(f"symbol_rate needs the stream's sample_rate in Hz, got {sample_rate!r}")
    if value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < sample_rate / 2:
        raise ValueError(f"symbol_rate must be 0, 'auto' or a rate in Hz below half the sample rate, got {value!r}")
    return float(value)


def _samples_per_symbol(bundle, path):
    sps = bundle.meta.samples_per_symbol
    if not isinstance(sps, (int, float)):
        raise ValueError(f"{path} does not say its samples per symbol: give the stream at its rate (symbol_rate 0)")
    return float(sps)


def _whole(value, name):
    """An int from a whole number (a GRC entry may hand over 64.0), or a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value != int(value) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


class window_classifier(gr.sync_block):
    """Takes framed windows (and their raw power), runs the engine, publishes `probs` messages."""

    def __init__(self, bundle, length, hop, mode, max_batch, power_gate_db, prob_output, sample_rate):
        n_classes = len(bundle.labels)
        gr.sync_block.__init__(self, name="modrec_window_classifier", in_sig=[(np.float32, 2 * length), np.float32],
                               out_sig=[(np.float32, n_classes)] if prob_output else None)
        self.message_port_register_out(pmt.intern("probs"))
        self.length, self.hop, self.prob_output = length, hop, prob_output
        self.lead = max(length - hop, 0)  # the framer's first windows start before the stream
        self.gate = None if power_gate_db is None else 10.0 ** (power_gate_db / 10.0)
        self.labels = bundle.labels
        constant = {"labels": pmt.to_pmt(list(bundle.labels)), "model": pmt.intern(bundle.meta.model),
                    "sample_rate": pmt.from_double(float(sample_rate)), "window_len": pmt.from_long(length)}
        self.base_meta = pmt.make_dict()  # the per-model part of every message, built once
        for key, value in constant.items():
            self.base_meta = pmt.dict_add(self.base_meta, pmt.intern(key), value)
        self.keys = {k: pmt.intern(k) for k in ("top_class", "top_prob", "window_start", "latency_ms", "dropped",
                                                 "decision", "unknown", "noise", "ood_score")}
        self.port = pmt.intern("probs")
        self.label_symbols = [pmt.intern(x) for x in bundle.labels]
        self.counts = {"gated": 0, "nonfinite": 0, "silent": 0, "bad_output": 0, "unknown": 0, "noise": 0}
        self.sticky = {}
        self.results = {}
        self.engine = InferenceEngine(bundle.score_normalized, self._publish, max_batch, mode)
        self.blocking = mode == "blocking" or prob_output
        self.error = None

    def start(self):
        self.error = None
        self.engine.start()
        return True

    def stop(self):
        """Blocking mode has delivered every window by now. In realtime mode, windows still queued
        or classified after the last work() call are dropped and counted: a message published once
        the flowgraph has stopped reaches its subscribers late (in the next run) or never."""
        try:
            if self.blocking:
                self.engine.flush()
        except RuntimeError as e:  # the model failed after the last work() call
            record_error(self, e)
        self.engine.close()
        return True

    @ends_flowgraph_on_error
    def work(self, input_items, output_items):
        windows, power = input_items
        n = len(windows)
        first = self.nitems_read(0)
        starts = (first + np.arange(n)) * self.hop - self.lead
        finite = np.isfinite(windows).all(axis=1) & np.isfinite(power)
        self.counts["nonfinite"] += int(np.count_nonzero(~finite & (starts >= 0)))
        keep = finite & (starts >= 0)
        silent = keep & (power <= 0)  # all-zero samples: no signal for the model to name
        self.counts["silent"] += int(np.count_nonzero(silent))
        keep &= ~silent
        if self.gate is not None:
            loud = power >= self.gate
            self.counts["gated"] += int(np.count_nonzero(keep & ~loud))
            keep &= loud
        extra, ended = self._tags(first, n)
        rows = np.flatnonzero(keep)
        metas = [(first + k, int(starts[k]), extra.get(k, {})) for k in rows]
        self.engine.submit(windows[rows].reshape(len(rows), 2, self.length), metas)  # indexing copies
        if self.blocking or ended:  # every result is out before the stream moves on or ends
            self.engine.flush()
        else:
            self.engine.deliver()
        if self.prob_output:
            self._write_probs(output_items[0], first, n)
        return n

    def _tags(self, first, n):
        """(tags per window (index into this call): sticky rx_freq/rx_time and the window's own;
        whether the stream ends in this call)."""
        per_window, ended = {}, False
        for tag in sorted(self.get_tags_in_window(0, 0, n), key=lambda t: t.offset):
            key = pmt.symbol_to_string(tag.key)
            if key == END_TAG:
                ended = True
                continue
            k = int(tag.offset - first)
            if key in STICKY_TAGS:
                self.sticky[key] = tag.value
            per_window.setdefault(k, {})[key] = tag.value
        if self.sticky:
            for k in range(n):
                per_window[k] = {**self.sticky, **per_window.get(k, {})}
        return per_window, ended

    def _write_probs(self, out, first, n):
        out[:] = 0.0
        for k in range(n):
            p = self.results.pop(first + k, None)
            if p is not None:
                out[k] = p

    def _publish(self, scores, metas, latencies):
        dropped = pmt.from_uint64(self.engine.counters["dropped"])
        keys = self.keys
        probs = np.asarray(scores.probs, np.float32)
        good = probability_rows(probs, len(self.labels))
        self.counts["bad_output"] += int(np.count_nonzero(~good))
        noise, unknown = scores.noise[good], scores.unknown[good]
        self.counts["noise"] += int(np.count_nonzero(noise))
        self.counts["unknown"] += int(np.count_nonzero(unknown))
        ood = scores.ood_score[good] if scores.ood_score is not None else np.full(len(noise), np.nan)
        rows = np.flatnonzero(good)
        tops = np.argmax(probs[rows], axis=1)
        decisions = scores.decisions(self.labels)[rows]
        for k, row in enumerate(rows):
            p, top, (index, start, tags), decision = probs[row], tops[k], metas[row], str(decisions[k])
            meta = self.base_meta
            for key, value in tags.items():
                meta = pmt.dict_add(meta, pmt.intern(key), value)
            for key, value in (("top_class", self.label_symbols[top]), ("top_prob", pmt.from_double(float(p[top]))),
                               ("decision", pmt.intern(decision)), ("unknown", pmt.from_bool(bool(unknown[k]))),
                               ("noise", pmt.from_bool(bool(noise[k]))), ("ood_score", pmt.from_double(float(ood[k]))),
                               ("window_start", pmt.from_uint64(start)),
                               ("latency_ms", pmt.from_double(latencies[row] * 1e3)), ("dropped", dropped)):
                meta = pmt.dict_add(meta, keys[key], value)
            self.message_port_pub(self.port, pmt.cons(meta, pmt.init_f32vector(len(p), p)))
            if self.prob_output:
                self.results[index] = p

    def stats(self):
        out = {**self.engine.stats(), **self.counts}
        out["classified"] -= self.counts["bad_output"]
        return out
