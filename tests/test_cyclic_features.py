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


def test_long_windows_average_the_spectra_of_their_frames():
    """A 1,024-sample window's spectra are the mean of its two 512-sample halves' (Bartlett), so a
    longer window keeps the bins a trained model knows and only lowers the estimate's noise."""
    x, _ = _windows("QPSK", 10, seed=16)
    long = torch.cat([x, x.flip(2)], dim=2)
    features = cf.CyclicFeatures(2 * SIG2019.length)
    assert features.frame == cf.SPECTRUM_FRAME
    z = cf.rms_normalize(long)
    halves = [features._power_spectrum((z[0][:, s], z[1][:, s])) for s in (slice(0, 512), slice(512, None))]
    assert torch.allclose(features._power_spectrum(z), (halves[0] + halves[1]) / 2, rtol=1e-4, atol=1e-3)
    spectra, derotated, _, _ = features(long)
    assert spectra.shape == (len(x), cf.CyclicFeatures.n_spectra, cf.SPECTRUM_FRAME)
    assert derotated.shape == long.shape


def test_carrier_offset_is_read_from_a_long_window():
    preset = SIG2019.with_length(2048)
    b = synthesize(preset, np.full(8, preset.labels.index("QPSK")), np.full(8, 20.0), 17)
    features = cf.CyclicFeatures(preset.length)
    z = cf.rms_normalize(torch.from_numpy(b.iq()))
    estimate = features._line_frequency(features._power_spectrum(cf.cpowers(z)[4])) / 4
    assert np.abs(estimate.numpy() - b.params["cfo"]).max() < 2e-4


def test_windows_shorter_than_a_frame_are_refused():
    with pytest.raises(ValueError, match="need windows of >= 512 samples, got 300"):
        cf.CyclicFeatures(1024)(torch.randn(2, 2, 300))
