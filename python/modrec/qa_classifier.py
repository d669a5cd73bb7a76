#!/usr/bin/env python3
"""QA for modrec.classifier: exact window boundaries, probabilities equal to the engine's, tags
carried, gating and NaN skipping, the probability stream, and realtime dropping under a slow model."""
import os
import tempfile
import time

import numpy as np
import pmt
import torch
from gnuradio import blocks, gr, gr_unittest

from gnuradio import modrec
from modrec_core import openset
from modrec_core.bundle import BundleError, export, load_bundle, read_metadata, replace_metadata, write_confidence
from modrec_core.models import build

LABELS = ["A", "B", "C"]


def _bundle(folder, name="pet_cgdnn", length=64):
    torch.manual_seed(0)
    path = os.path.join(folder, f"{name}.onnx")
    export(build(name, 3, length).eval(), path, LABELS)
    return path


def _run(x, cls, tags=(), prob_output=False):
    tb = gr.top_block()
    src = blocks.vector_source_c(x.tolist(), False, 1, list(tags))
    dbg = blocks.message_debug()
    tb.connect(src, cls)
    tb.msg_connect(cls, "probs", dbg, "store")
    sink = None
    if prob_output:
        sink = blocks.vector_sink_f(len(LABELS))
        tb.connect(cls, sink)
    tb.run()
    msgs = [dbg.get_message(k) for k in range(dbg.num_messages())]
    meta = [pmt.to_python(pmt.car(m)) for m in msgs]
    probs = np.array([pmt.f32vector_elements(pmt.cdr(m)) for m in msgs])
    return meta, probs, sink


class qa_classifier(gr_unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = _bundle(self.tmp.name)
        rng = np.random.default_rng(1)
        self.x = (rng.standard_normal(64 * 20) + 1j * rng.standard_normal(64 * 20)).astype(np.complex64)

    def tearDown(self):
        self.tmp.cleanup()

    def test_windows_probabilities_and_tags(self):
        tag = gr.tag_t()
        tag.offset, tag.key, tag.value = 130, pmt.intern("mod"), pmt.intern("QPSK")
        meta, probs, _ = _run(self.x, modrec.classifier(self.path, sample_rate=2e6), [tag])
        self.assertEqual([m["window_start"] for m in meta], list(range(0, 64 * 20, 64)))
        windows = self.x.reshape(20, 64)
        want = load_bundle(self.path).predict(np.stack([windows.real, windows.imag], axis=1))
        np.testing.assert_allclose(probs, want, atol=1e-5)
        self.assertEqual([m["top_class"] for m in meta], [LABELS[k] for k in want.argmax(1)])
        self.assertEqual(meta[2]["mod"], "QPSK")
        self.assertNotIn("mod", meta[3])
        first = meta[0]
        self.assertEqual(first["labels"], LABELS)
        self.assertEqual((first["model"], first["sample_rate"], first["dropped"]), ("pet_cgdnn", 2e6, 0))
        self.assertAlmostEqual(first["top_prob"], float(probs[0].max()), places=6)
        self.assertGreaterEqual(first["latency_ms"], 0.0)

    def test_overlapping_hop_skips_windows_before_the_stream(self):
        meta, _, _ = _run(self.x, modrec.classifier(self.path, hop=16))
        self.assertEqual([m["window_start"] for m in meta], list(range(0, 64 * 20 - 64 + 1, 16)))

    def test_nan_quiet_and_silent_windows_are_skipped_and_counted(self):
        x = self.x.copy()
        x[3 * 64 + 5] = np.nan
        x[5 * 64:6 * 64] *= 1e-4  # -80 dB: below the gate
        x[7 * 64:8 * 64] = 0  # digital silence: skipped with or without a gate
        cls = modrec.classifier(self.path, power_gate_db=-40, prob_output=True)
        meta, probs, sink = _run(x, cls, prob_output=True)
        starts = [m["window_start"] for m in meta]
        self.assertNotIn(3 * 64, starts)
        self.assertNotIn(5 * 64, starts)
        self.assertNotIn(7 * 64, starts)
        self.assertEqual(len(meta), 17)
        stats = cls.stats()
        self.assertEqual((stats["nonfinite"], stats["gated"], stats["silent"], stats["classified"]), (1, 1, 1, 17))
        stream = np.array(sink.data()).reshape(-1, 3)
        self.assertEqual(len(stream), 20)
        np.testing.assert_array_equal(stream[[3, 5, 7]], 0)
        np.testing.assert_allclose(np.delete(stream, [3, 5, 7], axis=0), probs, atol=1e-7)

    def test_silent_windows_are_skipped_without_a_gate(self):
        x = self.x.copy()
        x[2 * 64:4 * 64] = 0
        cls = modrec.classifier(self.path)
        meta, _, _ = _run(x, cls)
        self.assertEqual([m["window_start"] for m in meta], [k * 64 for k in range(20) if k not in (2, 3)])
        self.assertEqual((cls.stats()["silent"], cls.stats()["classified"]), (2, 18))

    def test_realtime_mode_drops_and_counts_under_a_slow_model(self):
        x = np.tile(self.x, 50)  # 1000 windows
        cls = modrec.classifier(self.path, mode="realtime", max_batch=4)
        fast = cls.windows.engine._predict
        cls.windows.engine._predict = lambda w: (time.sleep(0.02), fast(w))[1]  # a deliberately slow model
        meta, _, _ = _run(x, cls)
        s = cls.stats()
        self.assertGreater(s["dropped"], 0)
        self.assertEqual(s["windows_in"], 1000)
        self.assertEqual(s["classified"] + s["dropped"] + s["pending"], 1000)
        self.assertLessEqual(s["pending"], cls.windows.engine.capacity)
        dropped = [m["dropped"] for m in meta]
        self.assertEqual(dropped, sorted(dropped))

    def test_realtime_counts_as_classified_exactly_the_messages_published(self):
        x = np.tile(self.x, 50)  # 1000 windows
        cls = modrec.classifier(self.path, mode="realtime", max_batch=4)
        fast = cls.windows.engine._predict
        cls.windows.engine._predict = lambda w: (time.sleep(0.005), fast(w))[1]
        meta, _, _ = _run(x, cls)
        s = cls.stats()
        self.assertEqual(s["classified"], len(meta))
        self.assertEqual(s["classified"] + s["dropped"], 1000)
        self.assertEqual(s["pending"], 0)
        self.assertEqual(meta[-1]["window_start"], 999 * 64)  # the stream's last window: the end tag flushed it

    def test_the_same_flowgraph_runs_again(self):
        for mode in ("blocking", "realtime"):
            with self.subTest(mode=mode):
                tb = gr.top_block()
                src = blocks.vector_source_c(self.x.tolist(), False)
                cls = modrec.classifier(self.path, mode=mode)
                dbg = blocks.message_debug()
                tb.connect(src, cls)
                tb.msg_connect(cls, "probs", dbg, "store")
                tb.run()
                src.rewind()
                tb.run()
                src.rewind()
                tb.start()
                tb.wait()
                tb.stop()
                tb.wait()
                self.assertEqual(cls.stats()["classified"], 60)
                self.assertEqual(cls.stats()["windows_in"], 60)

    def test_a_model_that_fails_ends_the_flowgraph_with_its_error(self):
        cls = modrec.classifier(self.path, max_batch=4)

        def broken(w):
            raise RuntimeError("model exploded")

        cls.windows.engine._predict = broken
        meta, _, _ = _run(self.x, cls)  # returns: the flowgraph ended instead of hanging or aborting
        self.assertEqual(meta, [])
        self.assertIn("model exploded", str(cls.error()))
        cls.windows.engine._predict = load_bundle(self.path).score_normalized
        meta, _, _ = _run(self.x, cls)  # a new run starts clean
        self.assertEqual(len(meta), 20)
        self.assertIsNone(cls.error())

    def test_rows_that_are_not_probabilities_are_counted_never_published(self):
        cls = modrec.classifier(self.path, max_batch=4)
        good = cls.windows.engine._predict
        seen = [0]  # windows scored so far: the bad rows follow the stream, not how it was batched

        def half_bad(w):
            scores = good(w)
            index = seen[0] + np.arange(len(w))
            seen[0] += len(w)
            scores.probs[index % 2 == 0] = np.nan
            scores.probs[index % 4 == 1] *= 3  # sums to 3: not a probability vector
            return scores

        cls.windows.engine._predict = half_bad
        meta, probs, _ = _run(self.x, cls)
        self.assertTrue(np.isfinite(probs).all())
        np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-3)
        s = cls.stats()
        self.assertEqual((s["bad_output"], s["classified"], len(meta)), (15, 5, 5))

    def test_decisions_say_noise_unknown_or_the_class(self):
        meta, _, _ = _run(self.x, modrec.classifier(self.path))  # white noise: no signal in any window
        self.assertEqual({(m["decision"], m["noise"]) for m in meta}, {("noise", True)})
        tone = np.exp(2j * np.pi * 0.05 * np.arange(64 * 20)).astype(np.complex64)
        rng = np.random.default_rng(2)
        confidence = openset.fit_confidence(rng.normal(size=(60, 3)), np.arange(60) % 3, np.full(60, 20.0))
        for threshold, want in ((-1e9, {"unknown"}), (1e9, set(LABELS))):
            confidence["unknown_detector"]["threshold"] = threshold
            path = os.path.join(self.tmp.name, "calibrated.onnx")
            write_confidence(self.path, confidence, path)
            cls = modrec.classifier(path)
            meta, _, _ = _run(tone, cls)
            self.assertEqual({m["decision"] for m in meta} - want, set())
            self.assertTrue(all(np.isfinite(m["ood_score"]) and not m["noise"] for m in meta))
            s = cls.stats()
            self.assertEqual((s["unknown"], s["noise"], s["classified"]), (20 if want == {"unknown"} else 0, 0, 20))

    def test_auto_symbol_rate_estimates_then_resamples_to_the_bundles_samples_per_symbol(self):
        """QPSK from gr-digital at 5 samples per symbol and 20 dB: the live default bundle (8 sps) is
        fed through symbol_rate="auto", which must find 1/5 of the sample rate and classify it right."""
        from gnuradio.modrec import reference

        rng = np.random.default_rng(5)
        x = reference.modulated("QPSK", 1 << 18, rng, sps=5)
        x = (x * np.exp(2j * np.pi * 0.01 * np.arange(len(x))) + 0.1 * (rng.standard_normal(len(x)) + 1j * rng.standard_normal(len(x))) / np.sqrt(2)).astype(np.complex64)
        live = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "lstm_ap_sig2019_field.onnx")
        cls = modrec.classifier(live, sample_rate=1e6, symbol_rate="auto")
        meta, _, _ = _run(x, cls)
        self.assertGreater(len(meta), 300)  # 2^18 samples at 5 -> 8 sps, less the estimate's wait
        self.assertTrue(all(abs(m["symbol_rate"] / 200e3 - 1) < 0.01 for m in meta))
        self.assertTrue(all(m["rate_confidence"] > 17 for m in meta))
        decisions = [m["decision"] for m in meta]
        self.assertGreater(decisions.count("QPSK") / len(decisions), 0.8, sorted(set(decisions)))

    def test_a_given_symbol_rate_resamples_without_estimating(self):
        from gnuradio.modrec import reference

        x = reference.modulated("BPSK", 1 << 15, np.random.default_rng(6), sps=4).astype(np.complex64)
        live = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "lstm_ap_sig2019_field.onnx")
        meta, _, _ = _run(x, modrec.classifier(live, sample_rate=4e5, symbol_rate=1e5))
        self.assertAlmostEqual(len(meta), 2 * (1 << 15) // 512, delta=2)  # 4 -> 8 sps doubles the windows
        self.assertNotIn("symbol_rate", meta[0])
        self.assertGreater([m["decision"] for m in meta].count("BPSK") / len(meta), 0.8)

    def test_problems_fail_at_construction(self):
        with self.assertRaisesRegex(BundleError, "no such bundle file"):
            modrec.classifier(os.path.join(self.tmp.name, "absent.onnx"))
        with self.assertRaisesRegex(ValueError, "mode must be"):
            modrec.classifier(self.path, mode="fast")
        with self.assertRaisesRegex(ValueError, "power_gate_db must be a finite"):
            modrec.classifier(self.path, power_gate_db=float("nan"))
        for kwargs, message in ((dict(window="abc"), "window must be a whole number"),
                                (dict(hop=12.5), "hop must be a whole number"),
                                (dict(window=1 << 30), "window must be between 0 and 1048576"),
                                (dict(threads=-1), "threads must be a whole number >= 0"),
                                (dict(max_batch=0), "max_batch must be >= 1"),
                                (dict(symbol_rate="auto"), "symbol_rate needs the stream's sample_rate"),
                                (dict(symbol_rate="fast", sample_rate=1e6), "symbol_rate must be 0, 'auto' or"),
                                (dict(symbol_rate=6e5, sample_rate=1e6), "below half the sample rate"),
                                (dict(symbol_rate=1e5, sample_rate=1e6), "does not say its samples per symbol")):
            with self.assertRaisesRegex(ValueError, message):
                modrec.classifier(self.path, **kwargs)
        huge = _bundle(self.tmp.name, "gru2", length=48)
        replace_metadata(huge, {**read_metadata(huge), "trained_window_length": str(10 ** 12)}, huge)
        with self.assertRaisesRegex(BundleError, "trained_window_length is '1000000000000', expected a positive "
                                                 "integer up to 1048576"):
            modrec.classifier(huge)
        any_length = _bundle(self.tmp.name, "gru2", length=48)
        self.assertEqual(modrec.classifier(any_length).windows.length, 48)  # its trained_window_length
        self.assertEqual(modrec.classifier(any_length, window=128).windows.length, 128)
        floored = os.path.join(self.tmp.name, "floored.onnx")
        replace_metadata(any_length, {**read_metadata(any_length), "min_window_length": "40"}, floored)
        with self.assertRaisesRegex(ValueError, "reads windows of >= 40 samples, window is 32"):
            modrec.classifier(floored, window=32)
        kept = {k: v for k, v in read_metadata(any_length).items() if k != "trained_window_length"}
        replace_metadata(any_length, kept, any_length)
        with self.assertRaisesRegex(ValueError, "set window"):
            modrec.classifier(any_length)
        with self.assertRaisesRegex(ValueError, "takes 64-sample windows only"):
            modrec.classifier(self.path, window=128)
        import onnxruntime

        if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            with self.assertRaisesRegex(BundleError, "no CUDAExecutionProvider"):
                modrec.classifier(self.path, device="cuda")


if __name__ == "__main__":
    gr_unittest.run(qa_classifier)
