"""Model bundles: one ONNX file whose metadata_props carry the model's whole contract
(docs/model-bundle.md), optionally a TorchScript .pt beside it with the same metadata.

`export()` writes them; `load_bundle()` validates every field and returns a ready `Bundle`
whose `predict()` takes raw (B, 2, L) I/Q windows, normalizes them as the metadata says, and
returns class probabilities (B, C).
"""
import json
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from . import __version__
from .normalize import NORMALIZATIONS, check_samples, normalize

FORMAT = "modrec-bundle/1"
INPUT_NAME, OUTPUT_NAME = "iq", "probs"
INPUT_LAYOUTS = ("iq",)
FIELDS = ("modrec_format", "model", "labels", "window_length", "normalization", "input_layout",
          "samples_per_symbol", "sample_rate", "training_preset", "training_seed", "accuracy", "code_version")


PROBABILITY_TOLERANCE = 1e-3  # how far a row's sum may stray from 1 (float32 softmax over a few classes)
PROBE_WINDOWS = 4
MAX_WINDOW_LENGTH = 1 << 20  # samples: a window's 2 x L floats must fit a GNU Radio buffer item


class BundleError(ValueError):
    """A bundle that cannot be used, with the file and the reason."""


def probability_rows(probs, n_classes):
    """Boolean mask of the rows of `probs` (B, C) that are probability vectors over n_classes:
    finite, in [0, 1], summing to 1."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] != n_classes:
        return np.zeros(len(probs), bool)
    finite = np.isfinite(probs).all(axis=1)
    with np.errstate(invalid="ignore"):
        bounded = ((probs >= 0) & (probs <= 1 + PROBABILITY_TOLERANCE)).all(axis=1)
        summed = np.abs(probs.sum(axis=1) - 1) <= PROBABILITY_TOLERANCE
    return finite & bounded & summed


@dataclass
class BundleMeta:
    """The validated contract of a bundle."""

    model: str
    labels: list
    window_length: object  # int, or "any"
    normalization: str
    input_layout: str
    samples_per_symbol: object  # float, or "unknown"
    sample_rate: object  # Hz as float, or "normalized"
    training_preset: str
    training_seed: object
    accuracy: dict
    code_version: str
    trained_window_length: object = None  # int, or None where an older or third-party bundle omits it

    def as_props(self):
        props = {"modrec_format": FORMAT}
        for k, v in self.__dict__.items():
            if v is not None:
                props[k] = json.dumps(v) if isinstance(v, (list, dict)) else str(v)
        return props


def make_meta(name, labels, window_length, preprocessing=None, trained_on=None, metrics=None,
              trained_window_length=None):
    """Bundle metadata from a model name, its labels and window length, and what it was trained on."""
    pre = {"normalization": "none", "input_layout": "iq", **(preprocessing or {})}
    trained = {"preset": "none", "seed": "none", "samples_per_symbol": "unknown", "sample_rate": "normalized",
               **(trained_on or {})}
    meta = BundleMeta(name, list(labels), window_length, pre["normalization"], pre["input_layout"],
                      trained["samples_per_symbol"], trained["sample_rate"], str(trained["preset"]),
                      trained["seed"], dict(metrics or {}), __version__, trained_window_length)
    return parse_meta(meta.as_props(), "<new bundle>")


def export(model, path, labels, preprocessing=None, trained_on=None, metrics=None, torchscript=False, opset=17):
    """Write `model` as an ONNX bundle at `path` (and `path` with .pt when torchscript); returns its BundleMeta."""
    import torch

    spec = model.spec
    window = "any" if spec.any_length else model.length
    pre = {"normalization": spec.normalization, **(preprocessing or {})}
    meta = make_meta(spec.name, labels, window, pre, trained_on, metrics, trained_window_length=model.length)
    if len(labels) != model.num_classes:
        raise BundleError(f"{path}: {len(labels)} labels for a model with {model.num_classes} outputs")
    wrapped = _WithSoftmax(model).eval()
    example = torch.zeros(1, 2, model.length)
    axes = {0: "batch", 2: "length"} if spec.any_length else {0: "batch"}
    with warnings.catch_warnings():  # the tracer's notes on shape checks and RNN batch sizes do not apply
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, (example,), path, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: {0: "batch"}}, opset_version=opset,
                          dynamo=False)
    replace_metadata(path, meta.as_props(), path)
    if torchscript:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(wrapped, example, check_trace=False)
        torch.jit.save(traced, _pt_path(path), _extra_files={"modrec.json": json.dumps(meta.as_props())})
    return meta


def read_metadata(path):
    """An ONNX file's metadata_props as a dict (unvalidated: `load_bundle` validates)."""
    import onnx

    return {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}


def replace_metadata(src, props, dst):
    """Write ONNX file `src` to `dst` with metadata_props `props` (a dict of strings) instead of
    its own, checked, through a temporary file renamed onto `dst`."""
    import onnx

    proto = onnx.load(src)
    del proto.metadata_props[:]
    for key, value in props.items():
        proto.metadata_props.add(key=key, value=value)
    proto.producer_name = "gr-modrec"
    onnx.checker.check_model(proto)
    onnx.save(proto, f"{dst}.tmp")
    os.replace(f"{dst}.tmp", dst)


def load_bundle(path, device="cpu", threads=None):
    """Validate a bundle (.onnx or .pt) and return a Bundle ready to predict."""
    if not os.path.isfile(path):
        raise BundleError(f"{path}: no such bundle file")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise BundleError(f"{path}: threads must be a whole number >= 1 (or None: all cores), got {threads!r}")
    bundle = _load_torchscript(path, device, threads) if path.endswith(".pt") else _load_onnx(path, device, threads)
    _probe(bundle)
    return bundle


def _probe(bundle):
    """One call on noise windows at load: a model that fails, or whose outputs are not
    probabilities over its labels, is refused here rather than in a running flowgraph."""
    meta = bundle.meta
    length = meta.window_length if meta.window_length != "any" else (meta.trained_window_length or 128)
    noise = np.random.default_rng(0).standard_normal((PROBE_WINDOWS, 2, length)).astype(np.float32)
    try:
        probs = np.asarray(bundle.predict_normalized(normalize(noise, meta.normalization)))
    except Exception as e:  # any runtime's error type: the graph and its metadata disagree
        raise BundleError(f"{bundle.path}: the model fails on ({PROBE_WINDOWS}, 2, {length}) windows "
                          f"({e.__class__.__name__}: {str(e)[:160]})") from None
    if probs.shape != (PROBE_WINDOWS, len(meta.labels)):
        raise BundleError(f"{bundle.path}: the model outputs shape {probs.shape} for {PROBE_WINDOWS} windows, "
                          f"expected ({PROBE_WINDOWS}, {len(meta.labels)}) for its {len(meta.labels)} labels")
    if not probability_rows(probs, len(meta.labels)).all():
        raise BundleError(f"{bundle.path}: the model's outputs are not probabilities (finite, >= 0, summing "
                          f"to 1) on noise windows, e.g. {np.round(probs[0], 4).tolist()}")


class Bundle:
    """A loaded bundle: its metadata and a predict() over raw I/Q windows."""

    def __init__(self, path, meta, backend, run):
        self.path, self.meta, self.backend, self._run = path, meta, backend, run

    @property
    def labels(self):
        return self.meta.labels

    def predict(self, iq):
        """Class probabilities (B, C) for raw float32 windows (B, 2, L); NaN or silent windows are refused."""
        iq = self._checked(iq)
        check_samples(iq, f"{self.path}: input")
        probs = self.predict_normalized(normalize(iq, self.meta.normalization))
        bad = ~probability_rows(probs, len(self.labels))
        if bad.any():
            raise BundleError(f"{self.path}: the model output {np.count_nonzero(bad)} of {len(bad)} rows that are "
                              f"not probabilities (first: window {np.flatnonzero(bad)[0]}); refusing to score them")
        return probs

    def predict_normalized(self, iq, chunk=1024):
        """Class probabilities (B, C) for windows already normalized as meta.normalization says.
        Large inputs run `chunk` windows at a time (onnxruntime's recurrent kernels abort on
        tensors past 2^31 elements)."""
        iq = np.ascontiguousarray(self._checked(iq))
        if len(iq) <= chunk:
            return self._run(iq)
        return np.concatenate([self._run(iq[k:k + chunk]) for k in range(0, len(iq), chunk)])

    def _checked(self, iq):
        iq = np.asarray(iq, np.float32)
        want = self.meta.window_length
        if iq.ndim != 3 or iq.shape[1] != 2 or (want != "any" and iq.shape[2] != want):
            raise ValueError(f"{self.path}: expects windows of shape (B, 2, {want}), got {iq.shape}")
        return iq


class _WithSoftmax:
    """Model wrapper that outputs probabilities (a torch Module built lazily to keep torch optional)."""

    def __new__(cls, model):
        import torch

        class WithSoftmax(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, x):
                return torch.softmax(self.inner(x), dim=1)

        return WithSoftmax(model)


def parse_meta(props, path):
    """BundleMeta from metadata strings, or a BundleError naming the missing or wrong field."""
    missing = [f for f in FIELDS if f not in props]
    if missing:
        raise BundleError(f"{path}: missing metadata field(s) {', '.join(missing)} (see docs/model-bundle.md)")
    if props["modrec_format"] != FORMAT:
        raise BundleError(f"{path}: modrec_format is {props['modrec_format']!r}, expected {FORMAT!r}")
    labels = _json_field(props, "labels", path)
    if not (isinstance(labels, list) and len(labels) >= 2 and all(isinstance(x, str) and x for x in labels)
            and len(set(labels)) == len(labels)):
        raise BundleError(f"{path}: field labels must be a JSON list of at least 2 distinct class names")
    window = props["window_length"]
    if window != "any":
        window = _positive_int(props, "window_length", "a positive integer or 'any'", path)
    trained_window = None
    if "trained_window_length" in props:
        trained_window = _positive_int(props, "trained_window_length", "a positive integer", path)
        if window != "any" and trained_window != window:
            raise BundleError(f"{path}: field trained_window_length is {trained_window}, but window_length is {window}")
    _choice(props, "normalization", NORMALIZATIONS, path)
    _choice(props, "input_layout", INPUT_LAYOUTS, path)
    accuracy = _json_field(props, "accuracy", path)
    if not isinstance(accuracy, dict):
        raise BundleError(f"{path}: field accuracy must be a JSON object")
    return BundleMeta(props["model"], labels, window, props["normalization"], props["input_layout"],
                      _number_or(props, "samples_per_symbol", "unknown", path),
                      _number_or(props, "sample_rate", "normalized", path), props["training_preset"],
                      props["training_seed"], accuracy, props["code_version"], trained_window)


def _positive_int(props, key, expected, path):
    value = props[key]
    if not value.isdigit() or not 1 <= int(value) <= MAX_WINDOW_LENGTH:
        raise BundleError(f"{path}: field {key} is {value[:40]!r}, expected {expected} up to {MAX_WINDOW_LENGTH}")
    return int(value)


def _json_field(props, key, path):
    try:
        return json.loads(props[key])
    except ValueError:
        raise BundleError(f"{path}: field {key} is not valid JSON: {props[key][:60]!r}") from None


def _choice(props, key, allowed, path):
    if props[key] not in allowed:
        raise BundleError(f"{path}: field {key} is {props[key]!r}, expected one of {', '.join(allowed)}")


def _number_or(props, key, word, path):
    value = props[key]
    if value == word:
        return value
    try:
        number = float(value)
    except ValueError:
        raise BundleError(f"{path}: field {key} is {value!r}, expected a number or {word!r}") from None
    if not number > 0:
        raise BundleError(f"{path}: field {key} must be > 0, got {value}")
    return number


def _load_onnx(path, device, threads):
    try:
        import onnx
        import onnxruntime as ort
    except ImportError as e:
        raise BundleError(f"{path}: needs onnx and onnxruntime, which this Python ({sys.executable}) lacks "
                          f"({e}); run from the project's .venv (GNU Radio Companion: `make grc`)") from None

    try:
        proto = onnx.load(path, load_external_data=False)
        onnx.checker.check_model(proto)
    except Exception as e:  # onnx raises DecodeError, ValidationError, ...: all mean "not a usable ONNX file"
        raise BundleError(f"{path}: not a valid ONNX model ({e.__class__.__name__}: {str(e)[:120]})") from None
    meta = parse_meta({p.key: p.value for p in proto.metadata_props}, path)
    _check_graph_shapes(proto, meta, path)
    providers = _onnx_providers(device, path, ort)
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    # onnxruntime's idle workers spin by default, taking CPU from GNU Radio's threads around them
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(proto.SerializeToString(), options, providers=providers)
    return Bundle(path, meta, "onnxruntime", lambda x: session.run([OUTPUT_NAME], {INPUT_NAME: x})[0])


def _onnx_providers(device, path, ort):
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise BundleError(f"{path}: device 'cuda' asked for, but this onnxruntime has no "
                              f"CUDAExecutionProvider (available: {', '.join(ort.get_available_providers())})")
        return ["CUDAExecutionProvider"]
    raise BundleError(f"{path}: unknown device {device!r}; use 'cpu' or 'cuda'")


def _check_graph_shapes(proto, meta, path):
    inputs, outputs = proto.graph.input, proto.graph.output
    if len(inputs) != 1 or inputs[0].name != INPUT_NAME or len(outputs) != 1 or outputs[0].name != OUTPUT_NAME:
        raise BundleError(f"{path}: graph must have one input '{INPUT_NAME}' and one output '{OUTPUT_NAME}'")
    dims_in = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim]
    dims_out = [d.dim_value if d.HasField("dim_value") else None for d in outputs[0].type.tensor_type.shape.dim]
    want_len = None if meta.window_length == "any" else meta.window_length
    if len(dims_in) != 3 or dims_in[1] != 2 or dims_in[2] != want_len:
        raise BundleError(f"{path}: input must be (B, 2, {meta.window_length}), graph has {dims_in}")
    if len(dims_out) != 2 or dims_out[1] != len(meta.labels):
        raise BundleError(f"{path}: output must be (B, {len(meta.labels)}) for {len(meta.labels)} labels, "
                          f"graph has {dims_out}")


def _load_torchscript(path, device, threads):
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise BundleError(f"{path}: device 'cuda' asked for, but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise BundleError(f"{path}: unknown device {device!r}; use 'cpu' or 'cuda'")
    files = {"modrec.json": ""}
    try:
        module = torch.jit.load(path, map_location=device, _extra_files=files)
    except Exception as e:  # torch raises RuntimeError or zipfile errors for anything not a TorchScript archive
        raise BundleError(f"{path}: not a TorchScript bundle ({e.__class__.__name__}: {str(e)[:120]})") from None
    try:
        props = json.loads(files["modrec.json"] or "null")
    except ValueError:
        props = None
    if not isinstance(props, dict):
        raise BundleError(f"{path}: TorchScript file carries no modrec.json metadata")
    meta = parse_meta(props, path)
    if threads:
        torch.set_num_threads(int(threads))
    module.eval()

    def run(x):
        with torch.inference_mode():
            return module(torch.from_numpy(x).to(device)).cpu().numpy()

    return Bundle(path, meta, "torch", run)


def _pt_path(onnx_path):
    return os.path.splitext(onnx_path)[0] + ".pt"
