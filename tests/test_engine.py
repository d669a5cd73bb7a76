"""The inference engine: batching, blocking back-pressure, realtime dropping, errors, counters."""
import threading
import time

import numpy as np
import pytest

from modrec_core.engine import InferenceEngine


def _collect():
    got = []
    return got, lambda probs, metas, lat: got.extend(zip(metas, probs))


def _windows(n):
    return np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2)


def _held_model(gate):
    """A model that waits for `gate` (at most 10 s) before answering each batch."""
    def predict(x):
        gate.wait(10)
        return x[:, :1, 0]
    return predict


def _run_with_deadline(fn, seconds=20):
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "engine deadlocked"


def test_blocking_keeps_every_window_in_order_even_past_capacity():
    got, on_result = _collect()
    engine = InferenceEngine(lambda x: x.sum(axis=(1, 2))[:, None], on_result, max_batch=8, mode="blocking")
    engine.start()

    def produce():
        engine.submit(_windows(100), list(range(100)))  # 100 windows into a queue of 16
        engine.flush()

    _run_with_deadline(produce)
    assert [m for m, _ in got] == list(range(100))
    assert [float(p[0]) for _, p in got] == [float(w.sum()) for w in _windows(100)]
    s = engine.stats()
    assert s["classified"] == 100 and s["dropped"] == 0 and s["mean_batch"] <= 8 and s["batches"] >= 13
    assert s["latency_p99_ms"] >= s["latency_p50_ms"] >= 0
    engine.close()


def test_realtime_drops_the_oldest_and_counts_them():
    gate = threading.Event()
    got, on_result = _collect()
    slow = _held_model(gate)
    engine = InferenceEngine(slow, on_result, max_batch=4, mode="realtime", capacity=10)
    engine.start()
    engine.submit(_windows(4), [0, 1, 2, 3])  # the worker takes these and blocks in the model
    deadline = time.monotonic() + 10
    while engine.stats()["pending"] and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.submit(_windows(30), list(range(100, 130)))  # never waits: 20 of these are dropped
    s = engine.stats()
    assert s["dropped"] == 20 and s["pending"] == 10 and s["windows_in"] == 34
    gate.set()
    _run_with_deadline(engine.flush)
    assert [m for m, _ in got] == [0, 1, 2, 3] + list(range(120, 130))  # the newest survive
    engine.close()


def test_worker_errors_reach_the_producer():
    def broken(x):
        raise RuntimeError("model exploded")

    engine = InferenceEngine(broken, lambda *a: None, max_batch=2)
    engine.start()
    engine.submit(_windows(2), [0, 1])
    with pytest.raises(RuntimeError, match="model exploded"):
        engine.flush()
    with pytest.raises(RuntimeError, match="inference worker failed"):
        engine.submit(_windows(1), [2])


def test_bad_settings():
    with pytest.raises(ValueError, match="mode"):
        InferenceEngine(lambda x: x, lambda *a: None, mode="fast")
    with pytest.raises(ValueError, match="max_batch"):
        InferenceEngine(lambda x: x, lambda *a: None, max_batch=0)


def test_results_reach_on_result_on_the_callers_thread_only():
    threads = []
    engine = InferenceEngine(lambda x: x[:, :1, 0], lambda p, m, n: threads.append(threading.get_ident()),
                             max_batch=4, mode="realtime")
    engine.start()
    engine.submit(_windows(3), [0, 1, 2])
    engine.flush()
    assert threads and set(threads) == {threading.get_ident()}
    assert engine.stats()["classified"] == 3
    engine.close()


def test_close_counts_undelivered_windows_as_dropped_and_start_runs_again():
    gate = threading.Event()
    got, on_result = _collect()
    slow = _held_model(gate)
    engine = InferenceEngine(slow, on_result, max_batch=2, mode="realtime", capacity=10)
    engine.start()
    engine.submit(_windows(6), list(range(6)))
    gate.set()
    engine.close()  # nothing was delivered: all six are dropped, none counted as classified
    s = engine.stats()
    assert s["classified"] == 0 and s["dropped"] == 6 and s["pending"] == 0 and got == []
    engine.start()
    engine.submit(_windows(2), [10, 11])
    _run_with_deadline(engine.flush)
    assert [m for m, _ in got] == [10, 11] and engine.stats()["classified"] == 2
    engine.close()


def test_submit_before_start_is_an_error():
    engine = InferenceEngine(lambda x: x, lambda *a: None)
    with pytest.raises(RuntimeError, match="not started"):
        engine.submit(_windows(1), [0])
