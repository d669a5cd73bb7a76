"""The HDF5 interchange format: content, balance, stratified split, clear errors."""
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from modrec_core import dataset
from modrec_core.synthesis import get_preset, synthesize

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("ds") / "sig.h5"
    dataset.write_synthetic(str(path), "sig2019", per_class_snr=10, seed=3)
    return path


def test_file_layout_and_attributes(small_file):
    with h5py.File(small_file) as f:
        assert f["iq"].shape == (12 * 26 * 10, 2, 512) and f["iq"].dtype == np.float32
        assert f["label"].dtype == np.int64 and f["snr_db"].dtype == np.float32
        assert {"split", "cfo", "rolloff", "phase"} <= set(f.keys())
        assert json.loads(f.attrs["labels"]) == get_preset("sig2019").labels
        assert f.attrs["preset"] == "sig2019" and f.attrs["seed"] == 3


def test_class_snr_balance_and_split_are_exact(small_file):
    ds = dataset.read(str(small_file))
    pairs = ds.labels * 100 + ds.snr_db.astype(int)
    _, counts = np.unique(pairs, return_counts=True)
    assert len(counts) == 12 * 26 and np.all(counts == 10)
    for split, share in zip(dataset.SPLITS, (6, 2, 2)):
        _, per_pair = np.unique(pairs[ds.split == dataset.SPLITS.index(split)], return_counts=True)
        assert len(per_pair) == 12 * 26 and np.all(per_pair == share), split
    assert len(dataset.read(str(small_file), split="test").labels) == 12 * 26 * 2


def test_file_holds_exactly_the_synthesizer_output(small_file):
    ds = dataset.read(str(small_file))
    b = synthesize(get_preset("sig2019"), ds.labels[500:600], ds.snr_db[500:600], seed=3, first=500)
    assert np.array_equal(ds.iq[500:600], b.iq())
    assert np.array_equal(ds.params["cfo"][500:600], b.params["cfo"])


def test_make_dataset_cli(tmp_path):
    out = tmp_path / "r.h5"
    run = subprocess.run([sys.executable, str(ROOT / "apps/make_dataset.py"), "--preset", "rml2016a",
                          "--per-class-snr", "5", "--seed", "1", "--out", str(out)],
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "python")}, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "wrote 1100 examples" in run.stdout
    assert dataset.read(str(out)).iq.shape == (1100, 2, 128)
    bad = subprocess.run([sys.executable, str(ROOT / "apps/make_dataset.py"), "--preset", "rml2016a",
                          "--per-class-snr", "-3", "--out", str(tmp_path / "bad.h5")],
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "python")}, timeout=300)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == "make_dataset.py: per_class_snr must be at least 5 so every split gets examples of "\
                                 "each pair, got -3"  # one line: refused before any progress bar
    assert not (tmp_path / "bad.h5").exists()


def test_make_dataset_at_another_window_length(tmp_path):
    def make(length, out):
        return subprocess.run([sys.executable, str(ROOT / "apps/make_dataset.py"), "--preset", "rml2016a",
                               "--per-class-snr", "5", "--length", length, "--out", str(out)],
                              capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "python")}, timeout=300)

    assert make("256", tmp_path / "long.h5").returncode == 0
    assert dataset.read(str(tmp_path / "long.h5")).iq.shape == (1100, 2, 256)
    bad = make("100", tmp_path / "bad.h5")
    assert bad.returncode == 1 and not (tmp_path / "bad.h5").exists()
    assert bad.stderr.strip() == "make_dataset.py: length 100 must be a positive multiple of 8 samples per symbol"


def test_missing_dataset_is_named(tmp_path):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as f:
        f["iq"] = np.zeros((4, 2, 8), np.float32)
        f["label"] = np.zeros(4, np.int64)
    with pytest.raises(ValueError, match="missing dataset 'snr_db'"):
        dataset.read(str(path))


def test_corrupt_nan_and_silent_files_are_refused(tmp_path, small_file):
    truncated = tmp_path / "cut.h5"
    truncated.write_bytes(small_file.read_bytes()[:4096])
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        dataset.read(str(truncated))
    with pytest.raises(ValueError, match="absent.h5: no such file"):
        dataset.read(str(tmp_path / "absent.h5"))
    nan = tmp_path / "nan.h5"
    with h5py.File(nan, "w") as f:
        f["iq"] = np.full((2, 2, 8), np.nan, np.float32)
        f["label"], f["snr_db"] = np.zeros(2, np.int64), np.zeros(2, np.float32)
        f.attrs["labels"] = json.dumps(["A"])
    with pytest.raises(ValueError, match="NaN"):
        dataset.read(str(nan))
    silent = tmp_path / "silent.h5"
    with h5py.File(silent, "w") as f:
        f["iq"] = np.ones((3, 2, 8), np.float32) * np.array([1, 0, 1], np.float32)[:, None, None]
        f["label"], f["snr_db"] = np.zeros(3, np.int64), np.zeros(3, np.float32)
        f.attrs["labels"] = json.dumps(["A"])
    with pytest.raises(ValueError, match="all zeros .* first at row 1"):
        dataset.read(str(silent))


def test_split_request_without_split_is_an_error(tmp_path):
    path = tmp_path / "nosplit.h5"
    with h5py.File(path, "w") as f:
        f["iq"] = np.ones((2, 2, 8), np.float32)
        f["label"], f["snr_db"] = np.zeros(2, np.int64), np.zeros(2, np.float32)
        f.attrs["labels"] = json.dumps(["A"])
    assert dataset.read(str(path)).part("test").iq.shape == (2, 2, 8)  # no split: the whole file
    with pytest.raises(ValueError, match="no 'split'"):
        dataset.read(str(path), split="test")


def _file(path, labels=None, names=("A", "B"), rows=3):
    with h5py.File(path, "w") as f:
        f["iq"] = np.ones((rows, 2, 8), np.float32)
        f["label"] = np.zeros(rows, np.int64) if labels is None else labels
        f["snr_db"] = np.zeros(rows, np.float32)
        f.attrs["labels"] = json.dumps(list(names))
    return str(path)


def test_labels_must_be_class_indices_and_names_distinct(tmp_path):
    assert dataset.read(_file(tmp_path / "whole.h5", np.array([0.0, 1.0, 1.0]))).labels.tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match=r"2 values that are not class indices \(first: row 0 = 0.5\)"):
        dataset.read(_file(tmp_path / "frac.h5", np.array([0.5, 1.0, 1.7])))
    with pytest.raises(ValueError, match="repeated: \\['A'\\]"):
        dataset.read(_file(tmp_path / "dup.h5", names=("A", "B", "A")))


def test_a_file_that_declares_more_rows_than_memory_is_refused(tmp_path):
    path = tmp_path / "huge.h5"
    with h5py.File(path, "w") as f:  # chunked and empty: a few KB on disk, 400 GB declared
        f.create_dataset("iq", (10 ** 8, 2, 512), np.float32, chunks=(64, 2, 512))
        f.create_dataset("label", (10 ** 8,), np.int64, chunks=(4096,))
        f.create_dataset("snr_db", (10 ** 8,), np.float32, chunks=(4096,))
        f.attrs["labels"] = json.dumps(["A", "B"])
    assert path.stat().st_size < 1e6
    with pytest.raises(ValueError, match="needs 409.6 GB in memory"):
        dataset.read(str(path))


@pytest.fixture
def kept(tmp_path):
    """(path, bytes) of a small existing data set that a failed write must leave as it was."""
    path = tmp_path / "keep.h5"
    dataset.write_synthetic(str(path), "rml2016a", 5, 1)
    return path, path.read_bytes()


def test_bad_arguments_and_interrupted_writes_leave_the_old_file(tmp_path, kept):
    path, before = kept
    for kwargs, message in ((dict(seed=-1), "seed must be"), (dict(workers=0), "workers must be"),
                            (dict(per_class_snr=2), "per_class_snr")):
        args = {"preset_name": "rml2016a", "per_class_snr": 5, "seed": 1, **kwargs}
        with pytest.raises(ValueError, match=message):
            dataset.write_synthetic(str(path), **args)

    def interrupt(n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dataset.write_synthetic(str(path), "rml2016a", 5, 2, progress=interrupt)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.h5"]  # no partial file left behind
    with h5py.File(path) as f:
        assert bool(f.attrs["complete"])


def test_an_unfinished_file_is_refused(tmp_path, small_file):
    path = tmp_path / "cut.h5"
    path.write_bytes(small_file.read_bytes())
    with h5py.File(path, "a") as f:
        f.attrs["complete"] = False  # what a killed writer leaves
    with pytest.raises(ValueError, match="an unfinished data set"):
        dataset.read(str(path))


def test_make_dataset_killed_mid_write_keeps_the_old_file(kept):
    path, before = kept
    proc = subprocess.Popen([sys.executable, str(ROOT / "apps/make_dataset.py"), "--preset", "sig2019",
                             "--per-class-snr", "400", "--seed", "2", "--out", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(ROOT / "python")})
    for line in iter(proc.stderr.readline, ""):  # the progress bar: writing has begun
        if "ex/s" in line or "ex]" in line:
            break
    proc.kill()
    proc.wait(timeout=60)
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="an unfinished data set|not a readable HDF5 file"):
        dataset.read(str(path) + ".partial")  # what the killed writer left is refused on read
