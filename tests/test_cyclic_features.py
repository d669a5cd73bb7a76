"""The hybrid model's fixed cyclic features: lines where the physics puts them, blind derotation."""
import numpy as np
import pytest
import torch

from modrec_core.models import cyclic_features as cf
from modrec_core.synthesis import get_preset, synthesize

SIG2019 = get_preset("sig2019")


def _windows(label, snr_db, seed, count=8):
    b = synthesize(SIG2019, np.full(count, SIG2019.labels.index(label)), np.full(count, float(snr_db)), seed)
    return torch.from_numpy(b.iq()), b.params["cfo"]


@pytest.mark.parametrize("label", ["BPSK", "QPSK", "4PAM"])
def test_carrier_offset_is_read_from_the_fourth_power_line(label):
    x, cfo = _windows(label, 20, seed=11)
    features = cf.CyclicFeatures(SIG2019.length)
    z = cf.rms_normalize(x)
    estimate = features._line_frequency(features._power_spectrum(cf.cpowers(z)[4])) / 4
    assert np.abs(estimate.numpy() - cfo).max() < 2e-4


def test_derotated_bpsk_lies_on_the_real_axis():
    x, _ = _windows("BPSK", 30, seed=12)
    _, derotated, _, _ = cf.CyclicFeatures(SIG2019.length)(x)
    i, q = derotated[:, 0], derotated[:, 1]
    # derotated to within a multiple of 90 degrees: the energy sits on one axis, not spread
    on_axis = torch.maximum((i ** 2).mean(dim=1), (q ** 2).mean(dim=1))
    assert (on_axis > 0.97).all()


def test_bpsk_square_has_its_line_at_twice_the_offset():
    x, cfo = _windows("BPSK", 20, seed=13)
    spectra, _, _, _ = cf.CyclicFeatures(SIG2019.length)(x)
    k2 = 1 + cf.POWERS.index(2)
    peak = spectra[:, k2].argmax(dim=1).numpy() - SIG2019.length // 2  # spectra are fftshifted
    want = np.round(2 * cfo * SIG2019.length)
    assert np.abs(peak - want).max() <= 1


def test_features_do_not_see_the_gain():
    x, _ = _windows("16QAM", 10, seed=14)
    features = cf.CyclicFeatures(SIG2019.length)
    for a, b in zip(features(x), features(37.0 * x)):
        assert torch.allclose(a, b, atol=1e-4)


def test_histograms_hold_every_sample():
    x, _ = _windows("8PSK", 30, seed=15)
    features = cf.CyclicFeatures(SIG2019.length)
    re, im = cf.rms_normalize(x)
    amp = features._amplitude_histogram(re ** 2 + im ** 2)
    assert torch.allclose(amp.sum(dim=1), torch.ones(len(x)), atol=1e-4)  # 8PSK at unit power stays in range
    _, _, hist, _ = features(x)
    counts = torch.expm1(hist) / 100.0  # the histogram is log1p(100 x share)
    assert torch.all(counts.sum(dim=(1, 2, 3)) > 0.99)
