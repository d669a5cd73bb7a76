#!/usr/bin/env python3
"""Synthesis speed, side by side in one run: our vectorized synthesizer per preset against GNU
Radio's gr-digital modulators (alone, and with a channel model) making comparable signals.

GNU Radio is timed twice: as one continuous stream with fixed parameters (its best case) and
as a flowgraph per labelled example with its own parameters (the data-set workload). Prints
complex samples per second and the ratios; --full also times writing the whole sig2019
data set (468,000 x 512) to HDF5 as apps/make_dataset.py does.
"""
import argparse
import os
import tempfile
import time

import numpy as np

from modrec_core import cli, dataset
from modrec_core.synthesis import get_preset, synthesize


def best_rate(fn, samples, repeats):
    """Complex samples per second of the fastest of `repeats` calls."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return samples / best


def ours(preset_name, n):
    preset = get_preset(preset_name)
    labels = np.arange(n) % len(preset.classes)
    snr = np.asarray(preset.snr_levels, np.float32)[np.arange(n) % len(preset.snr_levels)]
    return lambda: synthesize(preset, labels, snr, seed=0), n * preset.length


def gnuradio_chain(with_channel, samples):
    """QPSK, 8 samples/symbol, excess bandwidth 0.35 (+ AWGN, CFO and clock offset)."""
    from gnuradio import blocks, channels, digital, gr

    def run():
        tb = gr.top_block()
        data = np.random.default_rng(0).integers(0, 256, 1 << 16).astype(np.uint8).tolist()
        src = blocks.vector_source_b(data, True)
        mod = digital.generic_mod(digital.constellation_qpsk().base(), samples_per_symbol=8, excess_bw=0.35)
        head = blocks.head(gr.sizeof_gr_complex, samples)
        tb.connect(src, mod)
        last = mod
        if with_channel:
            chan = channels.channel_model(noise_voltage=0.1, frequency_offset=0.05, epsilon=1.0001)
            tb.connect(mod, chan)
            last = chan
        tb.connect(last, head, blocks.null_sink(gr.sizeof_gr_complex))
        tb.run()

    return run, samples


def gnuradio_per_example(examples):
    """The data-set workload in GNU Radio: one flowgraph per 512-sample example, each with its own
    roll-off, CFO and noise (as a generator of labelled examples must do)."""
    from gnuradio import blocks, channels, digital, gr

    rng = np.random.default_rng(0)

    def run():
        for _ in range(examples):
            tb = gr.top_block()
            src = blocks.vector_source_b(rng.integers(0, 256, 40).astype(np.uint8).tolist(), False)
            mod = digital.generic_mod(digital.constellation_qpsk().base(), samples_per_symbol=8,
                                      excess_bw=float(rng.uniform(0.2, 0.7)))
            chan = channels.channel_model(noise_voltage=0.1, frequency_offset=float(rng.uniform(-0.1, 0.1)))
            head = blocks.head(gr.sizeof_gr_complex, 512)
            tb.connect(src, mod, chan, head, blocks.null_sink(gr.sizeof_gr_complex))
            tb.run()

    return run, examples * 512


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--examples", type=int, default=8192, help="examples per synthesize() call")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="also time the full sig2019 set written to HDF5")
    args = ap.parse_args(argv)
    rows = [(f"modrec synthesize {p} (1 thread)", *ours(p, args.examples)) for p in ("sig2019", "sig2019_field", "rml2016a", "rml2018")]
    try:
        rows += [("gr-digital QPSK modulator alone", *gnuradio_chain(False, 4_000_000)),
                 ("gr-digital QPSK modulator + channel_model", *gnuradio_chain(True, 2_000_000)),
                 ("gr-digital + channel_model, flowgraph per example", *gnuradio_per_example(200))]
    except ImportError as e:
        print(f"GNU Radio not importable here ({e}); printing our figures only")
    rates = {name: best_rate(fn, samples, args.repeats) for name, fn, samples in rows}
    bases = [rates.get("gr-digital QPSK modulator + channel_model"),
             rates.get("gr-digital + channel_model, flowgraph per example")]
    print(f"{'generator':<50} {'M complex samples/s':>20} {'vs GR stream':>13} {'vs GR per example':>18}")
    for name, rate in rates.items():
        ratios = [f"{rate / b:.2f}x" if b else "" for b in bases]
        print(f"{name:<50} {rate / 1e6:>20.3f} {ratios[0]:>13} {ratios[1]:>18}")
    if args.full:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            n = dataset.write_synthetic(os.path.join(tmp, "sig2019.h5"), "sig2019", 1500, 0)
            secs = time.perf_counter() - start
        print(f"full sig2019 set ({n} x 512 = {n * 512 / 1e6:.0f} M samples) written to HDF5 in {secs:.1f} s "
              f"({n * 512 / secs / 1e6:.1f} M samples/s, 2 threads; goal <= 60 s)")
    return 0


if __name__ == "__main__":
    cli.run(main)
