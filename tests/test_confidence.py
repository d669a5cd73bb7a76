"""Calibration (temperature, ECE), unknown-signal scores and thresholds, the noise test, and the
bundle fields that carry them."""
import json

import numpy as np
import onnx
import pytest
import torch
from scipy.special import softmax

from modrec_core import calibration, openset, signal_presence
from modrec_core.bundle import BundleError, export, load_bundle, read_metadata, replace_metadata, write_confidence
from modrec_core.models import build
from modrec_core.normalize import normalize
from modrec_core.synthesis import get_preset, synthesize

LABELS = ["A", "B", "C", "D"]


def _sampled(temperature, n=20000, seed=0):
    """Logits and labels drawn from softmax(logits / temperature): calibrated at that temperature."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (n, len(LABELS)))
    p = softmax(logits / temperature, axis=1)
    labels = (rng.uniform(size=(n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    return logits, labels


def test_fitted_temperature_recovers_the_one_the_labels_were_drawn_at():
    logits, labels = _sampled(2.0)
    assert abs(calibration.fit_temperature(logits, labels) - 2.0) < 0.1


def test_temperature_scaling_brings_the_calibration_error_down():
    logits, labels = _sampled(2.0)
    before = calibration.expected_calibration_error(softmax(logits, axis=1), labels)
    after = calibration.expected_calibration_error(calibration.tempered(logits, 2.0), labels)
    assert before > 0.08 and after < 0.015


def test_reliability_bins_count_every_window_once():
    probs = np.array([[0.95, 0.05], [0.55, 0.45], [0.3, 0.7]])
    table = calibration.reliability(probs, [0, 1, 1], bins=10)
    assert sum(table["count"]) == 3
    assert table["accuracy"][9] == 1.0 and table["accuracy"][5] == 0.0  # 0.95 right, 0.55 wrong
    assert np.isclose(calibration.expected_calibration_error(probs, [0, 1, 1], bins=10), (0.05 + 0.55 + 0.3) / 3)


def test_auroc_and_fpr_at_tpr_on_hand_worked_scores():
    assert openset.auroc([0.0, 1.0], [0.5, 2.0]) == 0.75  # 3 of 4 (known, unknown) pairs ranked right
    assert openset.auroc([0, 1, 2], [3, 4]) == 1.0
    rng = np.random.default_rng(0)
    assert abs(openset.auroc(rng.normal(size=5000), rng.normal(size=5000)) - 0.5) < 0.03
    known = np.arange(100.0)
    assert openset.fpr_at_tpr(known, np.array([10.0, 50.0, 96.0, 200.0])) == 0.5


def test_scores_grow_away_from_the_known_classes():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 4000)
    logits = 6 * np.eye(4)[labels] + rng.normal(0, 0.5, (4000, 4))
    vague = rng.normal(0, 0.5, (500, 4))  # no class stands out
    stats = openset.fit_detector(logits, labels, np.full(4000, 20.0), "energy")["stats"]
    for method in openset.METHODS:
        assert openset.auroc(openset.scores(logits, method, 1.0, stats), openset.scores(vague, method, 1.0, stats)) > 0.99


def test_energy_mahalanobis_catches_confident_windows_off_the_class_clusters():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 4, 4000)
    logits = 6 * np.eye(4)[labels] + rng.normal(0, 0.5, (4000, 4))
    two_at_once = 6 * (np.eye(4)[rng.integers(0, 2, 500)] + np.eye(4)[rng.integers(2, 4, 500)]) + rng.normal(0, 0.5, (500, 4))
    det = openset.fit_detector(logits, labels, np.full(4000, 20.0), "energy_mahalanobis")
    known = openset.scores(logits, "energy_mahalanobis", 1.0, det["stats"])
    assert abs(known.mean()) < 1e-6 and known.std() < 1  # standardized parts, on the windows fitted on
    def auroc(method):
        return openset.auroc(openset.scores(logits, method, 1.0, det["stats"]),
                             openset.scores(two_at_once, method, 1.0, det["stats"]))
    assert auroc("energy") < 0.5 < 0.99 < auroc("energy_mahalanobis")  # more confident than any known window
    with pytest.raises(ValueError, match="needs its fitted statistics"):
        openset.scores(logits, "energy_mahalanobis", 1.0, openset.mahalanobis_stats(logits, labels, 4))
    with pytest.raises(ValueError, match="needs statistics standardize"):
        openset.check_detector({**det, "stats": openset.mahalanobis_stats(logits, labels, 4)}, 4, "b.onnx")


def test_detector_threshold_rejects_its_share_of_strong_known_windows_only():
    logits, labels = _sampled(1.0, n=4000)
    snr = np.where(np.arange(4000) % 2 == 0, 20.0, -10.0)
    for method in openset.METHODS:
        det = openset.fit_detector(logits, labels, snr, method)
        s = openset.scores(logits[snr >= 10], method, 1.0, det["stats"])
        assert abs(np.mean(s > det["threshold"]) - openset.FALSE_REJECTION) < 0.005
    with pytest.raises(ValueError, match="no known windows at SNR >= 10 dB"):
        openset.fit_detector(logits, labels, np.full(4000, 0.0), "energy")
    with pytest.raises(ValueError, match="unknown OOD score 'odin'"):
        openset.fit_detector(logits, labels, snr, "odin")


@pytest.mark.parametrize("length", [128, 512, 1024])
def test_white_and_filtered_noise_is_noise(length):
    from scipy import signal

    rng = np.random.default_rng(length)
    z = rng.standard_normal((20000, length)) + 1j * rng.standard_normal((20000, length))
    z[10000:] = signal.lfilter(signal.firwin(31, 0.8), 1.0, z[10000:], axis=-1)
    iq = np.stack([z.real, z.imag], axis=1).astype(np.float32)
    assert np.mean(~signal_presence.is_noise(iq)) < 1e-3
    assert np.mean(~signal_presence.is_noise(normalize(iq, "maxmin"), "maxmin")) < 1e-3


@pytest.mark.parametrize("preset, levels", [("sig2019", (10.0, 20.0, 30.0)), ("sig2019_field", (10.0, 20.0, 30.0)),
                                            ("rml2016a", (10.0, 14.0, 18.0))])
def test_every_class_well_above_the_noise_is_a_signal(preset, levels):
    """Raw windows from 10 dB; after `maxmin` (which takes a carrier at 0 Hz with its per-channel
    offset), the digital classes."""
    p = get_preset(preset)
    labels = np.repeat(np.arange(len(p.classes)), 60)
    snr = np.tile(levels, 20 * len(p.classes))
    iq = synthesize(p, labels, snr, seed=3).iq()
    assert not signal_presence.is_noise(iq).any()
    if preset.startswith("sig2019"):
        assert not signal_presence.is_noise(normalize(iq, "maxmin"), "maxmin").any()


@pytest.fixture(scope="module")
def confident(tmp_path_factory):
    torch.manual_seed(0)
    model = build("pet_cgdnn", len(LABELS), 64).eval()
    path = str(tmp_path_factory.mktemp("conf") / "pet.onnx")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 2, 64)).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(normalize(x, model.spec.normalization))).numpy()
    confidence = openset.fit_confidence(logits, rng.integers(0, len(LABELS), 400), np.full(400, 20.0))
    export(model, path, LABELS, confidence=confidence)
    return path, x, logits, confidence


def test_bundle_applies_its_temperature_and_detector(confident):
    path, x, logits, confidence = confident
    bundle = load_bundle(path)
    assert bundle.meta.temperature == pytest.approx(confidence["temperature"])
    np.testing.assert_allclose(bundle.predict(x), calibration.tempered(logits, confidence["temperature"]), atol=1e-4)
    scores = bundle.score_normalized(normalize(x, bundle.meta.normalization))
    det = confidence["unknown_detector"]
    want = openset.scores(logits, det["method"], confidence["temperature"], det["stats"])
    np.testing.assert_allclose(scores.ood_score, want, rtol=1e-4, atol=1e-4)
    assert abs(np.mean(scores.ood_score > det["threshold"]) - openset.FALSE_REJECTION) < 0.02
    assert scores.noise.all()  # the windows are white noise,
    assert not scores.unknown.any()  # so none is an unknown signal
    assert set(scores.decisions(LABELS)) == {"noise"}


def test_confidence_is_written_into_a_bundle_of_probabilities_only(confident, tmp_path):
    path, x, logits, confidence = confident
    proto = onnx.load(path)  # a bundle from before logits and confidence were exported
    del proto.graph.output[1]
    for k in [k for k, p in enumerate(proto.metadata_props) if p.key in ("temperature", "unknown_detector")][::-1]:
        del proto.metadata_props[k]
    old = str(tmp_path / "old.onnx")
    onnx.save(proto, old)
    assert load_bundle(old).meta.temperature == 1.0 and load_bundle(old).meta.unknown_detector is None
    out = str(tmp_path / "calibrated.onnx")
    write_confidence(old, confidence, out)
    assert [o.name for o in onnx.load(out).graph.output] == ["probs", "logits"]
    np.testing.assert_allclose(load_bundle(out).predict(x), load_bundle(path).predict(x), atol=1e-5)


@pytest.mark.parametrize("change, message", [
    ({"temperature": "-1"}, "field temperature must be > 0"),
    ({"temperature": "warm"}, "field temperature is 'warm'"),
    ({"unknown_detector": json.dumps({"method": "odin", "threshold": 1})}, "field unknown_detector must name a method"),
    ({"unknown_detector": json.dumps({"method": "energy", "threshold": None})}, "needs a finite threshold"),
    ({"unknown_detector": json.dumps({"method": "energy", "threshold": 1.0, "stats": {"means": [[0]]}})},
     "statistics must be 4 x 4"),
])
def test_bad_confidence_metadata_is_refused_with_the_field_named(confident, tmp_path, change, message):
    path = confident[0]
    bad = str(tmp_path / "bad.onnx")
    replace_metadata(path, {**read_metadata(path), **change}, bad)
    with pytest.raises(BundleError, match=message):
        load_bundle(bad)
