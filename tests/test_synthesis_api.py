"""Synthesizer contract: determinism, switchable impairments, RML presets, clear errors."""
import numpy as np
import pytest

from modrec_core.synthesis import PRESETS, get_preset, synthesize
from modrec_core.synthesis.modulators import AUX, audio

SIG = get_preset("sig2019")


def test_same_seed_same_bytes_across_batch_sizes_and_runs():
    labels = np.arange(1000) % 12
    snr = np.asarray(SIG.snr_levels)[np.arange(1000) % 26]
    whole = synthesize(SIG, labels, snr, seed=9)
    parts = [synthesize(SIG, labels[i:i + 100], snr[i:i + 100], seed=9, first=i) for i in range(0, 1000, 100)]
    assert np.concatenate([p.x for p in parts]).tobytes() == whole.x.tobytes()
    assert np.array_equal(np.concatenate([p.params["cfo"] for p in parts]), whole.params["cfo"])
    assert synthesize(SIG, labels, snr, seed=9).x.tobytes() == whole.x.tobytes()
    assert not np.allclose(synthesize(SIG, labels, snr, seed=10).x, whole.x)


def test_switching_one_impairment_off_keeps_the_other_draws():
    labels = np.arange(64) % 12
    full = synthesize(SIG, labels, 10.0, seed=4, keep_clean=True)
    no_cfo = synthesize(SIG.without("cfo"), labels, 10.0, seed=4, keep_clean=True)
    assert "cfo" not in no_cfo.params
    assert np.array_equal(full.params["phase"], no_cfo.params["phase"])
    assert np.array_equal(full.symbols, no_cfo.symbols)
    assert np.allclose(full.x - full.clean, no_cfo.x - no_cfo.clean, atol=1e-6)  # same noise
    clean = synthesize(SIG.without("awgn"), labels, 10.0, seed=4, keep_clean=True)
    assert np.array_equal(clean.x, clean.clean)


@pytest.mark.parametrize("name,n_classes,length", [("rml2016a", 11, 128), ("rml2018", 24, 1024)])
def test_rml_presets_shapes_and_channel(name, n_classes, length):
    preset = get_preset(name)
    assert len(preset.classes) == n_classes and preset.length == length
    labels = np.arange(n_classes * 40) % n_classes
    b = synthesize(preset, labels, 10.0, seed=1, keep_clean=True)
    assert b.x.shape == (len(labels), length) and np.all(np.isfinite(b.x))
    assert {"fading_taps", "sro", "cfo", "phase"} <= set(b.params)
    assert np.mean(np.sum(np.abs(b.params["fading_taps"]) ** 2, 1)) == pytest.approx(1.0, abs=0.1)
    assert np.allclose(np.mean(np.abs(b.clean) ** 2, 1), 1.0, atol=1e-4)  # SNR defined on received power


def test_audio_source_is_never_silent():
    aux = np.random.default_rng(0).random((5000, AUX))
    a = audio(aux, 128)
    assert np.all(np.sqrt(np.mean(a ** 2, 1)) > 0.15) and np.allclose(np.max(np.abs(a), 1), 1.0)


def test_rml_analog_classes_carry_their_audio():
    preset = get_preset("rml2016a").without("fading", "sro", "phase", "cfo", "awgn")

    def clean(name):
        return synthesize(preset, np.full(300, preset.class_index(name)), 0.0, seed=3).x

    assert np.all(np.std(np.abs(clean("AM-DSB")), 1) > 0.05)  # envelope follows the audio
    ssb_freq = np.angle(clean("AM-SSB")[:, 1:] * np.conj(clean("AM-SSB")[:, :-1]))
    assert np.all(np.mean(ssb_freq, 1) > 0.005)  # upper sideband: positive audio frequencies
    fm_step = np.angle(clean("WBFM")[:, 1:] * np.conj(clean("WBFM")[:, :-1]))
    assert np.all(np.std(fm_step, 1) > 0.01)  # frequency follows the audio


def test_fading_changes_the_waveform():
    preset = get_preset("rml2016a")
    labels = np.full(50, preset.class_index("QPSK"))
    a = synthesize(preset.without("awgn"), labels, 10.0, seed=2)
    b = synthesize(preset.without("awgn", "fading"), labels, 10.0, seed=2)
    assert np.mean(np.abs(a.x - b.x) ** 2) > 0.05


@pytest.mark.parametrize("call,message", [
    (lambda: synthesize(SIG, [12], 0.0, 0), "class indices"),
    (lambda: synthesize(SIG, [0], np.nan, 0), "finite"),
    (lambda: synthesize(SIG, [0], 0.0, -1), "seed"),
    (lambda: get_preset("rml2099"), "unknown preset"),
    (lambda: SIG.class_index("GMSK"), "unknown class"),
    (lambda: SIG.with_length(500), "multiple of 8"),
    (lambda: SIG.without("doppler"), "no impairment"),
    (lambda: SIG.with_rolloff(0.8, 0.2), "roll-off"),
])
def test_bad_requests_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_preset_class_lists():
    assert PRESETS["sig2019"].labels == ["BPSK", "QPSK", "8PSK", "OQPSK", "2FSK", "4FSK", "8FSK",
                                         "16QAM", "32QAM", "64QAM", "4PAM", "8PAM"]
    assert len(PRESETS["sig2019"].snr_levels) == 26
    assert PRESETS["rml2016a"].snr_levels[0] == -20 and PRESETS["rml2016a"].snr_levels[-1] == 18
    for preset in PRESETS.values():
        for mod in preset.classes:
            if mod.points is not None and mod.kind != "fsk":
                assert np.mean(np.abs(mod.points) ** 2) == pytest.approx(1.0, rel=1e-5), mod.name
