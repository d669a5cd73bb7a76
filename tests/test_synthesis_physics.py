"""The synthesizer's physics: SNR, symbols, tones, offsets, bandwidth, transients."""
from dataclasses import replace

import numpy as np
import pytest

from modrec_core.synthesis import get_preset, synthesize
from modrec_core.synthesis import pulses
from modrec_core.synthesis.channel import RandomMultipath, oracle_equalized
from modrec_core.synthesis.presets import FRONT_END

SIG = get_preset("sig2019")
SPS = SIG.sps


def _batch(preset, name, n, snr, seed=11, **kw):
    return synthesize(preset, np.full(n, preset.class_index(name)), snr, seed, **kw)


@pytest.mark.parametrize("preset_name", ["sig2019", "rml2016a", "rml2018"])
def test_measured_snr_matches_label_at_every_level(preset_name):
    preset = get_preset(preset_name)
    levels = np.repeat(preset.snr_levels, 1000)
    labels = np.arange(len(levels)) % len(preset.classes)
    b = synthesize(preset, labels, levels, seed=5, keep_clean=True)
    noise = b.x - b.clean
    measured = 10 * np.log10(np.mean(np.abs(b.clean) ** 2, 1) / np.mean(np.abs(noise) ** 2, 1))
    per_level = measured.reshape(len(preset.snr_levels), 1000).mean(axis=1)
    assert np.max(np.abs(per_level - np.asarray(preset.snr_levels))) < 0.1


def _decide(values, points):
    return np.argmin(np.abs(values[..., None] - points[None, None, :]), axis=-1)


@pytest.mark.parametrize("name", ["BPSK", "QPSK", "8PSK", "16QAM", "32QAM", "64QAM", "4PAM", "8PAM"])
def test_linear_symbols_recovered_at_30db(name):
    clean_channel = SIG.without("phase", "cfo")
    b = _batch(clean_channel, name, 200, 30.0)
    points = SIG.classes[SIG.class_index(name)].points
    y = b.x[:, ::SPS]  # raised cosine is Nyquist: sampling at the symbol instants is the matched receiver
    sent = points[b.symbols]
    gain = np.sum(y * np.conj(sent), 1) / np.sum(np.abs(sent) ** 2, 1)
    assert np.allclose(np.angle(gain), 0, atol=0.05)  # phase switched off really is off
    assert np.array_equal(_decide(y / gain[:, None], points), b.symbols)


def test_oqpsk_quadrature_is_offset_by_half_a_symbol():
    b = _batch(SIG.without("phase", "cfo"), "OQPSK", 200, 30.0)
    points = SIG.classes[SIG.class_index("OQPSK")].points
    sent = points[b.symbols]
    i = b.x.real[:, ::SPS]
    q_offset = b.x.imag[:, SPS // 2::SPS]
    q_aligned = b.x.imag[:, ::SPS]
    scale = np.sqrt(np.mean(i ** 2 + q_offset ** 2, 1, keepdims=True))
    assert np.array_equal(np.sign(i), np.sign(sent.real))
    assert np.array_equal(np.sign(q_offset), np.sign(sent.imag))
    assert np.mean(np.sign(q_aligned) != np.sign(sent.imag)) > 0.2  # without the offset it fails
    assert np.allclose(np.abs(i / scale), np.sqrt(0.5), atol=0.1)


@pytest.mark.parametrize("name,order", [("2FSK", 2), ("4FSK", 4), ("8FSK", 8)])
def test_fsk_tones_and_spacing(name, order):
    mod = SIG.classes[SIG.class_index(name)]
    tones = mod.points * mod.index / SPS  # cycles per sample
    assert len(tones) == order and np.allclose(np.diff(tones), mod.index / SPS)  # spacing h / T
    n = np.arange(1, SIG.length // SPS) * SPS  # symbol centres after the first

    def freq(x):
        return np.angle(x[:, n] * np.conj(x[:, n - 1])) / (2 * np.pi)  # phase step into sample n

    noisy = _batch(SIG.without("phase", "cfo"), name, 100, 30.0)
    assert np.array_equal(_decide(freq(noisy.x), tones), noisy.symbols[:, 1:])
    clean = _batch(SIG.without("phase", "cfo", "awgn"), name, 100, 30.0)
    assert np.allclose(freq(clean.x), tones[clean.symbols[:, 1:]], atol=1e-6)


def test_cfo_estimated_from_data_matches_label():
    b = _batch(SIG, "QPSK", 100, 30.0)
    spectrum = np.abs(np.fft.fft(b.x.astype(np.complex128) ** 4, n=1 << 16, axis=1))
    freqs = np.fft.fftfreq(1 << 16)
    estimate = freqs[np.argmax(spectrum, axis=1)] / 4
    assert np.max(np.abs(estimate - b.params["cfo"])) < 2e-4
    assert np.all(np.abs(b.params["cfo"]) <= 0.1) and np.ptp(b.params["cfo"]) > 0.1


def _rc_occupied_bandwidth(beta, share=0.99):
    f = np.linspace(0, 1.0, 200001)  # one side, in units of the symbol rate
    h = np.where(f <= (1 - beta) / 2, 1.0,
                 np.where(f <= (1 + beta) / 2, 0.5 * (1 + np.cos(np.pi / beta * (f - (1 - beta) / 2))), 0.0))
    c = np.cumsum(h ** 2)
    return 2 * f[np.searchsorted(c / c[-1], share)]


@pytest.mark.parametrize("beta", [0.2, 0.45, 0.7])
def test_occupied_bandwidth_follows_rolloff(beta):
    preset = SIG.without("phase", "cfo", "awgn").with_rolloff(beta)
    b = _batch(preset, "QPSK", 400, 30.0)
    psd = np.mean(np.abs(np.fft.fft(b.x * np.hanning(b.x.shape[1]), axis=1)) ** 2, axis=0)
    psd = np.fft.fftshift(psd)
    f = np.fft.fftshift(np.fft.fftfreq(b.x.shape[1]))
    centre = np.argmin(np.abs(f))
    one_side = psd[centre:] + psd[centre::-1][: len(psd) - centre]
    share = np.cumsum(one_side) / np.sum(one_side)
    measured = 2 * f[centre + np.searchsorted(share, 0.99)]  # cycles per sample
    expected = _rc_occupied_bandwidth(beta) / SPS
    assert abs(measured - expected) < 0.1 * expected
    assert measured <= (1 + beta) / SPS


def test_no_filter_transient_at_window_edges():
    b = _batch(SIG.without("phase", "cfo", "awgn"), "16QAM", 2000, 30.0)
    power = np.mean(np.abs(b.x) ** 2, axis=0)
    edges = np.concatenate([power[:16], power[-16:]])
    assert np.all(np.abs(edges / power.mean() - 1) < 0.15)


def test_rolloff_and_parameters_are_returned_per_example():
    labels = np.arange(240) % 12
    b = synthesize(SIG, labels, 10.0, seed=2)
    assert set(b.params) >= {"rolloff", "phase", "cfo", "snr_db"}
    assert np.nanmin(b.params["rolloff"]) >= 0.2 and np.nanmax(b.params["rolloff"]) <= 0.7
    assert np.all(np.abs(b.params["phase"]) <= np.pi)
    assert b.iq().shape == (240, 2, 512) and b.iq().dtype == np.float32


def test_pulse_is_nyquist_and_symbols_needed_is_enough():
    t = np.arange(-pulses.HALF_SPAN, pulses.HALF_SPAN + 1)
    g = pulses.raised_cosine(t, 0.35)
    assert g[pulses.HALF_SPAN] == pytest.approx(1.0) and np.allclose(np.delete(g, pulses.HALF_SPAN), 0, atol=1e-12)
    with pytest.raises(ValueError, match="needs"):
        pulses.shape(np.zeros((1, 10)), pulses.raised_cosine, [0.3], 8, 512)


def test_sig2019_timing_windows_start_off_symbol_boundaries():
    """sig2019 samples symbols at 0, 8, 16, ...; sig2019_timing moves the symbol instants by a
    uniform timing phase: a clean BPSK window is ISI-free (equal magnitudes) there and not on the grid."""
    from modrec_core.synthesis.channel import interpolate

    aligned, shifted = (_batch(get_preset(name).without("phase", "cfo", "awgn"), "BPSK", 200, 30.0)
                        for name in ("sig2019", "sig2019_timing"))
    tau = shifted.params["timing"]
    assert "timing" not in aligned.params and 0 <= tau.min() and tau.max() < SPS and tau.std() > 2

    def spread(v):  # 0 where every sample sits on a symbol instant of a +-1 BPSK
        return np.abs(v).std(axis=1) / np.abs(v).mean(axis=1)

    grid = np.arange(4, 60) * SPS
    assert spread(aligned.x[:, grid]).max() < 1e-3
    assert spread(interpolate(shifted.x, grid[None, :] + (SPS - tau[:, None]) % SPS)).max() < 1e-2
    assert np.median(spread(shifted.x[:, grid])) > 0.3  # on the old grid most windows are between symbols


FIELD = get_preset("sig2019_field")


def _field_only(*keep):
    """sig2019_field with every impairment but `keep` switched off (AWGN too)."""
    return FIELD.without(*[s for s in FIELD.stage_names if s not in keep])


def test_rrc_pulse_squared_is_nyquist_and_half_the_field_windows_use_it():
    t = np.arange(-16 * 8, 16 * 8 + 1) / 8
    g = pulses.root_raised_cosine(t, 0.35)
    rc = np.convolve(g, g)
    mid = len(rc) // 2
    instants = rc[mid + 8 * np.arange(-6, 7)] / rc[mid]
    assert np.allclose(np.delete(instants, 6), 0, atol=5e-3)  # RRC * RRC = RC: zero ISI
    assert not np.allclose(g[8 * np.arange(1, 6) + 16 * 8], 0, atol=1e-2)  # RRC alone is not Nyquist
    b = _batch(_field_only(), "QPSK", 400, 30.0)
    assert 0.4 < b.params["rrc"].mean() < 0.6
    fsk = _batch(_field_only(), "2FSK", 400, 30.0)
    assert np.isnan(fsk.params["rolloff"][fsk.params["rrc"] == 1]).all()  # CPFSK: rectangular, no roll-off


def test_symbol_rate_error_moves_the_baud_line():
    """The |x|^2 spectral line of a linear class sits at the symbol rate, (1 + sro) / sps."""
    b = _batch(_field_only("sro").with_length(4096), "QPSK", 60, 40.0)
    env = np.abs(b.x) ** 2
    spec = np.abs(np.fft.rfft(env - env.mean(axis=1, keepdims=True), n=1 << 16, axis=1))
    f = np.fft.rfftfreq(1 << 16)
    band = (f > 0.112) & (f < 0.138)  # 1/8 +- 7 %
    peak = f[band][np.argmax(spec[:, band], axis=1)]
    sro = b.params["sro"]  # the drift is centred on the window: its mean rate error is sro
    hit = np.isclose(peak, (1 + sro) / SPS, atol=4e-4)
    assert np.abs(sro).max() > 0.03 and hit.mean() > 0.9  # a few low-roll-off windows have a weak line


def test_multipath_is_static_drawn_and_flat_in_the_rest():
    b = _batch(_field_only("multipath"), "BPSK", 400, 30.0)
    taps, delays = b.params["multipath_taps"], b.params["multipath_delays"]
    assert np.allclose(np.sum(np.abs(taps) ** 2, axis=1), 1, atol=1e-5)
    flat = np.isclose(np.abs(taps[:, 0]), 1.0)
    assert 0.4 < flat.mean() < 0.6 and (delays[:, 0] == 0).all() and delays.max() <= SPS
    clean = _batch(_field_only(), "BPSK", 400, 30.0)
    assert np.allclose(b.x[flat], clean.x[flat], atol=1e-4)  # a flat channel changes nothing
    assert not np.allclose(b.x[~flat], clean.x[~flat], atol=1e-2)


def test_without_line_of_sight_the_first_path_fades_deeply_as_often_as_rayleigh():
    """los_share 0: the first path is Rayleigh, so its power falls under a tenth of the channel's in
    several % of windows (exponential power); a Rician first path (K up to 10) rarely does."""
    bare = _field_only()
    deep = {}
    for los in (0.0, 1.0):
        preset = replace(bare, stages=(RandomMultipath(float(SPS), los_share=los),))
        taps = _batch(preset, "BPSK", 2000, 30.0).params["multipath_taps"]
        deep[los] = np.mean(np.abs(taps[:, 0]) ** 2 < 0.1)
    assert deep[0.0] > 0.05 and deep[0.0] > 2.5 * deep[1.0]
    echoed = _batch(get_preset("sig2019_multipath").without("awgn"), "BPSK", 200, 30.0).params["multipath_taps"]
    assert not np.isclose(np.abs(echoed[:, 0]), 1.0).any()  # every window crosses multipath


def test_an_equalizer_that_knows_the_channel_gives_back_the_flat_window():
    """oracle_equalized undoes each window's own multipath under its CFO, up to the scale the
    synthesizer's unit-power step gives each window (away from the edges, where the window's
    circular FFT and the channel's margins differ)."""
    preset = get_preset("sig2019_multipath").without("awgn", *FRONT_END)
    echoed = _batch(preset, "QPSK", 100, 30.0)
    flat = _batch(preset.without("multipath"), "QPSK", 100, 30.0)
    y, middle = flat.x[:, 128:384], slice(128, 384)

    def error(x):
        x = x[:, middle]
        scale = np.sum(np.conj(x) * y, axis=1) / np.sum(np.abs(x) ** 2, axis=1)
        return np.median(np.linalg.norm(scale[:, None] * x - y, axis=1) / np.linalg.norm(y, axis=1))

    assert error(echoed.x) > 0.3
    assert error(oracle_equalized(echoed.x, echoed.params, np.full(100, 60.0))) < 0.01


def test_iq_imbalance_and_dc_offset_are_what_the_parameters_say():
    b = _batch(_field_only("iq_imbalance", "dc_offset"), "QPSK", 300, 30.0)
    clean = _batch(_field_only(), "QPSK", 300, 30.0)
    g = 10 ** (b.params["iq_gain_db"] / 20)
    phi = np.deg2rad(b.params["iq_phase_deg"])
    q = g[:, None] * (clean.x.imag * np.cos(phi)[:, None] - clean.x.real * np.sin(phi)[:, None])
    model = clean.x.real + 1j * q
    assert np.allclose(b.x - model, (b.x - model).mean(axis=1, keepdims=True), atol=1e-4)
    rms = np.sqrt(np.mean(np.abs(model) ** 2, axis=1))
    dc = (b.x - model).mean(axis=1)
    assert np.allclose(np.abs(dc), b.params["dc_level"] * rms, atol=1e-4)
    assert np.allclose(np.angle(dc), b.params["dc_angle"], atol=1e-3)


def test_adc_quantizes_to_its_bits_at_its_level():
    b = _batch(_field_only("adc"), "16QAM", 300, 30.0)
    bits, level = b.params["adc_bits"], b.params["adc_level_dbfs"]
    assert set(np.unique(bits)) == {0.0, 8.0, 12.0}
    for row in np.flatnonzero(bits == 8)[:20]:
        values = np.unique(b.x[row].real)
        steps = np.diff(values)
        assert len(values) <= 256 and np.allclose(steps / steps.min(), np.round(steps / steps.min()), atol=1e-3)
    eight = np.flatnonzero(bits == 8)
    rms = np.sqrt(np.mean(np.abs(b.x[eight]) ** 2, axis=1) / 2)
    step = np.array([np.diff(np.unique(b.x[r].real)).min() for r in eight])
    assert np.allclose(20 * np.log10(rms / (step * 128)), level[eight], atol=0.5)  # full scale = 128 steps


def test_phase_noise_grows_as_a_random_walk():
    b = _batch(_field_only("phase_noise"), "BPSK", 300, 60.0)
    clean = _batch(_field_only(), "BPSK", 300, 60.0)
    drift = np.unwrap(np.angle(b.x * np.conj(clean.x)), axis=1)
    std = b.params["phase_noise_std"]
    late = drift[:, -1] - drift[:, 0]
    assert 0.5 < np.std(late / (std * np.sqrt(511))) < 1.5  # Wiener: spread grows as sqrt(n)
