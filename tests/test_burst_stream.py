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
    (dict(gap_len=-1), "gap_len must be between 0"),
    (dict(gap_len=2e9), "gap_len must be between 0 and 4194304"),
    (dict(gap_len=10.5), "gap_len must be a whole number"),
    (dict(burst_len=1 << 30), "burst_len must be between"),
    (dict(snr_db=(float("nan"), 10)), "SNR low end must be a finite"),
    (dict(noise_floor_db=400), r"noise_floor_db must be a number of dBFS in \[-150, 0\]"),
    (dict(noise_floor_db=-1e6), "noise_floor_db must be"),
    (dict(gap="pink"), "gap kind"),
    (dict(preset="rml2099"), "unknown preset"),
    (dict(seed=-3), "seed"),
    (dict(noise_floor_db=float("inf")), "noise_floor_db must be a number"),
])
def test_bad_parameters_raise_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BurstStream(**kwargs)


def test_rml_preset_and_custom_burst_length():
    stream = BurstStream(preset="rml2018", burst_len=256, seed=0)
    x, records = stream.next_chunk()
    assert len(x) == 256 * len(records) and np.all(np.isfinite(x))
    assert {t["mod"] for _, t in records} <= set(get_preset("rml2018").labels)


def test_snr_range_defaults_follow_the_preset():
    for preset, top in (("rml2016a", 18.0), ("sig2019", 30.0)):
        stream = BurstStream(preset=preset, seed=0)
        assert float(stream._snr_choices.min()) == -20.0 and float(stream._snr_choices.max()) == top
        stream.set_snr(10)  # the high end stays the preset's
        assert float(stream._snr_choices.min()) == 10.0 and float(stream._snr_choices.max()) == top


def test_classes_given_as_one_string_are_names_not_letters():
    stream = BurstStream(seed=0, classes="BPSK")
    _, records = stream.next_chunk()
    assert {t["mod"] for _, t in records} == {"BPSK"}
    stream.set_classes("QPSK, 8PSK")
    _, records = stream.next_chunk()
    assert {t["mod"] for _, t in records} == {"QPSK", "8PSK"}
