#!/usr/bin/env python3
"""Write the open-set evaluation file (docs/open-set.md): windows of signals no Sig2019-12 bundle
knows, for `apps/evaluate.py --ood`.

    apps/make_ood_set.py --per-class-snr 20 --seed 7 --out runs/ood.h5

Holds the `sig2019_unknown` preset's 16 classes (RML2018's classes outside Sig2019-12, made by
our synthesizer under Sig2019-12's conditions), `OFDM` made by GNU Radio's own `ofdm_tx` with
gr-channels' CFO, phase and noise, both at Sig2019-12's SNR levels, and `noise`: windows with no
signal, half white and half through a receiver-like low-pass filter (snr_db NaN).
"""
import argparse

import numpy as np
from scipy import signal

from modrec_core import cli, dataset
from modrec_core.synthesis import get_preset, synthesize, streams
from modrec_core.synthesis.synthesizer import to_iq

NOISE, NOISE_PASSBAND = "noise", 0.8  # the coloured half: a 31-tap low-pass over 80 % of the band


def synthetic_unknowns(per_class_snr, seed):
    preset = get_preset("sig2019_unknown")
    labels, snr = dataset.balanced_design(len(preset.classes), preset.snr_levels, per_class_snr)
    return synthesize(preset, labels, snr, seed).iq(), labels, snr, preset


def gnuradio_ofdm(per_class_snr, snr_levels, length, rng):
    from gnuradio.modrec import reference

    parts = [reference.windows(reference.OFDM, "timing", snr, per_class_snr, length, rng) for snr in snr_levels]
    return to_iq(np.concatenate(parts)), np.repeat(np.asarray(snr_levels, np.float32), per_class_snr)


def noise_windows(count, length, rng):
    z = (rng.standard_normal((count, length)) + 1j * rng.standard_normal((count, length))) / np.sqrt(2)
    coloured = signal.lfilter(signal.firwin(31, NOISE_PASSBAND), 1.0, z[count // 2:], axis=-1)
    return to_iq(np.concatenate([z[:count // 2], coloured]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-class-snr", type=int, default=20, help="windows per class and SNR level")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="output .h5 path")
    args = ap.parse_args(argv)
    dataset.check_per_class_snr(args.per_class_snr)
    iq, labels, snr, preset = synthetic_unknowns(args.per_class_snr, args.seed)
    rng = streams.generator(args.seed, streams.OOD_KEY)
    ofdm, ofdm_snr = gnuradio_ofdm(args.per_class_snr, preset.snr_levels, preset.length, rng)
    noise = noise_windows(len(ofdm), preset.length, rng)
    names = preset.labels + ["OFDM", NOISE]
    data = dataset.Dataset(
        np.concatenate([iq, ofdm, noise]),
        np.concatenate([labels, np.full(len(ofdm), len(names) - 2), np.full(len(noise), len(names) - 1)]),
        np.concatenate([snr, ofdm_snr, np.full(len(noise), np.nan, np.float32)]), names)
    dataset.write(args.out, data, {"preset": "open-set", "seed": args.seed, "samples_per_symbol": preset.sps})
    print(f"wrote {len(data.labels)} windows of {len(names)} unknown classes to {args.out}")
    return 0


if __name__ == "__main__":
    cli.run(main)
