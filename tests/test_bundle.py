"""Model bundles: export every registry model, ONNX and TorchScript parity, strict validation."""
import numpy as np
import onnx
import pytest
import torch

from modrec_core.bundle import BundleError, export, load_bundle, read_metadata, replace_metadata
from modrec_core.models import build, get_spec, list_models
from modrec_core.normalize import normalize

LABELS = [f"class{k}" for k in range(11)]


def _eager_probs(model, x):
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(normalize(x, model.spec.normalization))), 1).numpy()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every registry model at 2x128, random weights, exported with a TorchScript twin."""
    out = {}
    folder = tmp_path_factory.mktemp("bundles")
    for name in list_models():
        torch.manual_seed(0)
        model = build(name, 11, 128).eval()
        path = str(folder / f"{name}.onnx")
        export(model, path, LABELS, trained_on={"preset": "rml2016a", "seed": 3, "samples_per_symbol": 8},
               metrics={"overall_accuracy": 0.5}, torchscript=True)
        out[name] = (model, path)
    return out


@pytest.mark.parametrize("name", sorted(list_models()))
def test_onnx_and_torchscript_match_eager(exported, name):
    model, path = exported[name]
    onnx_bundle, ts_bundle = load_bundle(path), load_bundle(path[:-5] + ".pt")
    rng = np.random.default_rng(0)
    for batch in (1, 64):
        x = rng.standard_normal((batch, 2, 128)).astype(np.float32)
        ref = _eager_probs(model, x)
        assert np.abs(onnx_bundle.predict(x) - ref).max() <= 1e-4
        assert np.abs(ts_bundle.predict(x) - ref).max() <= 1e-4
    if get_spec(name).any_length:
        x = rng.standard_normal((3, 2, 512)).astype(np.float32)
        assert np.abs(onnx_bundle.predict(x) - _eager_probs(model, x)).max() <= 1e-4


def test_torchscript_bundles_follow_the_input_device(exported):
    """A device traced as a constant (nn.LSTM/GRU's default states) pins a TorchScript bundle to the CPU:
    on a GPU it failed with 'hidden tensor at cpu'."""
    pinned = [name for name, (_, path) in exported.items()
              if 'value="cpu"' in str(torch.jit.load(path[:-5] + ".pt").inlined_graph)]
    assert pinned == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (torch sees none)")
def test_torchscript_bundle_on_cuda_matches_cpu(exported):
    path = exported["mcldnn"][1][:-5] + ".pt"
    x = np.random.default_rng(1).standard_normal((64, 2, 128)).astype(np.float32)
    on_gpu = load_bundle(path, device="cuda")
    assert np.abs(on_gpu.predict(x) - load_bundle(path).predict(x)).max() <= 1e-3


def test_metadata_round_trip(exported):
    bundle = load_bundle(exported["pet_cgdnn"][1])
    meta = bundle.meta
    assert meta.model == "pet_cgdnn" and meta.labels == LABELS and meta.window_length == 128
    assert meta.normalization == "maxmin" and meta.input_layout == "iq" and meta.samples_per_symbol == 8
    assert meta.training_preset == "rml2016a" and meta.accuracy == {"overall_accuracy": 0.5}
    assert meta.trained_window_length == 128
    any_length = load_bundle(exported["lstm_ap"][1]).meta
    assert any_length.window_length == "any" and any_length.trained_window_length == 128
    proto = onnx.load(exported["pet_cgdnn"][1])
    assert proto.opset_import[0].version >= 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_any_length_bundles_refuse_windows_under_their_shortest(exported, tmp_path):
    """The hybrid's spectra need one whole DFT frame (its trained length up to 512): a shorter window is
    a one-line error from the bundle, not a failure inside onnxruntime's STFT."""
    hybrid = load_bundle(exported["cyclic_hybrid"][1])
    assert hybrid.meta.min_window_length == 128 and load_bundle(exported["lstm_ap"][1]).meta.min_window_length == 2
    short = np.random.default_rng(2).standard_normal((3, 2, 100)).astype(np.float32)
    with pytest.raises(ValueError, match="expects windows of >= 128 samples, got 100"):
        hybrid.predict(short)
    over = _rewrite(exported["cyclic_hybrid"][1], tmp_path / "over.onnx", lambda p: p.update(min_window_length="256"))
    with pytest.raises(BundleError, match="trained_window_length is 128, under min_window_length 256"):
        load_bundle(over)


def _rewrite(src, dst, change):
    props = read_metadata(src)
    change(props)
    replace_metadata(src, props, str(dst))
    return str(dst)


@pytest.mark.parametrize("change,message", [
    (lambda p: p.pop("labels"), "missing metadata field.*labels"),
    (lambda p: p.update(labels='["a", "a"]'), "labels must be"),
    (lambda p: p.update(labels="[not json"), "labels is not valid JSON"),
    (lambda p: p.update(labels='["a", "b", "c"]'), r"output must be \(B, 3\)"),
    (lambda p: p.update(window_length="512", trained_window_length="512"), r"input must be \(B, 2, 512\)"),
    (lambda p: p.update(window_length="-3"), "window_length"),
    (lambda p: p.update(trained_window_length="256"), "trained_window_length is 256, but window_length is 128"),
    (lambda p: p.update(trained_window_length="long"), "trained_window_length is 'long'"),
    (lambda p: p.update(normalization="zscore"), "normalization is 'zscore'"),
    (lambda p: p.update(modrec_format="modrec-bundle/9"), "modrec_format"),
    (lambda p: p.update(samples_per_symbol="eight"), "samples_per_symbol"),
    (lambda p: p.update(min_window_length="64"), "min_window_length is for bundles of any window length, not 128"),
])
def test_bad_metadata_is_refused_with_the_field_named(exported, tmp_path, change, message):
    path = _rewrite(exported["pet_cgdnn"][1], tmp_path / "bad.onnx", change)
    with pytest.raises(BundleError, match=message) as err:
        load_bundle(path)
    assert "bad.onnx" in str(err.value)


def test_truncated_missing_and_foreign_files(exported, tmp_path):
    data = open(exported["gru2"][1], "rb").read()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="not a valid ONNX model"):
        load_bundle(str(tmp_path / "cut.onnx"))
    (tmp_path / "text.onnx").write_text("hello")
    with pytest.raises(BundleError, match="not a valid ONNX model"):
        load_bundle(str(tmp_path / "text.onnx"))
    with pytest.raises(BundleError, match="no such bundle file"):
        load_bundle(str(tmp_path / "absent.onnx"))
    (tmp_path / "junk.pt").write_bytes(b"\x00" * 64)
    with pytest.raises(BundleError, match="not a TorchScript bundle"):
        load_bundle(str(tmp_path / "junk.pt"))


def test_nan_and_silent_windows_are_refused_by_row(exported):
    bundle = load_bundle(exported["pet_cgdnn"][1])
    x = np.random.default_rng(1).normal(size=(4, 2, 128)).astype(np.float32)
    nan, silent = x.copy(), x.copy()
    nan[1, 0, 7] = np.nan
    silent[3] = 0
    with pytest.raises(ValueError, match="NaN"):
        bundle.predict(nan)
    with pytest.raises(ValueError, match="all zeros .* first at row 3"):
        bundle.predict(silent)
    assert bundle.predict(x).shape == (4, len(bundle.labels))


def test_wrong_window_shape_and_missing_cuda(exported):
    bundle = load_bundle(exported["pet_cgdnn"][1])
    with pytest.raises(ValueError, match=r"\(B, 2, 128\)"):
        bundle.predict(np.zeros((4, 2, 100), np.float32))
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has CUDA: the no-CUDA error path cannot be shown here")
    with pytest.raises(BundleError, match="no CUDAExecutionProvider"):
        load_bundle(exported["pet_cgdnn"][1], device="cuda")


def test_export_refuses_label_count_mismatch(tmp_path):
    with pytest.raises(BundleError, match="3 labels for a model with 11 outputs"):
        export(build("gru2", 11, 128), str(tmp_path / "x.onnx"), ["a", "b", "c"])


def test_large_inputs_run_in_chunks(exported):
    model, path = exported["gru2"]
    bundle = load_bundle(path)
    x = np.random.default_rng(1).standard_normal((2500, 2, 128)).astype(np.float32)
    whole = bundle.predict(x)
    assert whole.shape == (2500, 11)
    assert np.allclose(whole[2048:], bundle.predict(x[2048:]), atol=1e-6)


def _rewrite_pt(src, dst, module, change):
    """Save `module` as a TorchScript bundle at dst with src's metadata, changed by `change`."""
    import json

    files = {"modrec.json": ""}
    torch.jit.load(src, _extra_files=files)
    props = change(json.loads(files["modrec.json"]))
    torch.jit.save(torch.jit.script(module), dst, _extra_files={"modrec.json": json.dumps(props)})


class _Scaled(torch.nn.Module):
    """A stand-in model: softmax of a linear map, times `gain` (1: probabilities; else not)."""

    def __init__(self, length, classes, gain=1.0):
        super().__init__()
        self.fc = torch.nn.Linear(2 * length, classes)
        self.gain = gain

    def forward(self, x):
        return torch.softmax(self.fc(x.flatten(1)), 1) * self.gain


def test_torchscript_bundles_are_probed_at_load(exported, tmp_path):
    _, path = exported["pet_cgdnn"]
    pt = path[:-5] + ".pt"
    cases = [  # (module, metadata change, what the error says)
        (_Scaled(64, 11), lambda p: p, "fails on"),  # metadata says 128 samples, the graph takes 64
        (_Scaled(128, 7), lambda p: p, r"outputs shape \(4, 7\)"),  # 7 outputs for 11 labels
        (_Scaled(128, 11, float("nan")), lambda p: p, "not probabilities"),
        (_Scaled(128, 11, 2.0), lambda p: p, "not probabilities"),
    ]
    for k, (module, change, message) in enumerate(cases):
        bad = str(tmp_path / f"bad{k}.pt")
        _rewrite_pt(pt, bad, module, change)
        with pytest.raises(BundleError, match=message):
            load_bundle(bad)
    good = str(tmp_path / "good.pt")
    _rewrite_pt(pt, good, _Scaled(128, 11), lambda p: p)
    assert load_bundle(good).predict(np.ones((2, 2, 128), np.float32)).shape == (2, 11)


def test_onnx_bundle_with_nan_outputs_is_refused(exported, tmp_path):
    from onnx import TensorProto, helper

    _, path = exported["pet_cgdnn"]
    m = onnx.load(path)
    out = m.graph.output[0].name
    for node in m.graph.node:
        node.output[:] = [o + "_pre" if o == out else o for o in node.output]
    m.graph.node.append(helper.make_node("Mul", [out + "_pre", "nanc"], [out]))
    m.graph.initializer.append(helper.make_tensor("nanc", TensorProto.FLOAT, [], [float("nan")]))
    bad = str(tmp_path / "nan.onnx")
    onnx.save(m, bad)
    with pytest.raises(BundleError, match="not probabilities"):
        load_bundle(bad)


def test_predict_refuses_to_score_rows_that_are_not_probabilities(exported):
    _, path = exported["pet_cgdnn"]
    bundle = load_bundle(path)
    run = bundle._run
    bundle._run = lambda x: run(x) * np.where(np.arange(len(x))[:, None] == 1, np.nan, 1).astype(np.float32)
    with pytest.raises(BundleError, match="1 of 3 rows that are not probabilities"):
        bundle.predict(np.random.default_rng(0).standard_normal((3, 2, 128)).astype(np.float32))
