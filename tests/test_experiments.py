"""The papers' other experiments: small-sample training, pruning, int8 quantization, other lengths."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
TINY = ["--preset", "sig2019", "--length", "64", "--train-per-class-snr", "10", "--eval-per-class-snr", "1",
        "--epochs", "1", "--batch-size", "128", "--threads", "1"]


def _app(name, *args):
    return subprocess.run([sys.executable, str(ROOT / "apps" / name), *args], capture_output=True, text=True,
                          env=ENV, timeout=600)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny small-sample (eta) PET-CGDNN run and its bundle."""
    out = tmp_path_factory.mktemp("run")
    r = _app("train_and_export.py", "--model", "pet_cgdnn", *TINY, "--eta", "0.2", "--out", str(out / "run"),
             "--bundle", str(out / "pet.onnx"))
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def test_small_sample_training_uses_eta_of_the_set(run):
    log = (run / "run" / "train.log").read_text()
    assert "624 training examples per epoch" in log  # 0.2 x 10 per class and SNR x 12 x 26
    assert json.loads((run / "run" / "run.json").read_text())["eta"] == 0.2


def test_pruning_reaches_the_target_sparsity(run):
    out = run / "prune.json"
    r = _app("prune.py", "--run", str(run / "run"), "--sparsities", "0.5", "--steps", "4", "--batch-size", "64",
             "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    dense, pruned = rows[0]["nonzero"], rows[1]["nonzero"]
    assert rows[1]["sparsity"] == 0.5 and 0.45 * dense < dense - pruned < 0.6 * dense  # weights are most parameters
    assert "| 0.50 |" in r.stdout


def test_int8_quantization_keeps_the_contract(run, tmp_path):
    data = tmp_path / "d.h5"
    r = _app("make_dataset.py", "--preset", "sig2019", "--per-class-snr", "5", "--seed", "2", "--out", str(data))
    assert r.returncode == 0
    bundle = tmp_path / "pet512.onnx"
    subprocess.run([sys.executable, "-c", f"""
import torch
from modrec_core.bundle import export
from modrec_core.models import build
from modrec_core.synthesis import get_preset
export(build('cnn2d', 12, 512).eval(), {str(bundle)!r}, get_preset('sig2019').labels)
"""], check=True, env=ENV)
    r = _app("quantize.py", "--bundle", str(bundle), "--data", str(data))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "| int8 weights |" in r.stdout
    q = tmp_path / "pet512_int8.onnx"
    assert q.stat().st_size < 0.5 * bundle.stat().st_size
    from modrec_core.bundle import load_bundle

    assert load_bundle(str(q)).meta.labels == load_bundle(str(bundle)).meta.labels
    missing = _app("quantize.py", "--bundle", str(tmp_path / "absent.onnx"), "--data", str(data))
    assert missing.returncode == 1 and "no such bundle file" in missing.stderr and "Traceback" not in missing.stderr
    other = tmp_path / "rml.h5"
    assert _app("make_dataset.py", "--preset", "rml2016a", "--per-class-snr", "5", "--out", str(other)).returncode == 0
    short = tmp_path / "sig128.onnx"
    subprocess.run([sys.executable, "-c", f"""
from modrec_core.bundle import export
from modrec_core.models import build
from modrec_core.synthesis import get_preset
export(build('cnn2d', 12, 128).eval(), {str(short)!r}, get_preset('sig2019').labels)
"""], check=True, env=ENV)
    foreign = _app("quantize.py", "--bundle", str(short), "--data", str(other), "--out", str(tmp_path / "q.onnx"))
    assert foreign.returncode == 1 and "are unknown to the bundle" in foreign.stderr  # not a silent wrong score


def test_other_window_lengths(run, tmp_path):
    r = _app("train_and_export.py", "--model", "gru2", *TINY, "--out", str(tmp_path / "g"), "--bundle",
             str(tmp_path / "gru2.onnx"))
    assert r.returncode == 0, r.stderr[-2000:]
    r = _app("eval_lengths.py", "--bundle", str(tmp_path / "gru2.onnx"), "--lengths", "64", "128",
             "--per-class-snr", "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "| 64 |" in r.stdout and "| 128 |" in r.stdout
    fixed = _app("eval_lengths.py", "--bundle", str(run / "pet.onnx"))
    assert fixed.returncode != 0 and "takes only 64-sample windows" in fixed.stderr
    foreign = _app("eval_lengths.py", "--bundle", str(tmp_path / "gru2.onnx"), "--preset", "rml2016a")
    assert foreign.returncode == 1 and "are unknown to the bundle" in foreign.stderr


def test_bench_models_times_shipped_bundles(run):
    r = _app("bench_models.py", "--bundles", str(run / "pet.onnx"), "--threads", "1", "--min-seconds", "0.05")
    assert r.returncode == 0, r.stderr[-2000:]
    row = [line for line in r.stdout.splitlines() if line.startswith("| pet.onnx")]
    assert len(row) == 1 and "| 2x64/12 |" in row[0]
    rates = [float(cell.replace(",", "")) for cell in row[0].strip("|").split("|")[2:]]
    assert all(rate > 0 for rate in rates)


def test_learning_curves_are_read_from_run_logs(tmp_path):
    log = tmp_path / "hybrid" / "train.log"
    log.parent.mkdir()
    log.write_text("2026-12-01 10:00:00,000 cyclic_hybrid on sig2019: ...\n"
                   "2026-12-01 10:01:30,000 epoch 1: train loss 2.0 acc 0.3 | val loss 1.5 acc 0.4500 | lr 1e-3\n"
                   "2026-12-01 10:03:00,000 epoch 2: train loss 1.5 acc 0.5 | val loss 1.2 acc 0.5500 | lr 1e-3\n")
    run = _app("plot_learning_curves.py", str(log), "--out", str(tmp_path / "c.png"))
    assert run.returncode == 0, run.stderr
    assert "hybrid: 2 epochs, 3.0 min, best val 55.00 %" in run.stdout
    assert (tmp_path / "c.png").stat().st_size > 1000
    empty = tmp_path / "empty.log"
    empty.write_text("2026-12-01 10:00:00,000 started\n")
    run = _app("plot_learning_curves.py", str(empty), "--out", str(tmp_path / "d.png"))
    assert run.returncode != 0 and "no epoch lines" in run.stderr and not (tmp_path / "d.png").exists()


def test_equalizer_headroom_scores_a_bundle_three_ways():
    r = _app("equalizer_headroom.py", "--bundle", str(ROOT / "models/cyclic_hybrid_sig2019_field.onnx"),
             "--per-class-snr", "3", "--threads", "1")
    assert r.returncode == 0, r.stderr[-2000:]
    rows = {line.split("|")[1].strip(): float(line.split("|")[2].strip(" %"))
            for line in r.stdout.splitlines()[2:]}
    assert set(rows) == {"through multipath", "oracle MMSE equalizer", "oracle, magnitude only", "flat channel"}
    assert rows["oracle MMSE equalizer"] > rows["through multipath"]  # undoing the echoes helps
    bad = _app("equalizer_headroom.py", "--bundle", str(ROOT / "models/pet_cgdnn_rml2016a.onnx"))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_train_equalizer_writes_a_checkpoint_the_trainer_starts_from(tmp_path):
    """Two steps of the equalizer ahead of a tiny hybrid run's weights, then one epoch of the
    equalized hybrid from them: the two apps chained as docs/field.md chains them."""
    hybrid = tmp_path / "hybrid"
    r = _app("train_and_export.py", "--model", "cyclic_hybrid", *TINY, "--out", str(hybrid))
    assert r.returncode == 0, r.stderr[-2000:]
    eq = tmp_path / "eq"
    r = _app("train_equalizer.py", "--out", str(eq), "--steps", "2", "--batch-size", "8", "--threads", "1",
             "--classifier", str(hybrid / "checkpoint.pt"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert (eq / "equalizer.pt").exists() and "step 2/2" in (eq / "train.log").read_text()
    r = _app("train_and_export.py", "--model", "equalized_cyclic_hybrid", *TINY, "--out", str(tmp_path / "both"),
             "--init-from", str(eq / "best.pt"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "initialized from" in (tmp_path / "both" / "train.log").read_text()
    bad = _app("train_equalizer.py", "--out", str(tmp_path / "x"), "--classifier", str(tmp_path / "none.pt"))
    assert bad.returncode == 1 and "no such checkpoint" in bad.stderr and "Traceback" not in bad.stderr
    wrong = _app("train_equalizer.py", "--out", str(tmp_path / "w"), "--init-from", str(hybrid / "checkpoint.pt"))
    assert wrong.returncode == 1 and "is for cyclic_hybrid, not equalized_cyclic_hybrid" in wrong.stderr
    assert not (tmp_path / "w" / "equalizer.pt").exists()  # refused before any training
    again = tmp_path / "again"  # both halves from the equalized run: its equalizer goes on, its classifier stays
    r = _app("train_equalizer.py", "--out", str(again), "--steps", "1", "--batch-size", "8", "--threads", "1",
             "--init-from", str(eq / "best.pt"), "--classifier", str(eq / "best.pt"))
    assert r.returncode == 0, r.stderr[-2000:]
    first, second = (torch.load(d / "best.pt", weights_only=False)["best_model"] for d in (eq, again))
    assert all(torch.equal(v, second[k]) for k, v in first.items() if k.startswith("classifier."))
    assert not torch.equal(first["equalizer.head.2.weight"], second["equalizer.head.2.weight"])
