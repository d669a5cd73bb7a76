"""Streaming inference engine: a worker thread behind a bounded queue, batching whatever waits.

`blocking` mode never drops: submit() waits while the queue is full, so the producer runs at the
model's pace. `realtime` mode never waits: when the queue is full the oldest pending windows are
dropped and counted, so memory stays bounded whatever the input rate.

Results are handed to on_result on the producer's own thread, by deliver() and flush(), so a
caller (a GNU Radio block's work()) publishes them while its flowgraph is still running; a
window counts as classified only once on_result has taken it. The worker thread exists between
start() and close(), and an engine may be started again after close().
"""
import collections
import threading
import time

import numpy as np

MODES = ("blocking", "realtime")
LATENCY_HISTORY = 10000


class InferenceEngine:
    """Classifies submitted windows on a worker thread; each batch's predict(windows) output goes to
    on_result(outputs, metas, latencies).

    Windows are queued as whole submitted chunks (no Python work per window on the producer side);
    the worker cuts batches of up to max_batch from the oldest chunks.
    """

    def __init__(self, predict, on_result, max_batch=64, mode="blocking", capacity=None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._predict, self._on_result = predict, on_result
        self.max_batch, self.mode = int(max_batch), mode
        self.capacity = int(capacity or 2 * max_batch)  # realtime latency <= about 2 batches
        self._cond = threading.Condition()
        self._thread = None
        self._latencies = collections.deque(maxlen=LATENCY_HISTORY)
        self.counters = {"windows_in": 0, "classified": 0, "dropped": 0, "batches": 0}
        self._reset()

    def _reset(self):
        self._chunks = collections.deque()  # [windows, metas, submit time], oldest first
        self._pending = 0  # windows in self._chunks
        self._busy = False
        self._done = collections.deque()  # (outputs, metas, latencies) waiting for deliver()
        self._closed = False
        self._error = None

    @property
    def running(self):
        return self._thread is not None

    def start(self):
        """Start the worker thread (again after close(): counters keep counting)."""
        if self._thread is not None:
            raise RuntimeError("inference engine already started")
        self._reset()
        self._thread = threading.Thread(target=self._worker, name="modrec-inference", daemon=True)
        self._thread.start()

    def submit(self, windows, metas):
        """Queue windows (N, 2, L) with one meta object each."""
        n = len(windows)
        if n == 0:
            return
        if self._thread is None:
            raise RuntimeError("inference engine not started: call start() first")
        now = time.perf_counter()
        with self._cond:
            self._raise_worker_error()
            if self.mode == "blocking":
                while self._pending and self._pending + n > max(self.capacity, n) and not self._error:
                    self._cond.wait()
                self._raise_worker_error()
            self._chunks.append([windows, list(metas), now])
            self._pending += n
            self.counters["windows_in"] += n
            if self.mode == "realtime":
                self._drop_oldest(self._pending - self.capacity)
            self._cond.notify_all()

    def _drop_oldest(self, excess):
        while excess > 0:
            chunk = self._chunks[0]
            k = min(excess, len(chunk[1]))
            chunk[0], chunk[1] = chunk[0][k:], chunk[1][k:]
            if not chunk[1]:
                self._chunks.popleft()
            self._pending -= k
            self.counters["dropped"] += k
            excess -= k

    def deliver(self):
        """Hand every finished batch to on_result, on the caller's thread; returns windows delivered."""
        delivered = 0
        while True:
            with self._cond:
                if not self._done:
                    self._raise_worker_error()
                    return delivered
                outputs, metas, latencies = self._done.popleft()
            self._on_result(outputs, metas, latencies)
            delivered += len(metas)
            with self._cond:
                self.counters["classified"] += len(metas)
                self.counters["batches"] += 1
                self._latencies.extend(latencies)

    def flush(self):
        """Wait until every queued window is classified, and deliver them all."""
        with self._cond:
            while (self._pending or self._busy) and not self._error:
                self._cond.wait()
        self.deliver()

    def close(self):
        """Stop the worker; windows not yet delivered are discarded and counted as dropped
        (flush() first to keep them)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._cond:
            self.counters["dropped"] += self._pending + sum(len(m) for _, m, _ in self._done)
            self._chunks.clear()
            self._done.clear()
            self._pending = 0

    def stats(self):
        """Counters plus mean batch size and latency percentiles (ms) over recent windows."""
        with self._cond:
            out = dict(self.counters, pending=self._pending)
            lat = np.array(self._latencies) * 1e3
        out["mean_batch"] = out["classified"] / out["batches"] if out["batches"] else 0.0
        out["latency_p50_ms"] = float(np.percentile(lat, 50)) if lat.size else None
        out["latency_p99_ms"] = float(np.percentile(lat, 99)) if lat.size else None
        return out

    def _raise_worker_error(self):
        if self._error:
            raise RuntimeError(f"inference worker failed: {self._error}") from self._error

    def _take_batch(self):
        """Up to max_batch of the oldest windows: (windows, metas, submit times)."""
        parts, metas, times, room = [], [], [], self.max_batch
        while self._chunks and room:
            chunk = self._chunks[0]
            k = min(room, len(chunk[1]))
            parts.append(chunk[0][:k])
            metas += chunk[1][:k]
            times += [chunk[2]] * k
            chunk[0], chunk[1] = chunk[0][k:], chunk[1][k:]
            if not chunk[1]:
                self._chunks.popleft()
            room -= k
        self._pending -= len(metas)
        return (parts[0] if len(parts) == 1 else np.concatenate(parts)), metas, times

    def _worker(self):
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                windows, metas, times = self._take_batch()
                self._busy = True
                self._cond.notify_all()
            try:
                outputs = self._predict(windows)
            except Exception as e:  # surfaced to the producer on its next submit/deliver/flush
                with self._cond:
                    self._error, self._busy = e, False
                    self.counters["dropped"] += len(metas)
                    self._cond.notify_all()
                return
            done = time.perf_counter()
            with self._cond:
                self._busy = False
                self._done.append((outputs, metas, [done - t for t in times]))
                self._cond.notify_all()
