#!/usr/bin/env python3
"""QA for the blocks that consume `probs` messages: accuracy monitor, results logger, Qt display."""
import io
import json
import os
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pmt  # noqa: E402
from gnuradio import gr, gr_unittest  # noqa: E402

from gnuradio import modrec  # noqa: E402
from modrec_core import recordings  # noqa: E402

LABELS = ["BPSK", "QPSK", "8PSK"]


def _msg(probs, start, truth=None, snr=None, decision=None):
    top = LABELS[int(np.argmax(probs))]
    meta = {"labels": LABELS, "top_class": top, "top_prob": float(max(probs)), "decision": decision or top,
            "window_start": start, "window_len": 128, "sample_rate": 1e6, "model": "test", "latency_ms": 1.0,
            "dropped": 0}
    if truth:
        meta.update(mod=truth, snr_db=snr)
    return pmt.cons(pmt.to_pmt(meta), pmt.init_f32vector(3, [float(p) for p in probs]))


class qa_message_sinks(gr_unittest.TestCase):

    def test_accuracy_monitor_scores_per_class_and_snr(self):
        out = io.StringIO()
        mon = modrec.accuracy_monitor(print_every=2, out=out)
        mon.handle(_msg([0.8, 0.1, 0.1], 0, "BPSK", 10.0))
        mon.handle(_msg([0.8, 0.1, 0.1], 128, "QPSK", 10.0))
        mon.handle(_msg([0.1, 0.1, 0.8], 256, "8PSK", 0.0))
        mon.handle(_msg([0.1, 0.1, 0.8], 384))
        mon.handle(_msg([0.4, 0.3, 0.3], 512, "QPSK", 10.0, decision="unknown"))
        self.assertAlmostEqual(mon.accuracy(), 2 / 4)
        self.assertEqual(mon.rejected["unknown"], 1)
        self.assertEqual(mon.per_snr(), {0.0: 1.0, 10.0: 1 / 3})
        self.assertEqual(mon.per_class(), {"8PSK": 1.0, "BPSK": 1.0, "QPSK": 0.0})
        self.assertEqual(mon.unlabelled, 1)
        self.assertIn("accuracy 50.00% over 2 windows", out.getvalue())
        mon.stop()
        self.assertIn("accuracy 50.00% over 4 windows", out.getvalue())
        self.assertIn("said unknown 1, noise 0", out.getvalue())

    def test_jsonl_logger_writes_one_record_per_window(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "log.jsonl")
            log = modrec.results_logger(path)
            log.handle(_msg([0.2, 0.7, 0.1], 0, "QPSK", 4.0))
            log.handle(_msg([0.6, 0.3, 0.1], 128))
            log.stop()
            log.start()  # the flowgraph runs again: appended to the same file
            log.handle(_msg([0.6, 0.3, 0.1], 256))
            log.stop()
            with open(path) as f:
                rows = [json.loads(line) for line in f]
        self.assertEqual(len(rows), 3)
        self.assertEqual((rows[0]["top_class"], rows[0]["mod"], rows[0]["window_start"]), ("QPSK", "QPSK", 0))
        self.assertAlmostEqual(rows[1]["probs"]["BPSK"], 0.6, places=5)

    def test_sigmf_logger_adds_annotations_to_the_recording(self):
        with tempfile.TemporaryDirectory() as tmp:
            base = os.path.join(tmp, "rec")
            recordings.write_capture(base, np.zeros(2000, np.complex64), 1e6, 100e6,
                                     [{"core:sample_start": 1000, "core:sample_count": 5, "core:comment": "x"}], "rec")
            log = modrec.results_logger(base, fmt="sigmf")
            log.handle(_msg([0.1, 0.8, 0.1], 128))
            log.handle(_msg([0.9, 0.05, 0.05], 0))
            log.handle(_msg([0.4, 0.3, 0.3], 256, decision="noise"))
            log.stop()
            with open(base + ".sigmf-meta") as f:
                meta = json.load(f)
            log.start()  # the flowgraph runs again: only its own windows are added
            log.handle(_msg([0.1, 0.8, 0.1], 384))
            log.stop()
            with open(base + ".sigmf-meta") as f:
                again = json.load(f)
        self.assertEqual([a["core:sample_start"] for a in again["annotations"]], [0, 128, 256, 384, 1000])
        ann = meta["annotations"]
        self.assertEqual([a["core:sample_start"] for a in ann], [0, 128, 256, 1000])
        self.assertEqual((ann[0]["core:label"], ann[0]["core:sample_count"]), ("BPSK", 128))
        self.assertEqual((ann[2]["core:label"], ann[2]["modrec:top_class"]), ("noise", "BPSK"))
        self.assertEqual(meta["global"]["core:sample_rate"], 1e6)

    def test_bad_logger_arguments(self):
        with self.assertRaisesRegex(ValueError, "format must be"):
            modrec.results_logger("/tmp/x.jsonl", fmt="csv")
        with self.assertRaisesRegex(ValueError, "does not exist"):
            modrec.results_logger("/no/such/folder/x.jsonl")

    def test_display_draws_the_top_class_highlighted(self):
        from PyQt5 import Qt

        from gnuradio.modrec.qt_display import TOP_COLOR

        app = Qt.QApplication.instance() or Qt.QApplication([])
        display = modrec.probability_display("Test", history=50)
        display.resize(400, 300)
        tb = gr.top_block()  # messages arrive through GNU Radio's message passing, as in a flowgraph
        src = _Emitter([_msg([0.1, 0.2, 0.7] if k < 9 else [0.15, 0.75, 0.1], 128 * k) for k in range(10)])
        tb.msg_connect(src, "probs", display, "probs")
        tb.start()
        deadline = time.monotonic() + 10
        while display.strip.size == 0 or np.count_nonzero(display.strip.sum(axis=0)) < 10:
            self.assertLess(time.monotonic(), deadline, "messages did not reach the display")
            app.processEvents()
        tb.stop()
        tb.wait()
        self.assertEqual(display.top_class(), "QPSK")
        self.assertEqual(display.heading(), "Test: QPSK (75%)")
        display._update(dict(display.meta, decision="unknown"), display.probs)
        self.assertEqual(display.heading(), "Test: unknown (nearest QPSK, 75%)")
        image = display.grab().toImage()
        path = os.environ.get("MODREC_SCREENSHOT")
        if path:
            image.save(path)
        row_h = (int(300 * 0.6) - 24) / 3

        def bar_color(k):  # a pixel just inside bar k's left end
            return Qt.QColor(image.pixel(75, int(24 + k * row_h + row_h / 2)))

        self.assertEqual(bar_color(1), TOP_COLOR)
        self.assertNotEqual(bar_color(2), TOP_COLOR)
        self.assertNotEqual(bar_color(0), TOP_COLOR)


class _Emitter(gr.basic_block):
    """Publishes a list of messages when the flowgraph starts."""

    def __init__(self, msgs):
        gr.basic_block.__init__(self, name="emitter", in_sig=None, out_sig=None)
        self.msgs = msgs
        self.message_port_register_out(pmt.intern("probs"))

    def start(self):
        for m in self.msgs:
            self.message_port_pub(pmt.intern("probs"), m)
        return True


if __name__ == "__main__":
    gr_unittest.run(qa_message_sinks)
