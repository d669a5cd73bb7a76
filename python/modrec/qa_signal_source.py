#!/usr/bin/env python3
"""QA for modrec.signal_source: source -> head -> vector sink, exact tags, synthesizer parity."""
import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import modrec
from modrec_core.synthesis import get_preset, synthesize


def _run(src, n):
    tb = gr.top_block()
    head = blocks.head(gr.sizeof_gr_complex, n)
    sink = blocks.vector_sink_c()
    tb.connect(src, head, sink)
    tb.run()
    tags = {}
    for t in sink.tags():
        tags.setdefault(t.offset, {})[pmt.symbol_to_string(t.key)] = pmt.to_python(t.value)
    return np.array(sink.data(), np.complex64), tags


def _bursts(tags):
    """Ground truth per burst index from a sink's tags."""
    by_offset = {}
    for t in tags:
        by_offset.setdefault(t.offset, {})[pmt.symbol_to_string(t.key)] = pmt.to_python(t.value)
    return {truth["burst"]: truth for truth in by_offset.values()}


class qa_signal_source(gr_unittest.TestCase):

    def test_tags_at_every_burst_start_with_ground_truth(self):
        src = modrec.signal_source(preset="sig2019", seed=4, gap_len=64, gap="silence", sample_rate=2e6)
        x, tags = _run(src, 40 * 576 + 100)
        self.assertEqual(sorted(tags), [k * 576 for k in range(41)])
        for k, offset in enumerate(sorted(tags)):
            t = tags[offset]
            self.assertEqual(t["burst"], k)
            self.assertEqual(t["burst_len"], 512)
            self.assertIn(t["mod"], get_preset("sig2019").labels)
            self.assertAlmostEqual(t["cfo_hz"], t["cfo"] * 2e6, places=3)
            self.assertTrue(0.2 <= t["rolloff"] <= 0.7)  # every sig2019 class is raised-cosine shaped
        self.assertTrue(np.all(x[:40 * 576].reshape(40, 576)[:, 512:] == 0))

    def test_samples_match_the_synthesizer_for_the_same_seed(self):
        src = modrec.signal_source(preset="sig2019", seed=8, noise_floor_db=-30)
        x, tags = _run(src, 50 * 512)
        preset = get_preset("sig2019")
        labels = [preset.class_index(tags[o]["mod"]) for o in sorted(tags)]
        snr = np.array([tags[o]["snr_db"] for o in sorted(tags)], np.float32)
        b = synthesize(preset, labels, snr, seed=8)
        scale = np.sqrt(1e-3 * 10 ** (snr / 10))[:, None]
        self.assertTrue(np.allclose(x.reshape(50, 512), b.x * scale, rtol=1e-5, atol=1e-7))

    def test_fixed_snr_and_class_subset_then_setters_between_runs(self):
        src = modrec.signal_source(classes=["QPSK", "16QAM"], snr_min_db=20, snr_max_db=20, seed=1)
        tb = gr.top_block()
        head = blocks.head(gr.sizeof_gr_complex, 20 * 512)
        sink = blocks.vector_sink_c()
        tb.connect(src, head, sink)
        tb.run()
        first = _bursts(sink.tags())
        src.set_classes(["8PAM"])
        src.set_snr(-4, -4)
        sink.reset()
        head.reset()
        head.set_length(64 * 512)
        tb.run()
        second = _bursts(sink.tags())
        self.assertEqual(sorted(first), list(range(20)))
        self.assertTrue({t["mod"] for t in first.values()} <= {"QPSK", "16QAM"})
        self.assertEqual({t["snr_db"] for t in first.values()}, {20.0})
        # the source generates ahead; new settings apply from its next chunk of bursts on
        mods = [second[k]["mod"] for k in sorted(second)]
        switch = mods.index("8PAM")
        self.assertTrue(set(mods[:switch]) <= {"QPSK", "16QAM"})
        self.assertEqual(set(mods[switch:]), {"8PAM"})
        self.assertGreaterEqual(len(mods) - switch, 30)
        self.assertEqual({second[k]["snr_db"] for k in sorted(second)[switch:]}, {-4.0})

    def test_rml2016a_runs_with_its_default_snr_range(self):
        src = modrec.signal_source(preset="rml2016a", seed=1)
        tb = gr.top_block()
        head = blocks.head(gr.sizeof_gr_complex, 40 * 128)
        sink = blocks.vector_sink_c()
        tb.connect(src, head, sink)
        tb.run()
        snrs = {t["snr_db"] for t in _bursts(sink.tags()).values()}
        self.assertTrue(snrs and max(snrs) <= 18.0 and min(snrs) >= -20.0)

    def test_an_error_inside_work_ends_the_flowgraph(self):
        src = modrec.signal_source(seed=1)

        def broken():
            raise MemoryError("no room for the next chunk")

        src._stream.next_chunk = broken
        tb = gr.top_block()
        tb.connect(src, blocks.head(gr.sizeof_gr_complex, 4096), blocks.null_sink(gr.sizeof_gr_complex))
        tb.run()  # returns instead of hanging
        self.assertIsInstance(src.error, MemoryError)

    def test_bad_parameters_fail_at_construction(self):
        for kwargs, message in ((dict(classes=["FM"]), "unknown class"), (dict(burst_len=100), "multiple of 8"),
                                (dict(snr_min_db=-40), "must lie within"), (dict(gap_len=-5), "gap_len"),
                                (dict(gap_len=2e9), "gap_len must be between"), (dict(sample_rate=0), "sample_rate"),
                                (dict(sample_rate=float("nan")), "sample_rate must be a finite"),
                                (dict(sample_rate=float("inf")), "sample_rate must be a finite")):
            with self.assertRaisesRegex(ValueError, message):
                modrec.signal_source(**kwargs)


if __name__ == "__main__":
    gr_unittest.run(qa_signal_source)
