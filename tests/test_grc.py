"""GRC integration: block yml files match the blocks; every example compiles with grcc; the
headless examples, and the RTL-SDR one from an osmosdr file= recording, run and classify."""
import inspect
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from modrec_core.burst_stream import BurstStream
from modrec_core.bundle import export
from modrec_core.models import build
from modrec_core.synthesis import get_preset
from modrec_core.synthesis.presets import PRESETS

ROOT = Path(__file__).resolve().parents[1]
YMLS = sorted((ROOT / "grc").glob("modrec_*.block.yml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.grc"))
PY_BLOCKS = {"modrec_iq_framer"}  # C++ blocks: their make() signature lives in the bindings


@pytest.mark.parametrize("path", YMLS, ids=lambda p: p.name)
def test_block_yml_matches_the_block(path):
    from gnuradio import modrec

    spec = yaml.safe_load(path.read_text())
    block = getattr(modrec, spec["id"].removeprefix("modrec_"))
    make = spec["templates"]["make"]
    ids = {p["id"] for p in spec["parameters"]}
    assert set(re.findall(r"\$\{(\w+)\}", make)) - {"id", "win"} <= ids
    if spec["id"] not in PY_BLOCKS:
        kwargs = set(re.findall(r"(\w+)=\$\{", make))
        assert kwargs <= set(inspect.signature(block).parameters), kwargs
    for callback in spec["templates"].get("callbacks", []):
        assert hasattr(block, callback.split("(")[0]), callback
    assert spec["documentation"].strip()
    for p in spec["parameters"]:
        assert len(p.get("option_labels", p.get("options", []))) == len(p.get("options", [])), p["id"]
        if p["id"] == "preset":  # every preset the core offers, and only those
            assert {o.strip("'") for o in p["options"]} == set(PRESETS) - {"sig2019_unknown"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("grc")
    for path in EXAMPLES:
        run = subprocess.run(["grcc", "-o", str(out), str(path)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, f"{path.name}: {run.stdout}{run.stderr}"
    return out


def test_every_example_compiles(compiled):
    assert {p.stem for p in EXAMPLES} >= {"synth_headless", "synth_gui", "rtlsdr_live", "usrp_live", "sigmf_replay",
                                         "zmq_sensor", "zmq_classifier", "scan_replay", "scan_synthetic"}
    for path in EXAMPLES:
        assert (compiled / f"{path.stem}.py").exists()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    preset = get_preset("sig2019")
    path = tmp_path_factory.mktemp("bundle") / "pet.onnx"
    torch.manual_seed(0)
    export(build("pet_cgdnn", 12, 512).eval(), str(path), preset.labels, trained_on={"preset": "sig2019"})
    return path


def test_synth_headless_prints_running_accuracy(compiled, bundle, tmp_path):
    log = tmp_path / "log.jsonl"
    run = subprocess.run([sys.executable, str(compiled / "synth_headless.py"), "-b", str(bundle), "-n", "300",
                          "-l", str(log)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "accuracy" in run.stdout and "over 300 windows" in run.stdout
    assert len(log.read_text().splitlines()) == 300


def test_sigmf_replay_annotates_the_recording(compiled, bundle, tmp_path):
    x, _ = BurstStream(seed=2).next_chunk()
    base = tmp_path / "rec"
    x[: 512 * 20].astype(np.complex64).tofile(f"{base}.sigmf-data")
    run = subprocess.run([sys.executable, str(compiled / "sigmf_replay.py"), "-b", str(bundle), "-i", str(base),
                          "-r", "1e6"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    meta = json.loads(Path(f"{base}.sigmf-meta").read_text())
    assert [a["core:sample_start"] for a in meta["annotations"]] == list(range(0, 512 * 20, 512))
    labels = [a["core:label"] for a in meta["annotations"]]
    assert set(labels) <= set(get_preset("sig2019").labels) | {"unknown", "noise"}  # the decision
    assert all(a["modrec:top_class"] in get_preset("sig2019").labels for a in meta["annotations"])


def test_scan_replay_writes_what_apps_scan_writes(compiled, tmp_path):
    from modrec_core import recordings, scene

    x, truth = scene.make_scene(2, 2 << 17, 23)  # as qa_scanner: 4PAM and 8PSK
    base, rate, freq = str(tmp_path / "scene"), 2.4e6, 433.92e6
    recordings.write_capture(base, x, rate, freq, [], "two signals")
    live = ROOT / "models" / "lstm_ap_sig2019_field.onnx"
    found, by_app = tmp_path / "found.sigmf-meta", tmp_path / "app.sigmf-meta"
    run = subprocess.run([sys.executable, str(compiled / "scan_replay.py"), "-b", str(live), "-i", base,
                          "-r", "2.4e6", "-f", "433.92e6", "-o", str(found)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout + run.stderr
    for t in truth:
        assert out.count(f"(decision . {t.label})") == 2, out[-3000:]  # one message per frame
    annotations = json.loads(found.read_text())["annotations"]
    assert [a["core:label"] for a in annotations] == [t.label for t in truth]
    for a, t in zip(annotations, truth):
        assert (a["core:sample_start"], a["core:sample_count"]) == (0, 2 << 17)
        centre = (a["core:freq_lower_edge"] + a["core:freq_upper_edge"]) / 2
        assert abs(centre - (freq + t.centre * rate)) < t.bandwidth * rate / 4
        assert abs(a["modrec:symbol_rate"] * t.samples_per_symbol / rate - 1) < 0.01
    app = subprocess.run([sys.executable, str(ROOT / "apps" / "scan.py"), base + ".sigmf-meta", "--out", str(by_app),
                          "--bundle", str(live)], capture_output=True, text=True, timeout=300)
    assert app.returncode == 0, app.stderr
    assert json.loads(by_app.read_text())["annotations"] == [pytest.approx(a, rel=1e-9) for a in annotations]


def test_rtlsdr_example_runs_from_an_osmosdr_file_recording(compiled, bundle, tmp_path):
    x, _ = BurstStream(seed=3).next_chunk()
    rec = tmp_path / "rec.cfile"
    np.tile(x, 4).astype(np.complex64).tofile(rec)  # 8 samples/symbol at 100 kbaud: recorded at 800 kHz
    log = tmp_path / "live.jsonl"
    args = f"file={rec},rate=800000,freq=100e6,repeat=true,throttle=true"  # a live source never ends
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, str(compiled / "rtlsdr_live.py"), "-b", str(bundle), "-a", args,
                             "-r", "800e3", "-y", "100e3", "-l", str(log)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and len(log.read_text().splitlines()) >= 50:
                break
            time.sleep(0.2)  # polling a file for a condition, with a deadline
        assert proc.poll() is None, proc.communicate()[1][-2000:]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(rows) >= 50
    assert all(r["sample_rate"] == 800e3 and r["window_len"] == 512 for r in rows)


def test_zmq_split_deployment_carries_samples_tags_and_results(compiled, bundle, tmp_path):
    """zmq_sensor pushes labelled I/Q, zmq_classifier pulls and classifies it and publishes probs:
    a ZMQ subscriber receives messages holding the sensor's ground-truth tags (ipc sockets: no network)."""
    import pmt
    import zmq

    iq, probs, log = f"ipc://{tmp_path}/iq", f"ipc://{tmp_path}/probs", tmp_path / "zmq.jsonl"
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVTIMEO, 60000)
    sub.connect(probs)
    procs = [subprocess.Popen([sys.executable, str(compiled / "zmq_sensor.py"), "-a", iq, "-s", "4", "-r", "200e3"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True),
             subprocess.Popen([sys.executable, str(compiled / "zmq_classifier.py"), "-b", str(bundle), "-a", iq,
                               "-p", probs, "-r", "200e3", "-l", str(log)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)]
    metas = []
    try:
        while len(metas) < 20:
            metas.append(pmt.to_python(pmt.car(pmt.deserialize_str(sub.recv()))))
    except zmq.Again:
        pass  # no message within RCVTIMEO: the assertion below shows the flowgraphs' errors
    finally:
        for p in procs:
            p.terminate()
        errors = [p.communicate(timeout=30)[1][-2000:] for p in procs]
        sub.close()
    assert len(metas) == 20, errors
    labels = get_preset("sig2019").labels
    assert all(m["mod"] in labels and -20 <= m["snr_db"] <= 30 for m in metas)
    assert all(m["window_len"] == 512 and m["window_start"] % 512 == 0 and m["sample_rate"] == 200e3 for m in metas)
    starts = [m["window_start"] for m in metas]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert len(log.read_text().splitlines()) >= 1


@pytest.mark.skipif(not (Path("/usr/bin/gnuradio-companion").exists() and Path("/usr/bin/xvfb-run").exists()),
                    reason="GNU Radio Companion or xvfb-run not installed (the README's set-up installs both)")
def test_companion_starts_headless_and_loads_an_example():
    """GRC's GUI comes up (Gtk present) under a virtual display and opens an example without errors."""
    import threading

    example = ROOT / "examples" / "synth_headless.grc"
    proc = subprocess.Popen(["xvfb-run", "-a", sys.executable, "/usr/bin/gnuradio-companion", str(example)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(180, proc.kill)  # a GUI that never gets there fails the test, never hangs it
    watchdog.start()
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith(">>> Done"):
                break
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait()
    log = "\n".join(lines)
    assert f'Loading: "{example}"' in log and lines[-1].startswith(">>> Done"), log
    assert "not found" not in log and "Error" not in log, log
