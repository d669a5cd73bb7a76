"""Model bundles: one ONNX file whose metadata_props carry the model's whole contract
(docs/model-bundle.md), optionally a TorchScript .pt beside it with the same metadata.

`export()` writes them; `load_bundle()` validates every field and returns a ready `Bundle`
whose `predict()` takes raw (B, 2, L) I/Q windows, normalizes them as the metadata says, and
returns class probabilities (B, C), calibrated by the bundle's temperature; `score_normalized()`
adds the unknown-signal score and decision and the noise test (docs/open-set.md).
"""
import json
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from . import __version__, calibration, openset, signal_presence
from .normalize import NORMALIZATIONS, check_samples, normalize

FORMAT = "modrec-bundle/1"
INPUT_NAME, OUTPUT_NAME, LOGITS_NAME = "iq", "probs", "logits"
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
    temperature: float = 1.0  # softmax temperature fitted on the validation split (1: uncalibrated)
    unknown_detector: dict = None  # openset.fit_detector()'s output, or None: no unknown decision
    min_window_length: object = None  # int: the shortest window an any-length bundle reads; None: not stated

    def as_props(self):
        props = {"modrec_format": FORMAT}
        for k, v in self.__dict__.items():
            if v is not None:
                props[k] = json.dumps(v) if isinstance(v, (list, dict)) else str(v)
        return props


def make_meta(name, labels, window_length, preprocessing=None, trained_on=None, metrics=None,
              trained_window_length=None, confidence=None, min_window_length=None):
    """Bundle metadata from a model name, its labels and window length, what it was trained on and
    its confidence calibration ({"temperature": T, "unknown_detector": {...}}, both optional)."""
    pre = {"normalization": "none", "input_layout": "iq", **(preprocessing or {})}
    trained = {"preset": "none", "seed": "none", "samples_per_symbol": "unknown", "sample_rate": "normalized",
               **(trained_on or {})}
    meta = BundleMeta(name, list(labels), window_length, pre["normalization"], pre["input_layout"],
                      trained["samples_per_symbol"], trained["sample_rate"], str(trained["preset"]),
                      trained["seed"], dict(metrics or {}), __version__, trained_window_length,
                      min_window_length=min_window_length, **(confidence or {}))
    return parse_meta(meta.as_props(), "<new bundle>")


def export(model, path, labels, preprocessing=None, trained_on=None, metrics=None, torchscript=False, opset=17,
           confidence=None):
    """Write `model` as an ONNX bundle at `path` (outputs probs and logits; and `path` with .pt when
    torchscript); returns its BundleMeta."""
    import torch

    spec = model.spec
    window = "any" if spec.any_length else model.length
    pre = {"normalization": spec.normalization, **(preprocessing or {})}
    meta = make_meta(spec.name, labels, window, pre, trained_on, metrics, trained_window_length=model.length,
                     confidence=confidence, min_window_length=model.min_input_length if spec.any_length else None)
    if len(labels) != model.num_classes:
        raise BundleError(f"{path}: {len(labels)} labels for a model with {model.num_classes} outputs")
    wrapped = _WithSoftmax(model).eval()
    example = torch.zeros(1, 2, model.length)
    axes = {0: "batch", 2: "length"} if spec.any_length else {0: "batch"}
    with warnings.catch_warnings():  # the tracer's notes on shape checks and RNN batch sizes do not apply
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, (example,), path, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME, LOGITS_NAME],
                          dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: {0: "batch"}, LOGITS_NAME: {0: "batch"}},
                          opset_version=opset, dynamo=False)
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
    its own, and with a `logits` output where it had only `probs` (the input of its final
    Softmax), checked, through a temporary file renamed onto `dst`."""
    import onnx

    proto = onnx.load(src)
    _expose_logits(proto)
    del proto.metadata_props[:]
    for key, value in props.items():
        proto.metadata_props.add(key=key, value=value)
    proto.producer_name = "gr-modrec"
    onnx.checker.check_model(proto)
    onnx.save(proto, f"{dst}.tmp")
    os.replace(f"{dst}.tmp", dst)


def write_confidence(src, confidence, dst):
    """Write bundle `src` to `dst` with confidence metadata ({"temperature", "unknown_detector"})
    and a logits output, everything else unchanged; returns the new BundleMeta."""
    meta = parse_meta(read_metadata(src), src)
    meta = BundleMeta(**{**meta.__dict__, **confidence})
    props = meta.as_props()
    parse_meta(props, dst)
    replace_metadata(src, props, dst)
    return meta


def _expose_logits(proto):
    """Add the final Softmax's input as graph output `logits`, unless the graph has one already or
    its probabilities come from elsewhere (then the engine uses their logarithm)."""
    import onnx

    graph = proto.graph
    final = [n for n in graph.node if OUTPUT_NAME in n.output]
    if any(o.name == LOGITS_NAME for o in graph.output) or len(final) != 1 or final[0].op_type != "Softmax":
        return
    if final[0].input[0] != LOGITS_NAME:
        graph.node.append(onnx.helper.make_node("Identity", [final[0].input[0]], [LOGITS_NAME]))
    probs = next(o for o in graph.output if o.name == OUTPUT_NAME)
    logits = graph.output.add()
    logits.CopyFrom(probs)
    logits.name = LOGITS_NAME


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
        probs = np.asarray(bundle.outputs_normalized(normalize(noise, meta.normalization))[0])
    except Exception as e:  # any runtime's error type: the graph and its metadata disagree
        raise BundleError(f"{bundle.path}: the model fails on ({PROBE_WINDOWS}, 2, {length}) windows "
                          f"({e.__class__.__name__}: {str(e)[:160]})") from None
    if probs.shape != (PROBE_WINDOWS, len(meta.labels)):
        raise BundleError(f"{bundle.path}: the model outputs shape {probs.shape} for {PROBE_WINDOWS} windows, "
                          f"expected ({PROBE_WINDOWS}, {len(meta.labels)}) for its {len(meta.labels)} labels")
    if not probability_rows(probs, len(meta.labels)).all():
        raise BundleError(f"{bundle.path}: the model's outputs are not probabilities (finite, >= 0, summing "
                          f"to 1) on noise windows, e.g. {np.round(probs[0], 4).tolist()}")


@dataclass
class Scores:
    """What the engine makes of a batch of windows."""

    probs: np.ndarray  # (B, C) calibrated class probabilities
    logits: np.ndarray  # (B, C) the graph's logits (log(probs) for a graph without them)
    ood_score: object  # (B,) the unknown detector's score, or None where the bundle has no detector
    unknown: np.ndarray  # (B,) bool: a signal whose score is above the detector's threshold
    noise: np.ndarray  # (B,) bool: no signal in the window (signal_presence)

    def rows(self, rows):
        """The Scores of the windows at `rows` (indices or a boolean mask)."""
        return Scores(*(None if v is None else v[rows] for v in
                        (self.probs, self.logits, self.ood_score, self.unknown, self.noise)))

    def decisions(self, labels):
        """(B,) what each window is reported as: "noise", "unknown" or its top class."""
        top = np.asarray(labels)[np.argmax(self.probs, axis=1)]
        return np.where(self.noise, "noise", np.where(self.unknown, "unknown", top))


class Bundle:
    """A loaded bundle: its metadata and a predict() over raw I/Q windows.

    `run(x)` returns (probs, logits or None) for normalized windows, as the graph computes them.
    """

    def __init__(self, path, meta, backend, run):
        self.path, self.meta, self.backend, self._run = path, meta, backend, run

    @property
    def labels(self):
        return self.meta.labels

    def predict(self, iq):
        """Calibrated class probabilities (B, C) for raw float32 windows (B, 2, L); NaN or silent
        windows, and model rows that are not probabilities, are refused."""
        return self._calibrated(*self.outputs(iq))

    def score(self, iq):
        """Scores (as score_normalized) for raw float32 windows (B, 2, L); refuses what predict() does."""
        x = self._normalized(iq)
        return self._scores(x, *self._probabilities_only(*self.outputs_normalized(x)))

    def outputs(self, iq):
        """(uncalibrated probabilities, logits) for raw float32 windows (B, 2, L), every row checked."""
        return self._probabilities_only(*self.outputs_normalized(self._normalized(iq)))

    def predict_normalized(self, iq):
        """Calibrated class probabilities (B, C) for windows already normalized as
        meta.normalization says."""
        return self._calibrated(*self.outputs_normalized(iq))

    def score_normalized(self, iq):
        """Scores (calibrated probabilities, unknown score and decision, noise test) for
        normalized windows: what the classifier block publishes."""
        return self._scores(iq, *self.outputs_normalized(iq))

    def _normalized(self, iq):
        """Raw windows checked (shape, NaN, silence) and normalized as the metadata says."""
        iq = self._checked(iq)
        check_samples(iq, f"{self.path}: input")
        return normalize(iq, self.meta.normalization)

    def _probabilities_only(self, probs, logits):
        bad = ~probability_rows(probs, len(self.labels))
        if bad.any():
            raise BundleError(f"{self.path}: the model output {np.count_nonzero(bad)} of {len(bad)} rows that are "
                              f"not probabilities (first: window {np.flatnonzero(bad)[0]}); refusing to score them")
        return probs, logits

    def _calibrated(self, probs, logits):
        """The graph's probabilities at the bundle's temperature."""
        return probs if self.meta.temperature == 1.0 else calibration.tempered(logits, self.meta.temperature)

    def _scores(self, iq, probs, logits):
        """Scores of normalized windows `iq` from the graph's outputs for them."""
        detector = self.meta.unknown_detector
        probs = self._calibrated(probs, logits)
        noise = signal_presence.is_noise(iq, self.meta.normalization)
        if detector is None:
            return Scores(probs, logits, None, np.zeros(len(probs), bool), noise)
        ood = openset.scores(logits, detector["method"], self.meta.temperature, detector.get("stats"))
        with np.errstate(invalid="ignore"):
            return Scores(probs, logits, ood, (ood > detector["threshold"]) & ~noise, noise)

    def outputs_normalized(self, iq, chunk=1024):
        """(probabilities as the graph outputs them, logits) for normalized windows; a graph
        without a logits output gets log(probs), NaN for rows that are not probabilities.
        Large inputs run `chunk` windows at a time (onnxruntime's recurrent kernels abort on
        tensors past 2^31 elements)."""
        iq = np.ascontiguousarray(self._checked(iq))
        parts = [self._run(iq[k:k + chunk]) for k in range(0, max(len(iq), 1), chunk)]
        probs = np.concatenate([p for p, _ in parts])
        if parts[0][1] is not None:
            return probs, np.concatenate([z for _, z in parts])
        with np.errstate(divide="ignore", invalid="ignore"):
            logits = np.log(probs.astype(np.float64))
        logits[~probability_rows(probs, len(self.labels))] = np.nan
        return probs, logits

    def _checked(self, iq):
        iq = np.asarray(iq, np.float32)
        want = self.meta.window_length
        if iq.ndim != 3 or iq.shape[1] != 2 or (want != "any" and iq.shape[2] != want):
            raise ValueError(f"{self.path}: expects windows of shape (B, 2, {want}), got {iq.shape}")
        if want == "any" and iq.shape[2] < (self.meta.min_window_length or 0):
            raise ValueError(f"{self.path}: expects windows of >= {self.meta.min_window_length} samples, got {iq.shape[2]}")
        return iq


class _WithSoftmax:
    """Model wrapper that outputs (probabilities, logits) (a torch Module built lazily to keep torch optional)."""

    def __new__(cls, model):
        import torch

        class WithSoftmax(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, x):
                logits = self.inner(x)
                return torch.softmax(logits, dim=1), logits

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
    shortest = _shortest_window(props, window, trained_window, path)
    _choice(props, "normalization", NORMALIZATIONS, path)
    _choice(props, "input_layout", INPUT_LAYOUTS, path)
    accuracy = _json_field(props, "accuracy", path)
    if not isinstance(accuracy, dict):
        raise BundleError(f"{path}: field accuracy must be a JSON object")
    temperature = _positive_number(props, "temperature", path) if "temperature" in props else 1.0
    detector = None
    if "unknown_detector" in props:
        detector = _json_field(props, "unknown_detector", path)
        try:
            openset.check_detector(detector, len(labels), path)
        except ValueError as e:
            raise BundleError(str(e)) from None
    return BundleMeta(props["model"], labels, window, props["normalization"], props["input_layout"],
                      _number_or(props, "samples_per_symbol", "unknown", path),
                      _number_or(props, "sample_rate", "normalized", path), props["training_preset"],
                      props["training_seed"], accuracy, props["code_version"], trained_window, temperature, detector,
                      shortest)


def _shortest_window(props, window, trained_window, path):
    """The min_window_length field (any-length bundles only, at most trained_window_length), or None."""
    if "min_window_length" not in props:
        return None
    shortest = _positive_int(props, "min_window_length", "a positive integer", path)
    if window != "any":
        raise BundleError(f"{path}: field min_window_length is for bundles of any window length, not {window}")
    if trained_window is not None and trained_window < shortest:
        raise BundleError(f"{path}: field trained_window_length is {trained_window}, under min_window_length {shortest}")
    return shortest


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
    return value if value == word else _positive_number(props, key, path, f"a number or {word!r}")


def _positive_number(props, key, path, expected="a positive number"):
    value = props[key]
    try:
        number = float(value)
    except ValueError:
        raise BundleError(f"{path}: field {key} is {value[:40]!r}, expected {expected}") from None
    if not 0 < number < float("inf"):
        raise BundleError(f"{path}: field {key} must be > 0 and finite, got {value}")
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
    names = [o.name for o in proto.graph.output]

    def run(x):
        outputs = session.run(names, {INPUT_NAME: x})
        return outputs[0], (outputs[1] if len(outputs) > 1 else None)

    return Bundle(path, meta, "onnxruntime", run)


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
    names = [o.name for o in outputs]
    if len(inputs) != 1 or inputs[0].name != INPUT_NAME or names not in ([OUTPUT_NAME], [OUTPUT_NAME, LOGITS_NAME]):
        raise BundleError(f"{path}: graph must have one input '{INPUT_NAME}' and outputs '{OUTPUT_NAME}' "
                          f"(and optionally '{LOGITS_NAME}'), has {names}")
    dims_in = _dims(inputs[0])
    want_len = None if meta.window_length == "any" else meta.window_length
    if len(dims_in) != 3 or dims_in[1] != 2 or dims_in[2] != want_len:
        raise BundleError(f"{path}: input must be (B, 2, {meta.window_length}), graph has {dims_in}")
    for output in outputs:
        dims_out = _dims(output)
        if len(dims_out) != 2 or dims_out[1] != len(meta.labels):
            raise BundleError(f"{path}: output must be (B, {len(meta.labels)}) for {len(meta.labels)} labels, "
                              f"graph's {output.name} has {dims_out}")
    if meta.unknown_detector and meta.unknown_detector["method"] != "msp" and len(outputs) == 1:
        raise BundleError(f"{path}: unknown detector {meta.unknown_detector['method']!r} needs the graph's "
                          f"'{LOGITS_NAME}' output, which it lacks")


def _dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


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
            out = module(torch.from_numpy(x).to(device))
        if isinstance(out, tuple):  # (probs, logits) since bundles carry logits
            return out[0].cpu().numpy(), out[1].cpu().numpy()
        return out.cpu().numpy(), None

    return Bundle(path, meta, "torch", run)


def _pt_path(onnx_path):
    return os.path.splitext(onnx_path)[0] + ".pt"
