#!/usr/bin/env python3
"""QA for modrec.scanner: a two-signal scene in, one `signals` message per signal and frame with
the right band, symbol rate and class; rx_freq tags honoured; the flowgraph runs twice."""
import os

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import modrec
from modrec_core import scene

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "lstm_ap_sig2019_field.onnx")
RATE, RX_FREQ = 2.4e6, 433.92e6


class qa_scanner(gr_unittest.TestCase):

    def setUp(self):
        self.x, self.truth = scene.make_scene(2, 2 << 17, 23)  # 4PAM and 8PSK, 25 and 18 dB in band

    def _run(self, blk):
        tag = gr.tag_t()
        tag.offset, tag.key, tag.value = 0, pmt.intern("rx_freq"), pmt.from_double(RX_FREQ)
        tb = gr.top_block()
        src, dbg = blocks.vector_source_c(self.x.tolist(), False, 1, [tag]), blocks.message_debug()
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

    def test_bad_arguments_fail_at_construction(self):
        with self.assertRaisesRegex(ValueError, "sample_rate must be a positive number"):
            modrec.scanner(BUNDLE, 0)
        with self.assertRaisesRegex(ValueError, "frame must be a whole number"):
            modrec.scanner(BUNDLE, RATE, frame=100)


if __name__ == "__main__":
    gr_unittest.run(qa_scanner)
