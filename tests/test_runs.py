"""Training runs: run.json validated on read, the data and model made again from it, finish()
evaluating then exporting once, and export_checkpoint picking a run up from its folder."""
import dataclasses
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

from modrec_core import runs, training
from modrec_core.bundle import load_bundle
from modrec_core.dataset import balanced_design
from modrec_core.synthesis import get_preset, synthesize

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
RECIPE = dataclasses.asdict(training.Recipe(batch_size=64, epochs=1, schedule="onecycle", stop_patience=0))


def _config(**changes):
    base = dict(model="gru2", source="preset", location="sig2019", recipe=RECIPE, seed=3, length=64,
                train_per_class_snr=1, eval_per_class_snr=2)
    return runs.RunConfig(**{**base, **changes})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A one-epoch run in a folder: run.json and checkpoint.pt, as train_and_export leaves them."""
    folder = tmp_path_factory.mktemp("run")
    run = runs.Run(_config(), str(folder))
    run.save()
    data = run.data()
    torch.manual_seed(0)
    trainer = training.Trainer(run.build_model(data), data, run.recipe, str(folder), run.normalization,
                               log=lambda *_: None)
    trainer.run()
    return folder


def test_run_json_round_trips_and_names_its_format(trained):
    loaded = runs.Run.load(str(trained))
    assert loaded.config == _config()
    assert json.loads((trained / "run.json").read_text())["format"] == runs.RUN_FORMAT
    assert loaded.recipe == training.Recipe(**RECIPE) and loaded.normalization == "maxmin"


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("format"), "no 'format' field"),
    (lambda d: d.update(format=99), "format 99 is not 1"),
    (lambda d: d.update(flag_renamed=1), r"unknown fields \['flag_renamed'\]"),
    (lambda d: d.update(model="nope"), "unknown model 'nope'"),
    (lambda d: d.update(source="ftp"), "source must be one of"),
    (lambda d: d.update(location="no_such_preset"), "no_such_preset"),
    (lambda d: d.update(train_per_class_snr=0), "train_per_class_snr must be a whole number >= 1"),
    (lambda d: d.update(eta=1.5), r"eta must be in \(0, 1\]"),
    (lambda d: d.update(min_snr_db="high"), "min_snr_db must be a number of dB"),
    (lambda d: d.update(crop_share=0.5), r"crop_share must lie in \(0, 1\) and needs a crop"),
    (lambda d: d.update(crop=32, crop_share=1.5), "crop_share must lie in"),
    (lambda d: d.update(source="data", location="x.h5", min_snr_db=0.0), "applies to synthesized examples"),
    (lambda d: d.update(recipe={**RECIPE, "lr": -1}), "lr must be a positive number"),
    (lambda d: d.pop("model"), "model"),
], ids=["no-format", "future-format", "unknown-field", "model", "source", "preset", "examples", "eta",
        "min-snr", "crop-share-without-crop", "crop-share-above-1", "min-snr-of-a-file", "recipe",
        "missing-field"])
def test_a_bad_run_json_is_refused_with_its_path(tmp_path, change, message):
    d = dataclasses.asdict(_config())
    change(d)
    (tmp_path / "run.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match=message) as e:
        runs.Run.load(str(tmp_path))
    assert str(tmp_path / "run.json") in str(e.value)


def test_a_folder_without_a_run_is_named(tmp_path):
    with pytest.raises(ValueError, match="not a run folder"):
        runs.Run.load(str(tmp_path))
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        runs.Run.load(str(tmp_path))
    runs.Run(_config(), str(tmp_path)).save()
    with pytest.raises(ValueError, match="no checkpoint.pt or best.pt"):
        runs.Run.load(str(tmp_path)).restore_best(None)


def test_data_is_made_again_from_the_config(trained):
    a, b = runs.Run.load(str(trained)).data(), runs.Run(_config(), "unused").data()
    assert (a.test.iq == b.test.iq).all() and a.per_epoch == 12 * 26 * 1 and a.length == 64
    other = runs.Run(_config(seed=4), "unused").data()
    assert not (other.test.iq == a.test.iq).all()


def test_finish_evaluates_then_exports_once_with_the_scores(trained, tmp_path):
    run = runs.Run.load(str(trained))
    data = run.data()
    model, state = run.restore_best(data)
    assert state.epoch == 1 and state.done
    path = tmp_path / "b.onnx"
    rep = run.finish(model, data, state, log=lambda *_: None, bundle=str(path))
    bundle = load_bundle(str(path))
    assert bundle.meta.accuracy["overall_accuracy"] == rep["overall_accuracy"]
    assert bundle.meta.accuracy["test_examples"] == len(data.test.labels) == rep["examples"]
    # the score in the bundle is what the bundle itself scores on the test split
    hits = (bundle.predict(data.test.iq).argmax(1) == data.test.labels).mean()
    assert hits == pytest.approx(rep["overall_accuracy"], abs=2 / len(data.test.labels))
    report = json.loads((trained / "report" / "report.json").read_text())
    assert report["overall_accuracy"] == rep["overall_accuracy"] and report["epochs"] == 1


def test_export_checkpoint_app_uses_the_run_folder(trained, tmp_path):
    path = tmp_path / "exported.onnx"
    r = subprocess.run([sys.executable, str(ROOT / "apps/export_checkpoint.py"), "--run", str(trained),
                        "--bundle", str(path)], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert load_bundle(str(path)).meta.model == "gru2" and "test accuracy" in r.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "apps/export_checkpoint.py"), "--run", str(tmp_path)],
                         capture_output=True, text=True, env=ENV, timeout=600)
    assert bad.returncode == 1 and bad.stderr.strip().endswith("not a run folder (no run.json)")
    option = subprocess.run([sys.executable, str(ROOT / "apps/export_checkpoint.py"), "--run", str(trained),
                             "--bundle", str(tmp_path / "views.onnx"), "--model-option", "views=4"],
                            capture_output=True, text=True, env=ENV, timeout=600)
    assert option.returncode == 1 and option.stderr.strip().endswith("gru2 has no option views; its options: none")
    share = subprocess.run([sys.executable, str(ROOT / "apps/export_checkpoint.py"), "--run", str(trained),
                            "--bundle", str(tmp_path / "share.onnx"), "--batchnorm-crop-share", "1"],
                           capture_output=True, text=True, env=ENV, timeout=600)
    assert share.returncode == 1 and "the run needs a crop" in share.stderr and not (tmp_path / "share.onnx").exists()


def test_finish_sets_batchnorm_on_the_share_of_crops_asked_for(trained, tmp_path, monkeypatch):
    """By default BatchNorm sees the run's own crop share; batchnorm_crop_share overrides it, and a
    run without a crop refuses one in one line."""
    shares = []
    monkeypatch.setattr(training, "recalibrate_batchnorm", lambda *a, crop=None, crop_share=None: shares.append(
        (crop, crop_share)) or 0)
    cropped = runs.Run(_config(model="cldnn", crop=32, crop_share=0.5), str(tmp_path / "c"))
    data = cropped.data()
    model = cropped.build_model(data)
    state = training.State()
    for share in (None, 1.0):
        cropped.finish(model, data, state, log=lambda *_: None, bundle=str(tmp_path / "c.onnx"), batchnorm_crop_share=share)
    assert shares == [(32, 0.5), (32, 1.0)]
    run = runs.Run.load(str(trained))
    with pytest.raises(ValueError, match=r"batchnorm_crop_share must lie in \[0, 1\] and the run needs a crop"):
        run.finish(None, None, state, batchnorm_crop_share=1.0)
    with pytest.raises(ValueError, match="batchnorm_crop_share must lie in"):
        cropped.finish(None, None, state, batchnorm_crop_share=1.5)


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "models").glob("*.onnx")))
def test_every_shipped_bundle_can_be_continued_from_models_resume(name):
    """models/resume/<bundle>/ holds the run's settings and best weights, and they are the bundle's."""
    run = runs.Run.load(str(ROOT / "models" / "resume" / name))
    bundle = load_bundle(str(ROOT / "models" / f"{name}.onnx"))
    assert bundle.meta.model == run.config.model
    preset = get_preset(bundle.meta.training_preset)
    shape = types.SimpleNamespace(label_names=bundle.labels, length=bundle.meta.trained_window_length)
    model, _ = run.restore_best(shape)
    labels, snr = balanced_design(len(preset.classes), [20.0], 4)
    iq = synthesize(preset.with_length(shape.length), labels, snr, seed=5).iq()
    ours = training.model_logits(model, iq, bundle.meta.normalization).argmax(1).numpy()
    agree = (ours == bundle.predict(iq).argmax(1)).mean()
    assert agree >= 0.9  # equal but for BatchNorm statistics recalibrated at export
