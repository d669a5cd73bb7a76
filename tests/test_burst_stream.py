"""The signal source's engine: bursts equal the synthesizer's examples, settings apply live."""
import numpy as np
import pytest

from modrec_core.burst_stream import BurstStream
from modrec_core.synthesis import get_preset, synthesize


def test_bursts_are_the_synthesizer_examples_at_the_noise_floor():
    stream = BurstStream(seed=5, gap_len=100, gap="silence", noise_floor_db=-20)
    x, records = stream.next_chunk()
    preset = get_preset("sig2019")
    for offset, truth in records[:5]:
        b = synthesize(preset, [preset.class_index(truth["mod"])], truth["snr_db"], 5, first=truth["burst"])
        scale = np.sqrt(10 ** (-20 / 10) * 10 ** (truth["snr_db"] / 10))
        assert np.allclose(x[offset:offset + 512], b.x[0] * scale, rtol=1e-5, atol=1e-7)
        assert np.all(x[offset + 512:offset + 612] == 0)
        assert truth["cfo"] == pytest.approx(float(b.params["cfo"][0]))
    assert [o for o, _ in records] == [k * 612 for k in range(len(records))]


def test_noise_gap_sits_at_the_floor():
    stream = BurstStream(seed=1, gap_len=4096, noise_floor_db=-30)
    x, records = stream.next_chunk()
    gaps = np.concatenate([x[o + 512:o + 512 + 4096] for o, _ in records])
    assert 10 * np.log10(np.mean(np.abs(gaps) ** 2)) == pytest.approx(-30, abs=0.2)


def test_settings_apply_from_the_next_chunk():
    stream = BurstStream(seed=2, classes=["BPSK"], snr_db=(10, 10))
    _, first = stream.next_chunk()
    assert {t["mod"] for _, t in first} == {"BPSK"} and {t["snr_db"] for _, t in first} == {10.0}
    stream.set_classes(["8PSK", "64QAM"])
    stream.set_snr(0, 4)
    stream.set_gap(64, "silence")
    x, second = stream.next_chunk()
    assert {t["mod"] for _, t in second} <= {"8PSK", "64QAM"}
    assert {t["snr_db"] for _, t in second} <= {0.0, 2.0, 4.0}
    assert second[0][0] == first[-1][0] + 512  # stream stays contiguous
    assert second[1][0] - second[0][0] == 512 + 64
    assert stream.burst_len == 512


@pytest.mark.parametrize("kwargs,message", [
    (dict(classes=["QPSK", "FM"]), "unknown class 'FM'"),
    (dict(burst_len=500), "multiple of 8"),
    (dict(snr_db=(-30, 10)), "must lie within"),
    (dict(snr_db=(10, 0)), "low <= high"),
    (dict(gap_len=-1), "gap length"),
    (dict(gap="pink"), "gap kind"),
    (dict(preset="rml2099"), "unknown preset"),
    (dict(seed=-3), "seed"),
    (dict(noise_floor_db=float("inf")), "noise_floor_db must be a finite"),
])
def test_bad_parameters_raise_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BurstStream(**kwargs)


def test_rml_preset_and_custom_burst_length():
    stream = BurstStream(preset="rml2018", burst_len=256, seed=0)
    x, records = stream.next_chunk()
    assert len(x) == 256 * len(records) and np.all(np.isfinite(x))
    assert {t["mod"] for _, t in records} <= set(get_preset("rml2018").labels)
