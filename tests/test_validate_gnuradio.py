"""apps/validate_gnuradio.py and the GNU Radio-made windows behind it (gnuradio.modrec.reference)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

reference = pytest.importorskip("gnuradio.modrec.reference", reason="needs the installed GNU Radio module")

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python")}


def _baud_line(x):
    env = np.abs(x) ** 2
    spec = np.abs(np.fft.rfft(env - env.mean(), n=1 << 16))
    f = np.fft.rfftfreq(1 << 16)
    band = (f > 0.1) & (f < 0.15)
    return f[band][np.argmax(spec[band])]


def test_gnuradio_windows_carry_their_conditions():
    rng = np.random.default_rng(3)
    timing = reference.windows("QPSK", "timing", 30.0, 1, 8192, rng)[0]
    assert _baud_line(timing) == pytest.approx(1 / reference.SPS, abs=2e-4)
    clock = [_baud_line(reference.windows("QPSK", "clock", 30.0, 1, 8192, rng)[0]) for _ in range(4)]
    assert max(abs(c - 1 / reference.SPS) for c in clock) > 1e-3  # the symbol rate is off
    fsk = reference.windows("4FSK", "timing", 60.0, 1, 4096, rng)[0]
    inst = np.angle(fsk[1:] * np.conj(fsk[:-1])) / (2 * np.pi)  # cycles per sample
    tones = np.unique(np.round((inst - np.median(inst)) * reference.SPS / reference.FSK_INDEX * 2) / 2)
    assert len(tones) >= 4  # four tones at the FSK spacing (CFO removed by the median)
    front = reference.windows("BPSK", "frontend", 30.0, 1, 4096, rng)[0]
    assert len(np.unique(front.real)) <= 256  # through the 8-bit conversion


def test_each_window_crosses_its_own_channel():
    """Windows of one call are not one channel seen many times: each has its own CFO (the BPSK
    x^2 line sits at twice it) and its own multipath response."""
    rng = np.random.default_rng(5)
    bpsk = reference.windows("BPSK", "timing", 30.0, 4, 2048, rng)
    lines = [np.argmax(np.abs(np.fft.fft(w ** 2, n=1 << 15))) for w in bpsk]
    assert len(set(lines)) == 4
    echoed = reference.windows("QPSK", "multipath", 40.0, 2, 4096, rng)
    shapes = [np.abs(np.fft.fft(np.abs(w) ** 2))[1:64] for w in echoed]
    assert not np.allclose(shapes[0] / shapes[0].sum(), shapes[1] / shapes[1].sum(), rtol=0.2)


def test_validate_gnuradio_writes_the_report(tmp_path):
    out = tmp_path / "v"
    r = subprocess.run([sys.executable, str(ROOT / "apps/validate_gnuradio.py"), "--bundle",
                        str(ROOT / "models/lstm_ap_sig2019_timing.onnx"), "--out", str(out), "--per-class-snr", "2",
                        "--snr", "0", "20", "--threads", "1"], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    conditions = json.loads((out / "report.json").read_text())["conditions"]
    assert set(conditions) >= {"timing", "clock", "multipath", "frontend"}
    for c in conditions.values():
        assert c["n"] == 12 * 2 * 2 and set(c["per_snr"]) == {"0", "20"}
        assert c["accuracy"] == c["per_snr"]["20"]  # only 20 dB is at or above 10 dB
    assert conditions["timing"]["accuracy"] > 0.5  # chance is 1/12
    assert (out / "conditions.png").stat().st_size > 1000 and "| timing |" in r.stdout


def test_a_bundle_of_other_classes_is_refused_in_one_line(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "apps/validate_gnuradio.py"), "--bundle",
                        str(ROOT / "models/pet_cgdnn_rml2016a.onnx"), "--out", str(tmp_path / "v")],
                       capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "are not Sig2019-12 classes" in r.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "v").exists()
