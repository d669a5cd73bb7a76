"""apps/calibrate.py, apps/make_ood_set.py and apps/evaluate.py --ood, end to end and small."""
import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from modrec_core import openset, runs
from modrec_core.bundle import export, load_bundle
from modrec_core.models import build
from modrec_core.synthesis import get_preset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _app(name, *args):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "apps", name), *args], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def old_bundle(tmp_path_factory):
    """A run folder and its bundle as exported before bundles carried logits and confidence."""
    folder = tmp_path_factory.mktemp("run")
    config = runs.RunConfig("pet_cgdnn", "preset", "sig2019", {"epochs": 1}, seed=3, train_per_class_snr=1,
                            eval_per_class_snr=5)
    runs.Run(config, str(folder)).save()
    torch.manual_seed(0)
    path = str(folder / "pet.onnx")
    export(build("pet_cgdnn", 12, 512).eval(), path, get_preset("sig2019").labels,
           {"normalization": "maxmin"})
    proto = onnx.load(path)
    del proto.graph.output[1]
    for k in [k for k, p in enumerate(proto.metadata_props) if p.key in ("temperature", "unknown_detector")][::-1]:
        del proto.metadata_props[k]
    onnx.save(proto, path)
    return str(folder), path


def test_calibrate_fits_the_detector_on_the_logits_the_bundle_outputs(old_bundle, tmp_path):
    folder, path = old_bundle
    out = str(tmp_path / "calibrated.onnx")
    _app("calibrate.py", "--bundle", path, "--run", folder, "--out", out)
    assert [o.name for o in onnx.load(out).graph.output] == ["probs", "logits"]
    bundle = load_bundle(out)
    assert bundle.meta.unknown_detector["method"] == openset.DEFAULT_METHOD
    val = runs.Run.load(folder).data().val
    strong = val.snr_db >= openset.FIT_MIN_SNR_DB
    rejected = bundle.score(val.iq[strong]).unknown.mean()
    assert abs(rejected - openset.FALSE_REJECTION) < 0.02  # the threshold holds for the written bundle's scores
    assert load_bundle(path).meta.unknown_detector is None  # --out left the input as it was


def test_evaluate_reports_calibration_and_unknown_detection(old_bundle, tmp_path):
    folder, path = old_bundle
    calibrated, known, ood = str(tmp_path / "c.onnx"), str(tmp_path / "known.h5"), str(tmp_path / "ood.h5")
    _app("calibrate.py", "--bundle", path, "--run", folder, "--out", calibrated)
    _app("make_dataset.py", "--preset", "sig2019", "--per-class-snr", "5", "--seed", "8", "--out", known)
    _app("make_ood_set.py", "--per-class-snr", "5", "--seed", "9", "--out", ood)
    _app("evaluate.py", "--bundle", calibrated, "--data", known, "--ood", ood, "--out", str(tmp_path / "rep"))
    rep = json.load(open(tmp_path / "rep" / "report.json"))
    cal = rep["calibration"]
    assert 0 <= cal["ece"] <= 1 and sum(cal["reliability"]["count"]) == rep["examples"]
    assert os.path.isfile(tmp_path / "rep" / "reliability.png")
    sets = rep["open_set"]["sets"]
    assert {"all signals", "OFDM", "noise", "16PSK", "FM"} <= set(sets)
    assert "GMSK" not in sets and "QPSK" not in sets  # known or left out on purpose: not scored as unknown
    for entry in sets.values():
        assert all(0 <= entry[m]["auroc"] <= 1 for m in openset.METHODS)
    assert sets["noise"]["reported_as_modulation"] <= 0.01
    assert sets["noise"]["n"] == 26 * 5
    assert rep["open_set"]["known"]["reported_as_noise"] == 0.0  # no known window at >= 10 dB is called noise


def test_the_open_set_preset_holds_only_classes_sig2019_does_not_know():
    unknown, known = get_preset("sig2019_unknown"), get_preset("sig2019")
    assert not set(unknown.labels) & set(known.labels) and "GMSK" not in unknown.labels
    assert len(unknown.labels) == 16
    assert dataclasses.replace(unknown, classes=known.classes) == dataclasses.replace(known, name=unknown.name)
    assert np.all(np.asarray(unknown.snr_levels) == np.asarray(known.snr_levels))


def test_calibrate_also_fits_on_other_files_validation_splits(old_bundle, tmp_path):
    folder, path = old_bundle
    extra, other = str(tmp_path / "extra.h5"), str(tmp_path / "rml.h5")
    _app("make_dataset.py", "--preset", "sig2019_field", "--per-class-snr", "5", "--seed", "10", "--out", extra)
    _app("make_dataset.py", "--preset", "rml2016a", "--per-class-snr", "5", "--seed", "10", "--out", other)
    done = _app("calibrate.py", "--bundle", path, "--run", folder, "--also", extra, "--out", str(tmp_path / "c.onnx"))
    run_val = len(runs.Run.load(folder).data().val.labels)
    assert f"over {run_val + 12 * 26 * 5 // 5} windows" in done.stdout  # the file's validation fifth joins the fit
    bad = subprocess.run([sys.executable, os.path.join(ROOT, "apps", "calibrate.py"), "--bundle", path, "--run", folder,
                          "--also", other, "--out", str(tmp_path / "d.onnx")], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and "are not the bundle's" in bad.stderr and not os.path.exists(tmp_path / "d.onnx")


def test_calibrate_fits_an_any_length_bundle_on_windows_of_several_lengths(tmp_path):
    """The live default reads 1,024-sample windows and is calibrated on them and on the run's own."""
    folder = tmp_path / "run"
    folder.mkdir()
    config = runs.RunConfig("cyclic_hybrid", "preset", "sig2019", {"epochs": 1}, seed=4, train_per_class_snr=1,
                            eval_per_class_snr=5)
    runs.Run(config, str(folder)).save()
    torch.manual_seed(0)
    path = str(folder / "hybrid.onnx")
    export(build("cyclic_hybrid", 12, 512).eval(), path, get_preset("sig2019").labels)
    longer = str(tmp_path / "long.h5")
    _app("make_dataset.py", "--preset", "sig2019", "--per-class-snr", "5", "--length", "1024", "--seed", "11",
         "--out", longer)
    done = _app("calibrate.py", "--bundle", path, "--run", str(folder), "--also", longer, "--out", str(tmp_path / "c.onnx"))
    run_val = len(runs.Run.load(str(folder)).data().val.labels)
    assert f"over {run_val + 12 * 26 * 5 // 5} windows" in done.stdout
    assert load_bundle(str(tmp_path / "c.onnx")).meta.unknown_detector is not None
