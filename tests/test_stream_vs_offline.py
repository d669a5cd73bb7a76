"""The streaming path (signal source -> classifier -> accuracy monitor) agrees with the offline
path (the same examples written to a file -> apps/evaluate.py), window by window."""
import io
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pmt
import torch
from gnuradio import blocks, gr

from gnuradio import modrec
from modrec_core.bundle import export, load_bundle
from modrec_core.burst_stream import BurstStream
from modrec_core.models import build
from modrec_core.synthesis import get_preset, synthesize

ROOT = Path(__file__).resolve().parents[1]
N = 600


def test_stream_accuracy_matches_evaluate(tmp_path):
    preset = get_preset("sig2019")
    bundle = tmp_path / "pet.onnx"
    torch.manual_seed(3)
    export(build("pet_cgdnn", 12, 512).eval(), str(bundle), preset.labels)

    tb = gr.top_block()
    src = modrec.signal_source(seed=5)
    head = blocks.head(gr.sizeof_gr_complex, N * 512)
    cls = modrec.classifier(str(bundle))
    monitor = modrec.accuracy_monitor(out=io.StringIO())
    store = blocks.message_debug()
    tb.connect(src, head, cls)
    tb.msg_connect(cls, "probs", monitor, "probs")
    tb.msg_connect(cls, "probs", store, "store")
    tb.run()
    streamed = {}
    for k in range(store.num_messages()):
        meta = pmt.to_python(pmt.car(store.get_message(k)))
        streamed[meta["window_start"]] = meta["top_class"]

    stream = BurstStream(seed=5)  # the same bursts, offline
    records = []
    while len(records) < N:
        records += stream.next_chunk()[1]
    truth = [r for _, r in records[:N]]
    labels = np.array([preset.class_index(t["mod"]) for t in truth])
    snr = np.array([t["snr_db"] for t in truth], np.float32)
    iq = synthesize(preset, labels, snr, seed=5).iq()
    offline = load_bundle(str(bundle)).predict(iq).argmax(axis=1)
    agree = np.mean([streamed[512 * k] == preset.labels[offline[k]] for k in range(N)])
    assert len(streamed) == N and agree >= 0.99

    data = tmp_path / "same.h5"
    with h5py.File(data, "w") as f:
        f["iq"], f["label"], f["snr_db"] = iq, labels, snr
        f.attrs["labels"] = json.dumps(preset.labels)
    run = subprocess.run([sys.executable, str(ROOT / "apps/evaluate.py"), "--bundle", str(bundle), "--data", str(data),
                          "--out", str(tmp_path / "e")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "e" / "report.json").read_text())
    assert abs(report["overall_accuracy"] - monitor.accuracy()) <= 0.01
    assert monitor.scored() == N
