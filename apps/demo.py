#!/usr/bin/env python3
"""Demo: examples/synth_headless.grc compiled with grcc and run: the Modulation Signal Source's
Sig2019-12 bursts go through the Modulation Classifier, and the accuracy monitor prints running
accuracy against the source's ground truth.

Uses the shipped bundle models/pet_cgdnn_sig2019.onnx; until that exists, a freshly exported
untrained PET-CGDNN (so the accuracy printed is chance level, about 8%).
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(ROOT, "models", "pet_cgdnn_sig2019.onnx")


def untrained_bundle(folder):
    """A random-weight PET-CGDNN bundle for 2x512 Sig2019-12 windows."""
    import torch

    from modrec_core.bundle import export
    from modrec_core.models import build
    from modrec_core.synthesis import get_preset

    preset = get_preset("sig2019")
    path = os.path.join(folder, "pet_cgdnn_sig2019_untrained.onnx")
    torch.manual_seed(0)
    export(build("pet_cgdnn", len(preset.classes), preset.length).eval(), path, preset.labels,
           trained_on={"preset": "sig2019", "seed": "none", "samples_per_symbol": preset.sps})
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", help="model bundle (default: the shipped PET-CGDNN)")
    ap.add_argument("--windows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    out = os.path.join(ROOT, "build", "examples")
    os.makedirs(out, exist_ok=True)
    bundle = args.bundle or (SHIPPED if os.path.exists(SHIPPED) else None)
    if bundle is None:
        bundle = untrained_bundle(out)
        print(f"no trained bundle at {SHIPPED} yet: using an untrained one (expect chance-level accuracy)")
    subprocess.run(["grcc", "-o", out, os.path.join(ROOT, "examples", "synth_headless.grc")], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"classifying {args.windows} Sig2019-12 windows with {os.path.relpath(bundle, ROOT)}")
    return subprocess.run([sys.executable, os.path.join(out, "synth_headless.py"), "-b", bundle,
                           "-n", str(args.windows), "-s", str(args.seed)]).returncode


if __name__ == "__main__":
    sys.exit(main())
