#!/usr/bin/env python3
"""QA for the C++ modrec.iq_framer: windows and normalization against the numpy reference
(modrec_core.normalize), hop/overlap geometry, and where tags land."""
import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import modrec
from modrec_core.normalize import normalize


def _frame(x, window, hop, norm, tags=()):
    tb = gr.top_block()
    src = blocks.vector_source_c(x.tolist(), False, 1, list(tags))
    framer = modrec.iq_framer(window, hop, norm)
    sink = blocks.vector_sink_f(2 * window)
    tb.connect(src, framer, sink)
    tb.run()
    return np.array(sink.data(), np.float32).reshape(-1, 2, window), sink.tags()


def _reference(x, window, hop, norm):
    """Window k ends at sample (k + 1) * hop (zeros before the stream) or starts at k * hop."""
    lead = max(window - hop, 0)
    padded = np.concatenate([np.zeros(lead, np.complex64), x])
    count = (len(x)) // hop
    wins = np.stack([padded[k * hop:k * hop + window] for k in range(count) if k * hop + window <= len(padded)])
    return normalize(np.stack([wins.real, wins.imag], axis=1), norm)


class qa_iq_framer(gr_unittest.TestCase):

    def setUp(self):
        rng = np.random.default_rng(0)
        self.x = ((rng.standard_normal(4096) + 1j * rng.standard_normal(4096)) * 3 + 0.5).astype(np.complex64)

    def test_windows_match_numpy_reference_for_every_normalization(self):
        for norm in ("maxmin", "unit_power", "l2", "none"):
            for window, hop in ((128, 128), (128, 32), (64, 100)):
                got, _ = _frame(self.x, window, hop, norm)
                want = _reference(self.x, window, hop, norm)
                n = min(len(got), len(want))
                self.assertGreater(n, 10)
                np.testing.assert_allclose(got[:n], want[:n], rtol=0, atol=1e-5 if norm == "none" else 1e-6,
                                           err_msg=f"{norm} window {window} hop {hop}")

    def test_layout_is_i_row_then_q_row(self):
        got, _ = _frame(self.x[:256], 128, 128, "none")
        np.testing.assert_array_equal(got[1, 0], self.x.real[128:256])
        np.testing.assert_array_equal(got[1, 1], self.x.imag[128:256])

    def test_tags_go_to_the_first_window_containing_them(self):
        tags = []
        for offset, value in ((5, 0), (200, 1), (511, 2), (1000, 3)):
            t = gr.tag_t()
            t.offset, t.key, t.value = offset, pmt.intern("mod"), pmt.from_long(value)
            tags.append(t)
        _, out = _frame(self.x[:2048], 256, 128, "maxmin", tags)
        # window k covers [(k + 1) * 128 - 256, (k + 1) * 128): first containing window = offset // 128
        mods = [t for t in out if pmt.symbol_to_string(t.key) == "mod"]
        self.assertEqual([(t.offset, pmt.to_long(t.value)) for t in mods], [(0, 0), (1, 1), (3, 2), (7, 3)])

    def test_the_last_window_of_a_finite_stream_carries_the_end_tag(self):
        for window, hop in ((256, 128), (128, 128), (64, 100)):
            got, out = _frame(self.x[:2048], window, hop, "none")
            ends = [t.offset for t in out if pmt.symbol_to_string(t.key) == "modrec_end"]
            self.assertEqual(ends, [len(got) - 1], f"window {window} hop {hop}")

    def test_bad_parameters_raise(self):
        for args in ((1, 1, "maxmin"), (16, 0, "maxmin"), (16, 16, "zscore")):
            with self.assertRaises(ValueError):
                modrec.iq_framer(*args)


if __name__ == "__main__":
    gr_unittest.run(qa_iq_framer)
