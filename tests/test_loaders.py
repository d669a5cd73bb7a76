"""Loaders for RML2016 pickles, RML2018 HDF5 and SigMF, on small files written here."""
import json
import os
import pickle

import h5py
import numpy as np
import pytest

from modrec_core import loaders
from modrec_core.normalize import normalize


def _rml2016(tmp_path, data, protocol=2):
    path = tmp_path / "rml.pkl"
    with open(path, "wb") as f:
        pickle.dump(data, f, protocol=protocol)
    return str(path)


def test_rml2016_pickle(tmp_path):
    rng = np.random.default_rng(0)
    data = {(mod, snr): rng.standard_normal((3, 2, 128)).astype(np.float32)
            for mod in ("QPSK", "BPSK") for snr in (-2, 4)}
    ds = loaders.load_rml2016(_rml2016(tmp_path, data))
    assert ds.label_names == ["BPSK", "QPSK"] and ds.iq.shape == (12, 2, 128)
    first_qpsk = np.flatnonzero(ds.labels == 1)[0]
    assert np.array_equal(ds.iq[first_qpsk], data[("QPSK", -2)][0])
    assert sorted(set(ds.snr_db.tolist())) == [-2.0, 4.0]


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_rml2016_refuses_code_in_the_pickle(tmp_path):
    with pytest.raises(ValueError, match="refusing to load"):
        loaders.load_rml2016(_rml2016(tmp_path, {("QPSK", 0): _Exploit()}))


@pytest.mark.parametrize("payload,message", [
    ([1, 2, 3], "dict"),
    ({"QPSK": np.zeros((1, 2, 8), np.float32)}, "pair"),
    ({("QPSK", 0): np.zeros((1, 3, 8), np.float32)}, r"\(n, 2, L\)"),
    ({("QPSK", 0): np.zeros((1, 2, 8), np.float32), ("BPSK", 0): np.zeros((1, 2, 16), np.float32)}, "lengths"),
])
def test_rml2016_mismatched_content(tmp_path, payload, message):
    with pytest.raises(ValueError, match=message):
        loaders.load_rml2016(_rml2016(tmp_path, payload))


def test_rml2016_truncated(tmp_path):
    path = _rml2016(tmp_path, {("QPSK", 0): np.zeros((4, 2, 128), np.float32)})
    with open(path, "rb") as f:
        head = f.read(100)
    with open(path, "wb") as f:
        f.write(head)
    with pytest.raises(ValueError, match="not an RML2016 pickle"):
        loaders.load_rml2016(path)


def test_rml2018_hdf5(tmp_path):
    path = tmp_path / "r18.h5"
    x = np.random.default_rng(1).standard_normal((5, 1024, 2)).astype(np.float32)
    with h5py.File(path, "w") as f:
        f["X"], f["Y"], f["Z"] = x, np.eye(24)[[0, 3, 23, 3, 1]], np.array([[-20], [0], [30], [2], [4]])
    ds = loaders.load_rml2018(str(path))
    assert ds.iq.shape == (5, 2, 1024) and np.array_equal(ds.iq[1, 0], x[1, :, 0])
    assert [ds.label_names[k] for k in ds.labels] == ["OOK", "BPSK", "OQPSK", "BPSK", "4ASK"]
    assert ds.snr_db.tolist() == [-20, 0, 30, 2, 4]
    with h5py.File(path, "a") as f:
        del f["Y"]
        f["Y"] = np.eye(11)[[0, 1, 2, 3, 4]]
    with pytest.raises(ValueError, match="one-hot"):
        loaders.load_rml2018(str(path))


def _sigmf(tmp_path, x, annotations, datatype="cf32_le", name="rec"):
    base = tmp_path / name
    if datatype == "cf32_le":
        np.stack([x.real, x.imag], 1).astype("<f4").tofile(f"{base}.sigmf-data")
    else:
        (np.stack([x.real, x.imag], 1) * 32767).astype("<i2").tofile(f"{base}.sigmf-data")
    meta = {"global": {"core:datatype": datatype, "core:sample_rate": 1e6, "core:version": "1.0.0"},
            "captures": [{"core:sample_start": 0}], "annotations": annotations}
    (tmp_path / f"{name}.sigmf-meta").write_text(json.dumps(meta))
    return f"{base}.sigmf-meta"


@pytest.mark.parametrize("datatype", ["cf32_le", "ci16_le"])
def test_sigmf_annotations_become_windows(tmp_path, datatype):
    x = (np.random.default_rng(2).uniform(-0.5, 0.5, 1000) + 0j).astype(np.complex64)
    ann = [{"core:sample_start": 0, "core:sample_count": 300, "core:label": "QPSK"},
           {"core:sample_start": 400, "core:sample_count": 500, "core:label": "BPSK", "modrec:snr_db": 6},
           {"core:sample_start": 950, "core:sample_count": 10, "core:comment": "no label"}]
    ds = loaders.load_sigmf(_sigmf(tmp_path, x, ann, datatype), length=128)
    assert ds.iq.shape == (2 + 3, 2, 128) and ds.label_names == ["BPSK", "QPSK"]
    assert [ds.label_names[k] for k in ds.labels] == ["QPSK"] * 2 + ["BPSK"] * 3
    assert np.allclose(ds.iq[2, 0], x.real[400:528], atol=1e-4) and ds.snr_db[2] == 6
    assert loaders.load_sigmf(str(tmp_path), length=128).iq.shape[0] == 5  # a folder works too


def test_sigmf_errors(tmp_path):
    x = np.zeros(256, np.complex64)
    meta = _sigmf(tmp_path, x, [{"core:sample_start": 200, "core:sample_count": 100, "core:label": "A"}])
    with pytest.raises(ValueError, match="runs past"):
        loaders.load_sigmf(meta, length=64)
    os.remove(meta.replace("meta", "data"))
    with pytest.raises(ValueError, match="missing"):
        loaders.load_sigmf(meta, length=64)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="folder holds no"):
        loaders.load_sigmf(str(tmp_path / "empty"), length=64)
    (tmp_path / "junk.sigmf-meta").write_text("{not json")
    with pytest.raises(ValueError, match="not a SigMF metadata file"):
        loaders.load_sigmf(str(tmp_path / "junk.sigmf-meta"), length=64)


def test_silent_windows_are_refused_with_their_row(tmp_path):
    x = np.random.default_rng(0).normal(size=(3, 2, 16)).astype(np.float32)
    x[2] = 0
    with pytest.raises(ValueError, match="1 window\\(s\\) of all zeros .* first at row 2"):
        loaders.load_rml2016(_rml2016(tmp_path, {("BPSK", 0): x}))


def test_maxmin_normalization_maps_each_channel_to_unit_range():
    iq = np.random.default_rng(3).standard_normal((4, 2, 64)).astype(np.float32) * 7
    out = normalize(iq, "maxmin")
    assert np.allclose(out.min(2), -1) and np.allclose(out.max(2), 1)
    assert np.allclose(np.mean(np.sum(normalize(iq, "unit_power") ** 2, 1), 1), 1, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown normalization"):
        normalize(iq, "zscore")
    with pytest.raises(ValueError, match=r"\(N, 2, L\)"):
        normalize(iq[:, 0], "maxmin")


def test_rml2016_protocol_5_pickles_load(tmp_path):
    data = {("QPSK", 2): np.ones((2, 2, 16), np.float32), ("BPSK", 2): np.zeros((2, 2, 16), np.float32) + 0.5}
    ds = loaders.load_rml2016(_rml2016(tmp_path, data, protocol=5))
    assert ds.iq.shape == (4, 2, 16) and ds.label_names == ["BPSK", "QPSK"]


def test_rml2016_memo_bomb_and_object_arrays_are_refused(tmp_path):
    import struct

    n = 100_000  # one memoized string, encoded 1,000 times: a 100 kB file that would make 100 MB
    one = b"h\x00h\x01h\x02\x86R"
    bomb = (b"\x80\x02](c_codecs\nencode\nq\x00X" + struct.pack("<I", n) + b"a" * n + b"q\x01"
            + b"X\x06\x00\x00\x00latin1q\x02\x86R" + one * 1000 + b"e.")
    path = tmp_path / "bomb.pkl"
    path.write_bytes(bomb)
    with pytest.raises(ValueError, match="memo bomb"):
        loaders.load_rml2016(str(path))
    with pytest.raises(ValueError, match="only numeric arrays"):
        loaders.load_rml2016(_rml2016(tmp_path, {("QPSK", 0): np.array([[[1, "x"]] * 2], object)}))


def test_rml2016_arrays_that_share_one_buffer_are_refused_by_their_total_size(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(loaders, "check_fits_in_memory", lambda nbytes, where: calls.append(nbytes))
    data = {("QPSK", s): np.ones((3, 2, 16), np.float32) for s in (0, 2)}
    loaders.load_rml2016(_rml2016(tmp_path, data))
    assert calls[-1] == 2 * 3 * 2 * 16 * 4  # the arrays' bytes are checked before they are joined


def _sigmf_file(tmp_path, annotations, n=1024):
    base = tmp_path / "rec"
    np.ones(2 * n, np.float32).tofile(str(base) + ".sigmf-data")
    meta = {"global": {"core:datatype": "cf32_le"}, "captures": [], "annotations": annotations}
    (tmp_path / "rec.sigmf-meta").write_text(json.dumps(meta))
    return str(base) + ".sigmf-meta"


def test_sigmf_annotations_without_a_count_are_named_and_bad_fields_refused(tmp_path):
    good = {"core:sample_start": 0, "core:sample_count": 512, "core:label": "BPSK"}
    path = _sigmf_file(tmp_path, [good, {"core:sample_start": 512, "core:label": "QPSK"}])
    with pytest.warns(UserWarning, match="1 annotation.* no core:sample_count skipped"):
        assert len(loaders.load_sigmf(path, 128).labels) == 4
    for bad, message in (({**good, "core:sample_start": "0"}, "core:sample_start must be a whole number"),
                         ({**good, "core:sample_count": -5}, "core:sample_count must be a whole number"),
                         ({**good, "core:label": 7}, "must be a string"),
                         ({**good, "modrec:snr_db": "high"}, "'modrec:snr_db' a number"),
                         ("oops", "annotation 0 is not a JSON object")):
        with pytest.raises(ValueError, match=message):
            loaders.load_sigmf(_sigmf_file(tmp_path, [bad]), 128)
    (tmp_path / "rec.sigmf-meta").write_text(json.dumps({"global": {"core:datatype": "cf32_le"}, "annotations": 3}))
    with pytest.raises(ValueError, match="annotations a list"):
        loaders.load_sigmf(str(tmp_path / "rec.sigmf-meta"), 128)
