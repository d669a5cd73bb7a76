"""The blind equalizer: its FIR filter, its blind loss, its training twins, training and resume,
and the equalized hybrid it makes with a trained classifier."""
import numpy as np
import pytest
import torch

from modrec_core import equalizer_training as et
from modrec_core.bundle import export, load_bundle
from modrec_core.models import build
from modrec_core.models.blind_equalizer import BlindEqualizer, fir, widened
from modrec_core.synthesis import get_preset, synthesize
from modrec_core.synthesis.channel import oracle_equalized
from modrec_core.synthesis.presets import FRONT_END
from modrec_core.synthesis.synthesizer import to_iq


def _complex(iq):
    return iq[:, 0] + 1j * iq[:, 1]


def test_fir_is_numpy_convolution_same_length():
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((3, 2, 200)).astype(np.float32), rng.standard_normal((3, 2, 33)).astype(np.float32)
    got = _complex(fir(torch.from_numpy(x), torch.from_numpy(g)).numpy())
    want = np.stack([np.convolve(a, b, "same") for a, b in zip(_complex(x), _complex(g))])
    assert np.abs(got - want).max() < 1e-4


def test_a_fresh_equalizer_passes_windows_through_at_unit_power():
    x = torch.randn(4, 2, 256) * 3
    y = BlindEqualizer().eval()(x)
    unit = x / torch.sqrt((x ** 2).sum(1, keepdim=True).mean(2, keepdim=True))
    assert torch.allclose(y, unit, atol=1e-5)
    with pytest.raises(ValueError, match="odd number of taps"):
        BlindEqualizer(taps=32)


def test_the_loss_ignores_gain_phase_and_delay_but_not_the_waveform():
    rng = np.random.default_rng(1)
    twin = rng.standard_normal((2, 2, 300)).astype(np.float32)
    c = _complex(twin) * 0.3 * np.exp(1j * 2.0)
    moved = to_iq(np.roll(c, 7, axis=1))  # inside the loss's delay search
    assert et.equalization_loss(torch.from_numpy(moved), torch.from_numpy(twin)).item() < 1e-5
    other = rng.standard_normal((2, 2, 300)).astype(np.float32)
    assert et.equalization_loss(torch.from_numpy(other), torch.from_numpy(twin)).item() > 0.9


def test_twins_are_the_same_windows_through_a_flat_channel():
    """The oracle MMSE equalizer, which knows each channel, brings high-SNR multipath windows close
    to their twins; the windows as they are stay far from them."""
    preset = get_preset("sig2019_multipath").without(*FRONT_END)
    labels, snr = np.arange(12).repeat(4), np.full(48, 30.0, np.float32)
    b = synthesize(preset, labels, snr, 3)
    twin = torch.from_numpy(to_iq(et.flat_twin(preset, labels, snr, 3)))
    raw = et.equalization_loss(torch.from_numpy(b.iq()), twin).item()
    oracle = et.equalization_loss(torch.from_numpy(to_iq(oracle_equalized(b.x, b.params, snr))), twin).item()
    assert oracle < 0.05 < raw and oracle < raw / 3


def test_training_checkpoints_and_resumes(tmp_path):
    run = et.EqualizerTraining(str(tmp_path), steps=2, seed=5, batch_size=8, log=lambda m: None)
    run.run(every=1)
    first = {k: v.clone() for k, v in run.model.state_dict().items()}
    assert any((first["head.2.weight"] != 0).flatten())  # the last layer left zero
    again = et.EqualizerTraining(str(tmp_path), steps=2, seed=5, batch_size=8, log=lambda m: None)
    assert again.step == 2 and all(torch.equal(first[k], v) for k, v in again.model.state_dict().items())
    with pytest.raises(ValueError, match="run of 2 steps, not 3"):
        et.EqualizerTraining(str(tmp_path), steps=3, seed=5, batch_size=8)


def test_compose_puts_the_equalizer_ahead_of_a_trained_hybrid(tmp_path):
    torch.manual_seed(0)
    hybrid = build("cyclic_hybrid", 12, 128).eval()
    torch.save({"model_name": "cyclic_hybrid", "best_model": hybrid.state_dict()}, tmp_path / "h.pt")
    equalizer = BlindEqualizer().eval()
    et.compose(equalizer, et.checkpoint_part(str(tmp_path / "h.pt"), "--classifier", "classifier"),
               str(tmp_path / "best.pt"))
    ck = torch.load(tmp_path / "best.pt", weights_only=False)
    model = build("equalized_cyclic_hybrid", 12, 128).eval()
    model.load_state_dict(ck["best_model"])
    x = torch.randn(3, 2, 128)
    unit = x / torch.sqrt((x ** 2).sum(1, keepdim=True).mean(2, keepdim=True))
    assert ck["model_name"] == "equalized_cyclic_hybrid"
    assert torch.allclose(model(x), hybrid(unit), atol=1e-4)  # a fresh equalizer is the identity
    assert all(torch.equal(v, et.checkpoint_part(str(tmp_path / "best.pt"), "--classifier", "classifier")[k])
               for k, v in hybrid.state_dict().items())  # the classifier half of an equalized checkpoint
    torch.save({"model_name": "lstm_ap", "best_model": {}}, tmp_path / "l.pt")
    with pytest.raises(ValueError, match="checkpoint is for lstm_ap, not equalized_cyclic_hybrid or cyclic_hybrid"):
        et.checkpoint_part(str(tmp_path / "l.pt"), "--classifier", "classifier")
    with pytest.raises(ValueError, match="checkpoint is for cyclic_hybrid, not equalized_cyclic_hybrid"):
        et.checkpoint_part(str(tmp_path / "h.pt"), "--init-from", "equalizer")


def test_a_widened_equalizer_keeps_its_filters():
    """A trained 33-tap equalizer widened to 65 taps gives the same windows; it cannot shrink."""
    torch.manual_seed(4)
    short = BlindEqualizer(taps=33)
    with torch.no_grad():
        short.head[2].weight.normal_(0, 0.05)
        short.head[2].bias.normal_(0, 0.05)
    short.eval()
    wide = BlindEqualizer(taps=65).eval()
    wide.load_state_dict(widened(short.state_dict(), 65))
    x = torch.randn(3, 2, 256)
    assert torch.allclose(wide(x), short(x), atol=1e-5)
    assert not torch.allclose(wide(x), BlindEqualizer(taps=65).eval()(x), atol=1e-2)  # not the identity
    with pytest.raises(ValueError, match="cannot widen a 65-tap equalizer to 33 taps"):
        widened(wide.state_dict(), 33)


def test_four_views_average_the_logits_of_the_symmetric_windows():
    """views=4: the mean of the single view's logits over the window, its conjugate, its time
    reversal and both, so the score no longer depends on either symmetry; same weights."""
    torch.manual_seed(5)
    one = build("equalized_cyclic_hybrid", 12, 128).eval()
    four = build("equalized_cyclic_hybrid", 12, 128, views=4).eval()
    four.load_state_dict(one.state_dict())
    x = torch.randn(3, 2, 128)
    conj = torch.stack([x[:, 0], -x[:, 1]], 1)
    with torch.no_grad():
        want = (one(x) + one(conj) + one(x.flip(2)) + one(conj.flip(2))) / 4
        assert torch.allclose(four(x), want, atol=1e-5)
        assert torch.allclose(four(conj), four(x), atol=1e-5) and torch.allclose(four(x.flip(2)), four(x), atol=1e-5)
        assert not torch.allclose(one(conj), one(x), atol=1e-3)  # the single view depends on them
    with pytest.raises(ValueError, match=r"views must be one of \(1, 4\), got 2"):
        build("equalized_cyclic_hybrid", 12, 128, views=2)


@pytest.mark.parametrize("views", [1, 4])
def test_an_equalized_bundle_matches_eager_with_a_working_filter(tmp_path, views):
    torch.manual_seed(2)
    model = build("equalized_cyclic_hybrid", 12, 128, views=views)
    with torch.no_grad():
        model.equalizer.head[2].weight.normal_(0, 0.05)  # away from the identity: the FIR path is used
    model.eval()
    path = str(tmp_path / "eq.onnx")
    export(model, path, [f"c{k}" for k in range(12)], trained_on={"preset": "sig2019", "seed": 1, "samples_per_symbol": 8})
    x = np.random.default_rng(3).standard_normal((5, 2, 128)).astype(np.float32)
    with torch.no_grad():
        ref = torch.softmax(model(torch.from_numpy(x)), 1).numpy()
    assert np.abs(load_bundle(path).predict(x) - ref).max() < 1e-4
