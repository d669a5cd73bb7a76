"""A training run: its settings (`run.json`, versioned and validated on read), its data, its
checkpoint and the bundle it ends in. `apps/train_and_export.py` starts one, and
`apps/export_checkpoint.py` and `apps/prune.py` pick one up from its folder.
"""
import dataclasses
import json
import math
import os

import torch

from . import calibration, dataset, evaluation, loaders, openset, training
from .bundle import export, load_bundle
from .models import build, count_parameters, get_spec, list_models
from .normalize import NORMALIZATIONS
from .synthesis import get_preset

RUN_FORMAT = 1
SOURCES = ("preset", "data", "rml2016", "rml2018", "sigmf")  # where the examples come from


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """What a run was asked to do: everything needed to make its data and model again."""

    model: str
    source: str  # one of SOURCES
    location: str  # the preset's name, or the file or folder
    recipe: dict  # training.Recipe's fields
    seed: int = 0
    length: int = None  # window length (synthesis, SigMF); None: the source's
    train_per_class_snr: int = 900
    eval_per_class_snr: int = 100
    eta: float = None  # small-sample share of the training set (SigNet Fig. 6)
    min_snr_db: float = None  # synthesize only at the preset's SNR levels >= this (train, val and test)
    normalization: str = None  # None: the model's declared one
    crop: int = None
    crop_share: float = None  # share of training batches cropped to `crop` (None: every batch)
    model_options: dict = dataclasses.field(default_factory=dict)
    init_from: str = None
    teachers: list = dataclasses.field(default_factory=list)  # bundle paths: distillation targets
    bundle: str = None
    report_dir: str = None
    torchscript: bool = False
    bf16: bool = False
    format: int = RUN_FORMAT

    def __post_init__(self):
        _check(self.model in list_models(), f"unknown model {self.model!r}")
        _check(self.source in SOURCES, f"source must be one of {', '.join(SOURCES)}, got {self.source!r}")
        _check(isinstance(self.location, str) and self.location, "location must name a preset or a file")
        if self.source == "preset":
            get_preset(self.location)
        training.Recipe(**self.recipe)
        _check(self.format == RUN_FORMAT, f"format {self.format!r} is not {RUN_FORMAT}, the one this version reads")
        _check(_whole(self.seed, 0), f"seed must be a whole number >= 0, got {self.seed!r}")
        for name in ("train_per_class_snr", "eval_per_class_snr"):
            _check(_whole(getattr(self, name), 1), f"{name} must be a whole number >= 1, got {getattr(self, name)!r}: "
                                                   f"a run without examples would export an untrained bundle")
        _check(self.length is None or _whole(self.length, 2), f"length must be >= 2 samples, got {self.length!r}")
        _check(self.source != "sigmf" or self.length, "a SigMF source needs a length (the window to cut annotations into)")
        _check(self.eta is None or (isinstance(self.eta, (int, float)) and 0 < self.eta <= 1),
               f"eta must be in (0, 1], got {self.eta!r}")
        _check(self.min_snr_db is None or (isinstance(self.min_snr_db, (int, float)) and math.isfinite(self.min_snr_db)),
               f"min_snr_db must be a number of dB, got {self.min_snr_db!r}")
        _check(self.min_snr_db is None or self.source == "preset",
               "min_snr_db applies to synthesized examples (--preset), not to a file's")
        _check(self.normalization is None or self.normalization in NORMALIZATIONS,
               f"normalization must be one of {', '.join(NORMALIZATIONS)}, got {self.normalization!r}")
        _check(self.crop is None or _whole(self.crop, 1), f"crop must be a whole number of samples, got {self.crop!r}")
        _check(self.crop_share is None or (self.crop and isinstance(self.crop_share, (int, float))
                                           and 0 < self.crop_share < 1),
               f"crop_share must lie in (0, 1) and needs a crop, got {self.crop_share!r} with crop {self.crop!r}")
        _check(isinstance(self.model_options, dict), "model_options must be an object")
        _check(isinstance(self.teachers, list) and all(isinstance(t, str) for t in self.teachers),
               "teachers must be a list of bundle paths")
        training.check_distillation(self.teachers, self.recipe.get("distill_weight", 0.0))

    @classmethod
    def from_dict(cls, d, where):
        """A RunConfig from run.json's content; a ValueError naming `where` for anything else."""
        if not isinstance(d, dict):
            raise ValueError(f"{where}: not a run description (a JSON object)")
        if "format" not in d:
            raise ValueError(f"{where}: no 'format' field; written by a version before runs were versioned")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"{where}: unknown fields {unknown}")
        try:
            return cls(**d)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: {e}") from None


def _whole(value, low):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _check(ok, message):
    if not ok:
        raise ValueError(message)


class Run:
    """A run folder: run.json, checkpoint.pt, train.log, report/ and, by default, the bundle."""

    def __init__(self, config, folder):
        self.config, self.folder = config, folder
        self.checkpoint = os.path.join(folder, "checkpoint.pt")

    @classmethod
    def load(cls, folder):
        """The run in `folder`, its run.json validated."""
        path = os.path.join(folder, "run.json")
        if not os.path.isfile(path):
            raise ValueError(f"{folder}: not a run folder (no run.json)")
        try:
            with open(path) as f:
                d = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None
        return cls(RunConfig.from_dict(d, path), folder)

    def save(self):
        """Write run.json (to a temporary file, then renamed)."""
        path = os.path.join(self.folder, "run.json")
        with open(path + ".tmp", "w") as f:
            json.dump(dataclasses.asdict(self.config), f, indent=1)
        os.replace(path + ".tmp", path)

    @property
    def normalization(self):
        return self.config.normalization or get_spec(self.config.model).normalization

    @property
    def recipe(self):
        return training.Recipe(**self.config.recipe)

    def data(self):
        """The run's TrainData: fresh synthesized batches, or a file's split (with eta, a share of it)."""
        c = self.config
        if c.source == "preset":
            return training.synthetic_data(c.location, c.seed, c.train_per_class_snr, c.eval_per_class_snr,
                                           c.length, c.eta, c.min_snr_db)
        data = self._file_data()
        return training.small_sample(data, c.eta, c.seed) if c.eta else data

    def _file_data(self):
        c = self.config
        if c.source == "data":
            d = dataset.read(c.location)
            return training.fixed_data(d, c.seed, d.meta.get("preset", "file"), d.meta.get("samples_per_symbol", "unknown"))
        if c.source == "rml2016":
            return training.fixed_data(loaders.load_rml2016(c.location), c.seed, "rml2016-file", 8)
        if c.source == "rml2018":
            return training.fixed_data(loaders.load_rml2018(c.location), c.seed, "rml2018-file")
        return training.fixed_data(loaders.load_sigmf(c.location, c.length), c.seed, "sigmf")

    def build_model(self, data, **options):
        """The run's model, untrained, for `data`'s classes and window length; `options` override
        the run's model options (those that keep the weights' shapes, such as views)."""
        return build(self.config.model, len(data.label_names), data.length, **{**self.config.model_options, **options})

    def restore_best(self, data, **options):
        """(model with the best weights so far, training.State) from the run's checkpoint.pt, or
        from best.pt, the best weights alone (what models/resume keeps of a shipped bundle's run);
        `options` as for build_model."""
        path = self.checkpoint if os.path.isfile(self.checkpoint) else os.path.join(self.folder, "best.pt")
        if not os.path.isfile(path):
            raise ValueError(f"{self.folder}: no checkpoint.pt or best.pt to restore")
        ck = torch.load(path, map_location="cpu", weights_only=False)
        model = self.build_model(data, **options)
        model.load_state_dict(ck["best_model"])
        return model.eval(), training.State(**ck["state"])

    def load_teachers(self, data, threads=None):
        """The distillation teachers as loaded bundles, each checked to know `data`'s classes in
        its order and to take its window length."""
        teachers = [load_bundle(path, threads=threads) for path in self.config.teachers]
        for t in teachers:
            _check(list(t.labels) == list(data.label_names),
                   f"teacher {t.path}: classes {list(t.labels)} are not the run's {list(data.label_names)}")
            _check(t.meta.window_length in ("any", data.length),
                   f"teacher {t.path}: takes {t.meta.window_length}-sample windows, the run's are {data.length}")
        return teachers

    def bundle_path(self, data):
        return self.config.bundle or os.path.join(self.folder, f"{self.config.model}_{data.meta['preset']}.onnx")

    def batchnorm_crop_share(self, override=None):
        """The share of BatchNorm's recalibration batches cut to the run's crop: `override`, checked
        (cheap, so apps can refuse a bad value before making the data), or the run's crop_share."""
        _check(override is None or (self.config.crop and 0 <= override <= 1),
               f"batchnorm_crop_share must lie in [0, 1] and the run needs a crop, got {override!r} "
               f"with crop {self.config.crop!r}")
        return self.config.crop_share if override is None else override

    def finish(self, model, data, state, log=print, bundle=None, batchnorm_crop_share=None):
        """Recalibrate BatchNorm statistics, fit the confidence (temperature, unknown detector) on
        the validation split, evaluate on the test split, export the bundle once (scores in its
        metadata) and write the report; returns the report. batchnorm_crop_share: the share of
        BatchNorm's windows cut to the run's crop (default: the run's crop_share), e.g. 1 to set
        BatchNorm for the shorter windows of a run trained on two lengths."""
        share = self.batchnorm_crop_share(batchnorm_crop_share)
        layers = training.recalibrate_batchnorm(model, data, self.normalization, state.epoch,
                                                crop=self.config.crop, crop_share=share)
        if layers:
            cut = "" if share is None else f", {share:.0%} of them cut to {self.config.crop} samples"
            log(f"BatchNorm statistics of {layers} layers recalibrated on training windows of epoch {state.epoch + 1}{cut}")
        model = model.cpu().eval()
        val, test = data.val, data.test
        confidence = openset.fit_confidence(training.model_logits(model, val.iq, self.normalization).numpy(),
                                            val.labels, val.snr_db)
        log(f"confidence fitted on {len(val.labels)} validation windows: temperature {confidence['temperature']:.3f}, "
            f"unknown detector {confidence['unknown_detector']['method']}")
        logits = training.model_logits(model, test.iq, self.normalization).numpy()
        probs = calibration.tempered(logits, confidence["temperature"])
        rep = evaluation.report(probs, test.labels, test.snr_db, data.label_names)
        rep.update(model=self.config.model, parameters=count_parameters(model), trained_on=dict(data.meta),
                   epochs=state.epoch, best_epoch=state.best_epoch + 1, train_examples=state.examples,
                   train_seconds=round(state.seconds, 1), history=state.history)
        summary = {k: rep[k] for k in ("overall_accuracy", "mean_accuracy_over_snr", "peak_accuracy", "peak_snr_db")}
        summary.update(epochs=state.epoch, train_examples=state.examples, test_examples=len(test.labels))
        path = bundle or self.bundle_path(data)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        export(model, path, data.label_names, {"normalization": self.normalization}, dict(data.meta), summary,
               torchscript=self.config.torchscript, confidence=confidence)
        title = f"{self.config.model} ({data.meta['preset']})"
        evaluation.write_report(rep, self.config.report_dir or os.path.join(self.folder, "report"), title)
        log(f"test accuracy {100 * rep['overall_accuracy']:.2f}% (peak {100 * rep['peak_accuracy']:.2f}% at "
            f"{rep['peak_snr_db']:g} dB); bundle {path}")
        return rep

