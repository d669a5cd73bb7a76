"""Streaming inference engine: a worker thread behind a bounded queue, batching whatever waits.

`blocking` mode never drops: submit() waits while the queue is full, so the producer runs at the
model's pace. `realtime` mode never waits: when the queue is full the oldest pending windows are
dropped and counted, so memory stays bounded whatever the input rate.
"""
import collections
import threading
import time

import numpy as np

MODES = ("blocking", "realtime")
LATENCY_HISTORY = 10000


class InferenceEngine:
    """Classifies submitted windows on a worker thread; results go to on_result(probs, metas, latencies)."""

    def __init__(self, predict, on_result, max_batch=64, mode="blocking", capacity=None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._predict, self._on_result = predict, on_result
        self.max_batch, self.mode = int(max_batch), mode
        self.capacity = int(capacity or 2 * max_batch)  # realtime latency <= about 2 batches
        self._pending = collections.deque()  # (window, meta, submit time)
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._error = None
        self._latencies = collections.deque(maxlen=LATENCY_HISTORY)
        self.counters = {"windows_in": 0, "classified": 0, "dropped": 0, "batches": 0}
        self._thread = threading.Thread(target=self._worker, name="modrec-inference", daemon=True)
        self._thread.start()

    def submit(self, windows, metas):
        """Queue windows (N, 2, L) with one meta object each."""
        now = time.perf_counter()
        with self._cond:
            self._raise_worker_error()
            for window, meta in zip(windows, metas):
                if self.mode == "blocking":
                    while len(self._pending) >= self.capacity and not self._error:
                        self._cond.notify_all()  # the worker must hear of what is queued before we wait
                        self._cond.wait()
                    self._raise_worker_error()
                elif len(self._pending) >= self.capacity:
                    self._pending.popleft()
                    self.counters["dropped"] += 1
                self._pending.append((window, meta, now))
                self.counters["windows_in"] += 1
            self._cond.notify_all()

    def flush(self):
        """Wait until every queued window is classified."""
        with self._cond:
            while (self._pending or self._busy) and not self._error:
                self._cond.wait()
            self._raise_worker_error()

    def close(self):
        """Stop the worker (pending windows are discarded; flush() first to keep them)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def stats(self):
        """Counters plus mean batch size and latency percentiles (ms) over recent windows."""
        with self._cond:
            out = dict(self.counters, pending=len(self._pending))
            lat = np.array(self._latencies) * 1e3
        out["mean_batch"] = out["classified"] / out["batches"] if out["batches"] else 0.0
        out["latency_p50_ms"] = float(np.percentile(lat, 50)) if lat.size else None
        out["latency_p99_ms"] = float(np.percentile(lat, 99)) if lat.size else None
        return out

    def _raise_worker_error(self):
        if self._error:
            raise RuntimeError(f"inference worker failed: {self._error}") from self._error

    def _worker(self):
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                n = min(self.max_batch, len(self._pending))
                batch = [self._pending.popleft() for _ in range(n)]
                self._busy = True
                self._cond.notify_all()
            try:
                probs = self._predict(np.stack([b[0] for b in batch]))
                done = time.perf_counter()
                latencies = [done - b[2] for b in batch]
                self._on_result(probs, [b[1] for b in batch], latencies)
            except Exception as e:  # surfaced to the producer on its next submit/flush
                with self._cond:
                    self._error, self._busy = e, False
                    self._cond.notify_all()
                return
            with self._cond:
                self._busy = False
                self.counters["classified"] += n
                self.counters["batches"] += 1
                self._latencies.extend(latencies)
                self._cond.notify_all()
