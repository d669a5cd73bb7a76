"""Training: learning on an easy subset, exact resume after a kill, DDP ranks agree, the CLIs."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from modrec_core import training
from modrec_core.bundle import export
from modrec_core.dataset import Dataset
from modrec_core.models import build
from modrec_core.normalize import normalize
from modrec_core.synthesis import get_preset, synthesize

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python")}


def easy_dataset(n_per_class=600, length=64):
    """BPSK, 2FSK and 16QAM at 20-30 dB without CFO: separable after a little training."""
    preset = get_preset("sig2019").with_length(length).without("cfo")
    names = ["BPSK", "2FSK", "16QAM"]
    idx = np.repeat([preset.class_index(n) for n in names], n_per_class)
    b = synthesize(preset, idx, np.random.default_rng(0).choice([20.0, 24.0, 30.0], len(idx)), seed=4)
    return Dataset(b.iq(), np.repeat(np.arange(3), n_per_class), b.snr_db, names)


@pytest.mark.parametrize("bf16", [False, True], ids=["float32", "bf16-autocast"])
def test_learning_happens_on_an_easy_subset(tmp_path, bf16):
    torch.manual_seed(0)
    data = training.fixed_data(easy_dataset(), seed=1)
    model = build("cnn2d", 3, 64)
    recipe = training.Recipe(lr=3e-3, batch_size=32, epochs=4, schedule="onecycle", stop_patience=0)
    trainer = training.Trainer(model, data, recipe, str(tmp_path), "maxmin", log=lambda *_: None, bf16=bf16)
    model.load_state_dict(trainer.run())
    _, val_acc = trainer.validate()
    assert val_acc > 0.7  # chance is 1/3
    assert all(p.dtype == torch.float32 for p in model.parameters())  # autocast leaves the weights float32
    assert val_acc == pytest.approx(max(h["val_acc"] for h in trainer.state.history))  # the best epoch is kept


class _KilledData(training.TrainData):
    """Raises at one batch, as a kill would, after the checkpoint of the batch before it."""

    def batch(self, epoch, k, batch_size):
        if (epoch, k) == (1, 3):
            raise KeyboardInterrupt
        return super().batch(epoch, k, batch_size)


def _trainer(data, out, epochs=2):
    torch.manual_seed(0)
    recipe = training.Recipe(lr=2e-3, batch_size=16, epochs=epochs, schedule="onecycle", stop_patience=0)
    return training.Trainer(build("pet_cgdnn", 3, 64), data, recipe, str(out), "maxmin", checkpoint_seconds=0,
                            log=lambda *_: None)


def test_resume_after_a_kill_mid_epoch_gives_the_same_model(tmp_path):
    data = training.fixed_data(easy_dataset(40), seed=2)
    straight = _trainer(data, tmp_path / "a").run()
    killed = _trainer(_KilledData(**data.__dict__), tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        killed.run()
    resumed = _trainer(data, tmp_path / "b")
    assert resumed.resume() and resumed.state.epoch == 1 and resumed.state.step == 3
    final = resumed.run()
    for k in straight:
        assert torch.equal(straight[k], final[k]), k


def test_prefetched_batches_train_the_same_model(tmp_path):
    data = training.fixed_data(easy_dataset(40), seed=2)
    plain = _trainer(data, tmp_path / "a").run()
    ahead = _trainer(data, tmp_path / "b")
    ahead.prefetch = 2  # what a GPU run uses: batches made in threads while the step runs
    prefetched = ahead.run()
    assert ahead.state.examples == 2 * data.per_epoch
    for k in plain:
        assert torch.equal(plain[k], prefetched[k]), k


def test_init_from_starts_a_new_schedule_from_the_best_weights(tmp_path):
    data = training.fixed_data(easy_dataset(40), seed=2)
    first = _trainer(data, tmp_path / "a", epochs=1)
    best = first.run()
    second = _trainer(data, tmp_path / "b")
    second.init_from(str(tmp_path / "a" / "checkpoint.pt"))
    for k in best:
        assert torch.equal(second.model.state_dict()[k], best[k]), k
    assert second.state.epoch == 0  # a fresh schedule, not a resume
    with pytest.raises(ValueError, match="no such checkpoint"):
        second.init_from(str(tmp_path / "missing.pt"))
    other = training.Trainer(build("gru2", 3, 64), data, second.recipe, str(tmp_path / "c"), "maxmin", log=lambda *_: None)
    with pytest.raises(ValueError, match="checkpoint is for pet_cgdnn, not gru2"):
        other.init_from(str(tmp_path / "a" / "checkpoint.pt"))
    torch.save({"best_model": best, "state": {"best_epoch": 0}}, tmp_path / "best.pt")  # as models/resume keeps
    third = _trainer(data, tmp_path / "d")
    third.init_from(str(tmp_path / "best.pt"))
    assert all(torch.equal(third.model.state_dict()[k], best[k]) for k in best)
    with pytest.raises(ValueError, match="its weights are not gru2's"):
        other.init_from(str(tmp_path / "best.pt"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train_cli(*args, timeout=600):
    return subprocess.run([sys.executable, str(ROOT / "apps/train_and_export.py"), *args], capture_output=True,
                          text=True, env=ENV, timeout=timeout)


TINY = ["--preset", "sig2019", "--length", "64", "--train-per-class-snr", "1", "--eval-per-class-snr", "1",
        "--epochs", "1", "--batch-size", "104", "--threads", "1"]


def test_ddp_two_processes_agree(tmp_path):
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                          "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
                          str(ROOT / "apps/train_and_export.py"), "--model", "gru2", *TINY, "--out", str(tmp_path / "run"),
                          "--bundle", str(tmp_path / "b.onnx")], capture_output=True, text=True, env=ENV, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    sums = [json.loads((tmp_path / "run" / f"rank{r}.json").read_text())["parameter_sum"] for r in (0, 1)]
    assert sums[0] == sums[1]
    assert (tmp_path / "b.onnx").exists()
    assert "2 process(es)" in (tmp_path / "run" / "train.log").read_text()


def test_train_and_export_cli_writes_bundle_report_and_log(tmp_path):
    out, bundle = tmp_path / "run", tmp_path / "gru2.onnx"
    run = _train_cli("--model", "gru2", *TINY, "--out", str(out), "--bundle", str(bundle), "--torchscript")
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((out / "report" / "report.json").read_text())
    assert set(report["accuracy_per_snr"]) == {f"{s:g}" for s in get_spec_levels()}
    assert report["parameters"] == 151_179 - 11 * 129 + 12 * 129
    assert bundle.exists() and bundle.with_suffix(".pt").exists() and (out / "report" / "accuracy_vs_snr.png").exists()
    assert "test accuracy" in (out / "train.log").read_text()
    again = _train_cli("--model", "gru2", *TINY, "--out", str(out))
    assert again.returncode != 0 and "--resume" in again.stderr
    resumed = _train_cli("--model", "gru2", *TINY, "--out", str(out), "--bundle", str(bundle), "--resume")
    assert resumed.returncode == 0 and "resumed from" in resumed.stderr
    student = _train_cli("--model", "gru2", *TINY, "--out", str(tmp_path / "student"), "--teacher", str(bundle),
                         "--distill-weight", "0.5")
    assert student.returncode == 0, student.stderr[-2000:]
    config = json.loads((tmp_path / "student" / "run.json").read_text())
    assert config["teachers"] == [str(bundle)] and config["recipe"]["distill_weight"] == 0.5



def test_bundle_goes_to_the_run_folder_unless_told_otherwise(tmp_path):
    shipped = sorted((ROOT / "models").glob("*.onnx"))
    before = {p: p.stat().st_mtime_ns for p in shipped}
    run = _train_cli("--model", "pet_cgdnn", *TINY, "--out", str(tmp_path / "r"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "r" / "pet_cgdnn_sig2019.onnx").exists()
    assert {p: p.stat().st_mtime_ns for p in shipped} == before  # no shipped bundle rewritten


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "epochs must be at least 1, got 0"),
    (["--lr", "-1"], "lr must be a positive number"),
    (["--model-option", "widht=4"], "gru2 has no option widht"),
    (["--train-per-class-snr", "0"], "train_per_class_snr must be a whole number >= 1, got 0"),
    (["--eval-per-class-snr", "0"], "eval_per_class_snr must be a whole number >= 1, got 0"),
    (["--threads", "-1"], "--threads must be >= 1, got -1"),
    (["--resume"], "nothing to resume in"),
    (["--distill-weight", "0.5"], "distillation needs both --teacher bundles and --distill-weight > 0"),
    (["--teacher", str(ROOT / "models/pet_cgdnn_rml2016a.onnx"), "--distill-weight", "0.5"], "are not the run's"),
    (["--distill-weight", "2"], "distill_weight must be in [0, 1], got 2.0"),
    (["--min-snr", "40"], "preset sig2019 has no SNR level >= 40 dB (its levels: -20 to 30 dB)"),
], ids=["epochs", "lr", "model-option", "no-training-examples", "no-eval-examples", "threads", "resume-nothing",
        "distill-without-teacher", "teacher-of-other-classes", "distill-weight", "min-snr-above-every-level"])
def test_bad_training_arguments_end_in_one_line_not_a_traceback(tmp_path, args, message):
    run = _train_cli("--model", "gru2", *TINY, "--out", str(tmp_path / "r"), *args)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("train_and_export.py: ") and message in last
    assert not (tmp_path / "r" / "checkpoint.pt").exists()


def test_resume_with_another_models_folder_refuses_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    assert _train_cli("--model", "gru2", *TINY, "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != "train.log"}
    run = _train_cli("--model", "pet_cgdnn", *TINY, "--out", str(out), "--resume")
    assert run.returncode == 1 and "checkpoint is for gru2" in run.stderr.strip().splitlines()[-1]
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != "train.log"} == before
    assert json.loads((out / "run.json").read_text())["model"] == "gru2"


def get_spec_levels():
    return get_preset("sig2019").snr_levels


def test_cuda_request_without_a_gpu_is_a_clear_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the no-GPU error cannot be shown here")
    run = _train_cli("--model", "gru2", *TINY, "--out", str(tmp_path / "r"), "--device", "cuda")
    assert run.returncode != 0 and "no CUDA device" in run.stderr


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (torch sees none)")
def test_cuda_training_learns_with_prefetched_batches(tmp_path):
    torch.manual_seed(0)
    data = training.fixed_data(easy_dataset(), seed=1)
    recipe = training.Recipe(lr=3e-3, batch_size=32, epochs=4, schedule="onecycle", stop_patience=0)
    trainer = training.Trainer(build("cnn2d", 3, 64).cuda(), data, recipe, str(tmp_path), "maxmin",
                               device="cuda", log=lambda *_: None, bf16=True)
    assert trainer.prefetch > 0
    trainer.model.load_state_dict(trainer.run())
    assert trainer.validate()[1] > 0.7  # chance is 1/3
    run = _train_cli("--model", "gru2", *TINY, "--out", str(tmp_path / "r"), "--bundle", str(tmp_path / "b.onnx"),
                     "--device", "cuda")
    assert run.returncode == 0 and "on cuda:0" in run.stderr and (tmp_path / "b.onnx").exists()


def test_evaluate_and_compare_clis(tmp_path):
    bundle = tmp_path / "b.onnx"
    assert _train_cli("--model", "gru2", *TINY, "--out", str(tmp_path / "r"), "--bundle", str(bundle)).returncode == 0
    data = tmp_path / "d.h5"
    subprocess.run([sys.executable, str(ROOT / "apps/make_dataset.py"), "--preset", "sig2019", "--per-class-snr", "5",
                    "--seed", "3", "--out", str(data)], check=True, env=ENV, capture_output=True)
    evaluate = [sys.executable, str(ROOT / "apps/evaluate.py"), "--data", str(data), "--out"]
    ok = subprocess.run(evaluate + [str(tmp_path / "e"), "--bundle", str(bundle)], capture_output=True, text=True, env=ENV)
    assert ok.returncode == 0, ok.stderr  # gru2 takes any length: trained at 64, evaluated at 512
    report = json.loads((tmp_path / "e" / "report.json").read_text())
    assert report["examples"] == 12 * 26 * 1 and 0 <= report["overall_accuracy"] <= 1  # the file's test split
    fixed = tmp_path / "pet64.onnx"
    export(build("pet_cgdnn", 12, 64), str(fixed), get_preset("sig2019").labels)
    bad = subprocess.run(evaluate + [str(tmp_path / "e2"), "--bundle", str(fixed)], capture_output=True, text=True, env=ENV)
    assert bad.returncode != 0 and "(B, 2, 64)" in bad.stderr  # a clear error, not a crash
    other = tmp_path / "other.onnx"
    export(build("gru2", 2, 64), str(other), ["BPSK", "QPSK"])
    bad = subprocess.run(evaluate + [str(tmp_path / "e3"), "--bundle", str(other)], capture_output=True, text=True, env=ENV)
    assert bad.returncode != 0 and "unknown to the bundle" in bad.stderr
    ev = subprocess.run([sys.executable, str(ROOT / "apps/compare.py"), str(tmp_path / "r/report/report.json"),
                         "--out", str(tmp_path / "cmp.png")], capture_output=True, text=True, env=ENV)
    assert ev.returncode == 0 and "| gru2 (sig2019) |" in ev.stdout and (tmp_path / "cmp.png").exists()


def test_crop_training_for_any_length_models(tmp_path):
    data = training.fixed_data(easy_dataset(60), seed=1)
    recipe = training.Recipe(batch_size=32, epochs=1, schedule="onecycle", stop_patience=0)
    seen = []
    model = build("gru2", 3, 64)
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape[2]))
    trainer = training.Trainer(model, data, recipe, str(tmp_path), "maxmin", log=lambda *_: None, crop=32)
    trainer.run()
    assert 32 in seen and 64 in seen  # trained on crops, validated on whole windows
    with pytest.raises(ValueError, match="any window length"):
        training.Trainer(build("pet_cgdnn", 3, 64), data, recipe, str(tmp_path / "x"), "maxmin", crop=32)


def test_a_crop_share_trains_on_both_lengths_and_calibrates_batchnorm_on_both(tmp_path):
    data = training.fixed_data(easy_dataset(60), seed=1)
    x = data.batch(0, 0, 32)[0]
    lengths = [training.crop_batch(x, 1, 0, k, 32, 0.5).shape[2] for k in range(200)]
    assert set(lengths) == {32, 64} and 0.35 < lengths.count(32) / 200 < 0.65
    assert lengths == [training.crop_batch(x, 1, 0, k, 32, 0.5).shape[2] for k in range(200)]  # the same every time
    assert {training.crop_batch(x, 1, 0, k, 32).shape[2] for k in range(20)} == {32}  # no share: every batch
    model = build("cldnn", 3, 64)  # any length, with BatchNorm
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape[2]))
    training.recalibrate_batchnorm(model, data, "maxmin", 0, batch_size=2, crop=32, crop_share=0.5)
    mixed, seen[:] = list(seen), []
    training.recalibrate_batchnorm(model, data, "maxmin", 0, batch_size=2)
    assert {32, 64} <= set(mixed) and set(seen) == {64}


def test_min_snr_synthesizes_only_the_levels_at_or_above_it():
    data = training.synthetic_data("sig2019", 3, 2, 1, length=64, min_snr_db=10)
    assert sorted(set(data.val.snr_db.tolist())) == [float(s) for s in range(10, 31, 2)]
    assert data.per_epoch == 2 * 12 * 11 and data.meta["min_snr_db"] == 10.0
    iq, _ = data.batch(0, 0, data.per_epoch)
    power = (iq ** 2).sum(1).mean(1)  # a unit-power window plus noise: at most 1.1 at >= 10 dB, 101 at -20 dB
    assert power.max() < 1.3
    full, _ = training.synthetic_data("sig2019", 3, 2, 1, length=64).batch(0, 0, 2 * 12 * 26)
    assert (full ** 2).sum(1).mean(1).max() > 50


def test_batchnorm_recalibration_sets_exact_statistics_of_fresh_windows():
    data = training.synthetic_data("sig2019", 3, 2, 1, length=64)
    torch.manual_seed(0)
    model = build("signet2", 12, 64, backbone="resnet18", width=4).eval()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.running_mean.fill_(5.0)  # stale statistics the recalibration must replace
    seen = []
    bns[0].register_forward_hook(lambda m, args, out: seen.append(args[0].detach()))
    layers = training.recalibrate_batchnorm(model, data, "maxmin", epoch=4, examples=512, batch_size=256)
    assert layers == len(bns) > 1
    inputs = torch.cat(seen)  # the stem's first BatchNorm (1-D): its input does not depend on any statistics
    assert inputs.shape[0] == 512
    assert torch.allclose(bns[0].running_mean, inputs.mean(dim=(0, 2)), atol=1e-5)
    assert all(not torch.any(bn.running_mean == 5.0) for bn in bns)
    assert all(not bn.training and bn.momentum == 0.1 for bn in bns)
    x, _ = data.batch(4, 0, 256)
    assert np.allclose(seen[0].numpy(), _first_bn_input(model, bns[0], x), atol=1e-6)  # windows of that epoch
    plain = build("lstm_ap", 12, 64)
    before = {k: v.clone() for k, v in plain.state_dict().items()}
    assert training.recalibrate_batchnorm(plain, data, "none", epoch=0) == 0
    assert all(torch.equal(before[k], v) for k, v in plain.state_dict().items())


def _first_bn_input(model, bn, x):
    """What `bn` receives when the model (in eval mode) runs on windows x."""
    got = []
    handle = bn.register_forward_hook(lambda m, args, out: got.append(args[0].numpy()))
    with torch.no_grad():
        model(torch.from_numpy(training.normalize(x, "maxmin")))
    handle.remove()
    return got[0]


def test_evaluate_takes_nan_snr_labels_and_names_an_empty_test_split(tmp_path):
    import h5py

    bundle = tmp_path / "b.onnx"
    export(build("gru2", 2, 64), str(bundle), ["BPSK", "QPSK"])
    rng = np.random.default_rng(0)
    evaluate = [sys.executable, str(ROOT / "apps/evaluate.py"), "--bundle", str(bundle), "--out"]
    for name, split in (("nan.h5", None), ("empty.h5", np.zeros(6, np.uint8))):
        with h5py.File(tmp_path / name, "w") as f:
            f["iq"] = rng.standard_normal((6, 2, 64)).astype(np.float32)
            f["label"], f["snr_db"] = np.array([0, 1] * 3), np.full(6, np.nan, np.float32)  # SigMF: SNR unknown
            f.attrs["labels"] = json.dumps(["BPSK", "QPSK"])
            if split is not None:
                f["split"] = split  # every row in 'train'
    ok = subprocess.run(evaluate + [str(tmp_path / "e"), "--data", str(tmp_path / "nan.h5")], capture_output=True,
                        text=True, env=ENV, timeout=300)
    assert ok.returncode == 0, ok.stderr
    report = json.loads((tmp_path / "e" / "report.json").read_text())
    assert report["examples"] == 6 and report["accuracy_per_snr"] == {} and "no SNR labels" in ok.stdout
    bad = subprocess.run(evaluate + [str(tmp_path / "e2"), "--data", str(tmp_path / "empty.h5")], capture_output=True,
                         text=True, env=ENV, timeout=300)
    assert bad.returncode == 1 and bad.stderr.strip().endswith("its test split is empty (split holds no row marked 'test')")


def test_symmetry_augmentation_preserves_power_and_applies_each_transform():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 2, 16)).astype(np.float32)
    out = training.augment(x, ["rot90", "conj", "reverse"], np.random.default_rng(1))
    assert out.shape == x.shape and np.allclose((out ** 2).sum(axis=(1, 2)), (x ** 2).sum(axis=(1, 2)), rtol=1e-5)
    z, w = x[:, 0] + 1j * x[:, 1], out[:, 0] + 1j * out[:, 1]
    kinds, matched = set(), 0
    for a, b in zip(z, w):
        hit = False
        for k in range(4):
            for conj in (False, True):
                for rev in (False, True):
                    c = np.conj(a) if conj else a
                    c = c[::-1] if rev else c
                    if np.allclose(b, c * 1j ** k, atol=1e-6):
                        kinds.add((k, conj, rev))
                        hit = True
        matched += hit
    assert matched == len(x) and len(kinds) == 16  # every output is a transform; every combination occurs
    with pytest.raises(ValueError, match="unknown augmentation"):
        training.Recipe(augment="rot90+mirror")


def test_outlier_exposure_pulls_outliers_towards_uniform(tmp_path):
    """Same run with and without outlier exposure: the outliers' top probability drops with it."""
    easy = training.fixed_data(easy_dataset(), seed=3)
    data = training.TrainData(easy.label_names, easy.length, easy.val, easy.test, easy.train, preset="sig2019",
                              seed=3, per_epoch=easy.per_epoch)  # outliers under sig2019's conditions
    outliers = data.outlier_batch(0, 0, 64)
    assert outliers.shape == (16, 2, 64) and np.array_equal(outliers, data.outlier_batch(0, 0, 64))
    assert not np.array_equal(outliers, data.outlier_batch(0, 1, 64))
    top = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        recipe = training.Recipe(lr=3e-3, batch_size=32, epochs=4, schedule="onecycle", stop_patience=0,
                                 outlier_exposure=weight)
        model = build("cnn2d", 3, 64)
        trainer = training.Trainer(model, data, recipe, str(tmp_path / str(weight)), "maxmin", log=lambda *_: None)
        model.load_state_dict(trainer.run())
        assert trainer.validate()[1] > 0.7  # the known classes are still learned
        model.eval()
        with torch.no_grad():
            probs = torch.softmax(model(torch.from_numpy(normalize(data.outlier_batch(5, 0, 1024), "maxmin"))), 1)
        top[weight] = float(probs.max(1).values.mean())
    assert top[1.0] < top[0.0] - 0.1, top
    with pytest.raises(ValueError, match="outlier exposure needs synthesized training data"):
        training.fixed_data(easy_dataset(40), seed=2).outlier_batch(0, 0, 16)
    with pytest.raises(ValueError, match="outlier_exposure must be a weight"):
        training.Recipe(outlier_exposure=-1.0)


class _LookupTeacher:
    """A stand-in teacher that knows each training window and calls it the next class over."""

    def __init__(self, ds):
        self.answer = {w.tobytes(): np.eye(3, dtype=np.float32)[(y + 1) % 3] for w, y in zip(ds.iq, ds.labels)}

    def predict(self, x):
        return np.stack([self.answer[w.tobytes()] for w in x])


def test_distillation_at_full_weight_learns_the_teacher_not_the_labels(tmp_path):
    torch.manual_seed(0)
    data = training.fixed_data(easy_dataset(), seed=1)
    recipe = training.Recipe(lr=3e-3, batch_size=32, epochs=4, schedule="onecycle", stop_patience=0, distill_weight=1.0)
    model = build("cnn2d", 3, 64)
    trainer = training.Trainer(model, data, recipe, str(tmp_path), "maxmin", log=lambda *_: None,
                               teachers=[_LookupTeacher(data.train)])
    trainer.run()  # its best weights are chosen on the true labels: look at the last ones
    predicted = training.model_logits(model, data.val.iq, "maxmin").numpy().argmax(1)
    assert np.mean(predicted == (data.val.labels + 1) % 3) > 0.7  # the teacher's classes, not the labels
    with pytest.raises(ValueError, match="distillation needs both"):
        training.Trainer(build("cnn2d", 3, 64), data, recipe, str(tmp_path / "x"), "maxmin")
