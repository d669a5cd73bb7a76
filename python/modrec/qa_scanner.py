#!/usr/bin/env python3
"""QA for modrec.scanner: a two-signal scene in, one `signals` message per signal and frame with
the right band, symbol rate and class; rx_freq tags honoured; the flowgraph runs twice. And for
the scene source that streams such scenes and the writer of the scanner's SigMF annotations."""
import json
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pmt  # noqa: E402
from gnuradio import blocks, gr, gr_unittest  # noqa: E402

from gnuradio import modrec  # noqa: E402
from modrec_core import recordings, scene  # noqa: E402

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "lstm_ap_sig2019_field.onnx")
RATE, RX_FREQ = 2.4e6, 433.92e6


class qa_scanner(gr_unittest.TestCase):

    def setUp(self):
        self.x, self.truth = scene.make_scene(2, 2 << 17, 23)  # 4PAM and 8PSK, 25 and 18 dB in band

    def _run(self, blk, throttle=None):
        tag = gr.tag_t()
        tag.offset, tag.key, tag.value = 0, pmt.intern("rx_freq"), pmt.from_double(RX_FREQ)
        tb = gr.top_block()
        src, dbg = blocks.vector_source_c(self.x.tolist(), False, 1, [tag]), blocks.message_debug()
        if throttle:
            tb.connect(src, blocks.throttle(gr.sizeof_gr_complex, throttle), blk)
        else:
            tb.connect(src, blk)
        tb.msg_connect(blk, "signals", dbg, "store")
        tb.run()
        return [pmt.to_python(dbg.get_message(k)) for k in range(dbg.num_messages())]

    def test_every_signal_of_every_frame_is_reported(self):
        blk = modrec.scanner(BUNDLE, RATE)
        for _ in range(2):  # the same flowgraph runs again from a clean state
            msgs = self._run(blk)
            self.assertEqual(sorted((m["window_start"], m["id"]) for m in msgs),
                             [(0, 0), (0, 1), (1 << 17, 0), (1 << 17, 1)])
            for m in msgs:
                t = min(self.truth, key=lambda s: abs(RX_FREQ + s.centre * RATE - m["freq_hz"]))
                self.assertLess(abs(m["freq_hz"] - (RX_FREQ + t.centre * RATE)), t.bandwidth * RATE / 4)
                self.assertLess(abs(m["symbol_rate"] * t.samples_per_symbol / RATE - 1), 0.01)
                self.assertEqual(m["decision"], t.label)
                self.assertEqual(len(m["probs"]), 12)
                self.assertAlmostEqual(float(np.sum(m["probs"])), 1.0, places=3)
                self.assertEqual(m["dropped"], 0)

    def test_realtime_mode_counts_every_signal_frame_it_drops(self):
        self.x = np.tile(self.x, 4)  # 8 frames at the capture's own rate, faster than the worker measures them
        blk = modrec.scanner(BUNDLE, RATE, mode="realtime")
        msgs = self._run(blk, throttle=RATE)
        stats = blk.stats()
        self.assertEqual(stats["signal_frames"], 16)  # 2 signals x 8 frames were tracked
        self.assertEqual(stats["published"], len(msgs))
        self.assertEqual(stats["measured"] + stats["dropped"], stats["signal_frames"])
        last = {}
        for m in msgs:  # per signal, drops only grow, and never past what the engine dropped
            self.assertGreaterEqual(m["dropped"], last.get(m["id"], 0))
            last[m["id"]] = m["dropped"]
        self.assertLessEqual(sum(last.values()), stats["dropped"])

    def test_scan_display_boxes_land_on_the_signals(self):
        from PyQt5 import Qt

        from gnuradio.modrec.qt_scan_display import BOX_COLOR

        app = Qt.QApplication.instance() or Qt.QApplication([])
        display = modrec.scan_display(RATE, RX_FREQ, 1024, 16384, 64)
        display.resize(640, 400)
        blk = modrec.scanner(BUNDLE, RATE, center_freq=RX_FREQ)
        tb = gr.top_block()
        src = blocks.vector_source_c(self.x.tolist(), False)
        tb.connect(src, blk)
        tb.connect(src, display)
        tb.msg_connect(blk, "signals", display, "signals")
        tb.run()
        app.processEvents()  # the rows and messages queued for the GUI thread
        image = display.grab().toImage()
        if os.environ.get("MODREC_SCREENSHOT"):
            image.save(os.environ["MODREC_SCREENSHOT"])
        boxes = display.boxes()
        self.assertEqual(len(boxes), len(self.truth))
        plot = display._plot_rect()
        for t in self.truth:
            x_true = plot.left() + (t.centre + 0.5) * plot.width()
            rect, text = min(boxes, key=lambda b: abs(b[0].center().x() - x_true))
            self.assertLess(abs(rect.center().x() - x_true), t.bandwidth * plot.width() / 4)
            self.assertTrue(text.startswith(t.label), text)
            edge = Qt.QColor(image.pixel(rect.left(), rect.center().y()))
            self.assertEqual(edge, BOX_COLOR)  # drawn, not only computed
            inside = Qt.QColor(image.pixel(rect.center().x(), rect.bottom() - 4)).red()
            beside = Qt.QColor(image.pixel(rect.right() + int(t.bandwidth * plot.width()), rect.bottom() - 4)).red()
            self.assertGreater(inside, beside + 60)  # the box is on the bright band of the waterfall

    def test_bad_arguments_fail_at_construction(self):
        with self.assertRaisesRegex(ValueError, "sample_rate must be a positive number"):
            modrec.scanner(BUNDLE, 0)
        with self.assertRaisesRegex(ValueError, "frame must be a whole number"):
            modrec.scanner(BUNDLE, RATE, frame=100)
        with self.assertRaisesRegex(ValueError, "mode must be one of"):
            modrec.scanner(BUNDLE, RATE, mode="fast")


class qa_scene_source(gr_unittest.TestCase):

    def test_scenes_follow_each_other_tagged_with_their_truth(self):
        n = 1 << 15
        src = modrec.scene_source(signals=2, scene_samples=n, sample_rate=RATE, center_freq=RX_FREQ, seed=7)
        for _ in range(2):  # runs again from its first scene
            tb, sink = gr.top_block(), blocks.vector_sink_c()
            tb.connect(src, blocks.head(gr.sizeof_gr_complex, 2 * n + 100), sink)
            tb.run()
            first, truth = scene.make_scene(2, n, 7)
            second, _ = scene.make_scene(2, n, 8)
            np.testing.assert_array_equal(np.asarray(sink.data())[:2 * n], np.concatenate([first, second]))
            tags = {(t.offset, pmt.symbol_to_string(t.key)): pmt.to_python(t.value) for t in sink.tags()}
            self.assertEqual(sorted(tags), [(0, "rx_freq"), (0, "scene"), (n, "scene"), (2 * n, "scene")])
            self.assertEqual(tags[(0, "rx_freq")], RX_FREQ)
            self.assertEqual([s["label"] for s in tags[(0, "scene")]], [t.label for t in truth])
            for s, t in zip(tags[(0, "scene")], truth):
                self.assertAlmostEqual(s["freq_hz"], RX_FREQ + t.centre * RATE, delta=1e-3)
                self.assertAlmostEqual(s["symbol_rate"], RATE / t.samples_per_symbol)

    def test_bad_arguments_are_refused_with_their_name(self):
        with self.assertRaisesRegex(ValueError, "a scene needs a whole number of at least 16384 samples"):
            modrec.scene_source(scene_samples=1000)
        with self.assertRaisesRegex(ValueError, "signals must be a whole number from 0 to 8"):
            modrec.scene_source(signals=40)
        with self.assertRaisesRegex(ValueError, "sample_rate must be"):
            modrec.scene_source(sample_rate=0)


class qa_scan_annotation_writer(gr_unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.base = os.path.join(self.tmp, "rec")
        recordings.write_capture(self.base, np.zeros(1 << 14, np.complex64), RATE, RX_FREQ, [], "empty")
        self.out = os.path.join(self.tmp, "found.sigmf-meta")

    def _message(self, signal_id, frame, decisions, probs):
        m = {"id": signal_id, "freq_hz": RX_FREQ + 0.1 * RATE * (signal_id + 1), "bandwidth_hz": 0.05 * RATE,
             "snr_db": 15.0, "window_start": frame << 17, "window_len": 1 << 17, "decision": decisions[0],
             "decisions": decisions, "top_probs": np.asarray(probs), "rate_confidence": 20.0, "symbol_rate": RATE / 8}
        return pmt.to_pmt(m)

    def _annotations(self):
        with open(self.out) as f:
            return json.load(f)["annotations"]

    def test_one_annotation_per_signal_and_stretch_with_the_majority_label(self):
        blk = modrec.scan_annotation_writer(self.base + ".sigmf-meta", self.out)
        for _ in range(2):  # a flowgraph that runs again starts a fresh list
            blk.start()
            blk.handle(self._message(0, 1, ["QPSK", "8PSK"], [0.9, 0.5]))
            blk.handle(self._message(0, 2, ["QPSK"], [0.7]))
            blk.handle(self._message(1, 2, ["4FSK", "4FSK"], [0.6, 0.8]))
            blk.stop()
            a0, a1 = self._annotations()
            self.assertEqual((a0["core:sample_start"], a0["core:sample_count"], a0["core:label"]), (1 << 17, 2 << 17, "QPSK"))
            self.assertAlmostEqual(a0["modrec:top_prob"], 0.8)  # of the windows that gave the label
            self.assertAlmostEqual((a0["core:freq_lower_edge"] + a0["core:freq_upper_edge"]) / 2, RX_FREQ + 0.1 * RATE)
            self.assertAlmostEqual(a0["modrec:symbol_rate"], RATE / 8)
            self.assertEqual((a1["core:sample_start"], a1["core:label"]), (2 << 17, "4FSK"))

    def test_no_signal_gives_an_empty_list_and_bad_paths_a_one_line_error(self):
        blk = modrec.scan_annotation_writer(self.base + ".sigmf-meta", self.out)
        blk.start()
        blk.stop()
        self.assertEqual(self._annotations(), [])
        with self.assertRaisesRegex(ValueError, "not a SigMF metadata file"):
            modrec.scan_annotation_writer(self.base + ".sigmf-data", self.out)
        with self.assertRaisesRegex(ValueError, "out must be a .sigmf-meta path"):
            modrec.scan_annotation_writer(self.base + ".sigmf-meta", self.base + ".json")


if __name__ == "__main__":
    gr_unittest.run(qa_scanner)
