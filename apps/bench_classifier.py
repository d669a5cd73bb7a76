#!/usr/bin/env python3
"""Classifier throughput, side by side in one process: real flowgraphs (source -> classifier ->
message sink) with a PET-CGDNN bundle at 2x512 and 2x128, against (b) the naive pattern of one
onnxruntime call per window inside a Python block and (c) onnxruntime alone on pre-made batches
(the ceiling). Then realtime mode fed at 3x what the model sustains: memory, drops, latency.
Random weights: speed does not depend on training.
"""
import argparse
import os
import tempfile
import time

import numpy as np
import pmt
import torch
from gnuradio import blocks, gr

from gnuradio import modrec
from modrec_core import cli
from modrec_core.bundle import export, load_bundle
from modrec_core.burst_stream import BurstStream
from modrec_core.models import build
from modrec_core.normalize import normalize
from modrec_core.synthesis import get_preset


class naive_classifier(gr.sync_block):
    """(b): one onnxruntime call per window, inside work()."""

    def __init__(self, bundle, length):
        gr.sync_block.__init__(self, name="naive_classifier", in_sig=[(np.complex64, length)], out_sig=None)
        self.bundle, self.count = bundle, 0

    def work(self, input_items, output_items):
        for window in input_items[0]:
            iq = np.stack([window.real, window.imag])[None].astype(np.float32)
            self.bundle.predict(iq)
            self.count += 1
        return len(input_items[0])


def make_bundle(folder, length, threads):
    preset = get_preset("sig2019")
    path = os.path.join(folder, f"pet_{length}.onnx")
    torch.manual_seed(0)
    export(build("pet_cgdnn", 12, length).eval(), path, preset.labels)
    return path


def samples(length, windows):
    stream = BurstStream(burst_len=length, seed=1)
    chunks, n = [], 0
    while n < length * windows:
        x, _ = stream.next_chunk()
        chunks.append(x)
        n += len(x)
    return np.concatenate(chunks)[: length * windows]


def run_block(path, x, threads, max_batch=64):
    """(a): vector source -> classifier (blocking) -> message sink (GNU Radio's C++ message_debug)."""
    tb = gr.top_block()
    src = blocks.vector_source_c(x.tolist(), False)
    cls = modrec.classifier(path, mode="blocking", max_batch=max_batch, threads=threads)
    sink = blocks.message_debug()
    tb.connect(src, cls)
    tb.msg_connect(cls, "probs", sink, "store")
    start = time.perf_counter()
    tb.run()
    return time.perf_counter() - start, cls.stats()


def run_naive(path, x, length, threads):
    tb = gr.top_block()
    bundle = load_bundle(path, threads=threads)
    block = naive_classifier(bundle, length)
    tb.connect(blocks.vector_source_c(x.tolist(), False), blocks.stream_to_vector(gr.sizeof_gr_complex, length), block)
    start = time.perf_counter()
    tb.run()
    return time.perf_counter() - start, block.count


def ceiling(path, x, length, threads, batch=256):
    bundle = load_bundle(path, threads=threads)
    w = x.reshape(-1, length)
    iq = normalize(np.stack([w.real, w.imag], axis=1).astype(np.float32), bundle.meta.normalization)
    bundle.predict_normalized(iq[:batch])
    start = time.perf_counter()
    for k in range(0, len(iq) - batch + 1, batch):
        bundle.predict_normalized(iq[k:k + batch])
    return (len(iq) // batch * batch) / (time.perf_counter() - start)


class count_sink(gr.basic_block):
    """Message sink that only counts (keeps nothing, so memory measures the classifier over a long run)."""

    def __init__(self):
        gr.basic_block.__init__(self, name="count_sink", in_sig=None, out_sig=None)
        self.count = 0
        self.message_port_register_in(pmt.intern("probs"))
        self.set_msg_handler(pmt.intern("probs"), self.handle)

    def handle(self, msg):
        self.count += 1


def run_realtime(path, rate, seconds, threads):
    """signal_source -> throttle (rate) -> classifier (realtime) for `seconds`; RSS sampled each second."""
    tb = gr.top_block()
    cls = modrec.classifier(path, mode="realtime", max_batch=64, threads=threads)
    sink = count_sink()
    src, throttle = modrec.signal_source(seed=4), blocks.throttle(gr.sizeof_gr_complex, rate)
    tb.connect(src, throttle, cls)  # (Python blocks must stay referenced while the flowgraph runs)
    tb.msg_connect(cls, "probs", sink, "probs")
    tb.start()
    rss = []
    for _ in range(int(seconds)):
        time.sleep(1.0)  # a benchmark's sampling clock, not synchronization
        rss.append(rss_mb())
    tb.stop()
    tb.wait()
    return rss, cls.stats(), sink.count


def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--windows", type=int, default=4000, help="windows per throughput run")
    ap.add_argument("--realtime-seconds", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3, help="throughput runs per figure (the median is printed)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        paths = {length: make_bundle(folder, length, args.threads) for length in (512, 128)}
        c512 = ceiling(paths[512], samples(512, 1024), 512, args.threads)
        rate = 3 * c512 * 512  # complex samples/s: three times what the model sustains
        rss, stats, received = run_realtime(paths[512], rate, args.realtime_seconds, args.threads)
        print(f"realtime 2x512 fed at {rate / 1e6:.2f} M samples/s (3x the model) for {len(rss)} s: "
              f"{stats['windows_in']} windows in, {stats['classified']} classified, {stats['dropped']} dropped, "
              f"{received} messages; latency p50 {stats['latency_p50_ms']:.0f} ms, p99 {stats['latency_p99_ms']:.0f} ms")
        marks = sorted({min(len(rss), m) for m in (5, len(rss) // 2, len(rss))})
        print("RSS (MB) at " + ", ".join(f"{m} s: {rss[m - 1]:.0f}" for m in marks))
        print(f"medians of {args.repeats} interleaved runs")
        print(f"{'config':<10} {'(a) block win/s':>16} {'(b) naive win/s':>16} {'(c) ORT batch win/s':>20} "
              f"{'(a) M samples/s':>16} {'a/b':>6} {'a/c':>6}")
        for length, path in paths.items():
            x = samples(length, args.windows)
            runs = []
            for _ in range(args.repeats):  # interleaved, so drift of a shared machine hits all three alike
                secs, stats = run_block(path, x, args.threads)
                secs_b, count_b = run_naive(path, x, length, args.threads)
                runs.append((stats["classified"] / secs, count_b / secs_b, ceiling(path, x, length, args.threads)))
            a, b, c = np.median(np.array(runs), axis=0)
            print(f"2x{length:<8} {a:>16,.0f} {b:>16,.0f} {c:>20,.0f} {a * length / 1e6:>16.3f} {a / b:>6.2f} {a / c:>6.2f}")
    return 0


if __name__ == "__main__":
    cli.run(main)
