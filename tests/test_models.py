"""Model zoo: published parameter counts, forward/backward at the lengths each design allows."""
import pytest
import torch

from modrec_core.models import build, count_parameters, get_spec, list_models

PUBLISHED = [  # (model, classes, length, parameters, where the number comes from)
    ("pet_cgdnn", 11, 128, 71_871, "PET-CGDNN paper"),
    ("pet_cgdnn", 24, 1024, 75_340, "PET-CGDNN paper"),
    ("lstm_ap", 11, 128, 201_099, "Rajendran 200,075 + PyTorch's second LSTM bias"),
    ("se_jnnet", 11, 128, 277_716, "SE-JNNet Table 6"),
    ("cldnn2", 11, 128, 517_643, "SE-JNNet Table 6"),
    ("cnn", 11, 128, 858_123, "SE-JNNet Table 6"),
    ("gru2", 11, 128, 151_179, "SE-JNNet Table 6"),
    ("mcldnn", 11, 128, 406_199, "SigNet Table II 0.37 M; Keras 405,175 + PyTorch LSTM biases"),
    ("signet", 12, 512, 23_529_484 + 2 * 3 * 3, "torchvision ResNet50 (2-ch stem, 12 out) + S2M"),
    ("cyclic_hybrid", 12, 512, 208_090, "ours, docs/models.md: the count does not depend on the length"),
    ("cyclic_hybrid", 11, 128, 207_897, "ours: 12 -> 11 classes drops one row of the 192-wide head"),
    ("equalized_cyclic_hybrid", 12, 512, 537_116, "ours, docs/field.md: the hybrid's 208,090 + the equalizer's 329,026"),
]
ALL = sorted(list_models())


@pytest.mark.parametrize("name,classes,length,params,source", PUBLISHED)
def test_published_parameter_counts(name, classes, length, params, source):
    assert count_parameters(build(name, num_classes=classes, length=length)) == params, source


def test_signet_options_change_what_they_should():
    base = 23_529_484
    assert count_parameters(build("signet", 12, 128, k=5)) == base + 2 * 25
    assert count_parameters(build("signet", 12, 128, backbone="resnet18")) < 12_000_000
    assert 23.3e6 < count_parameters(build("signet2", 12, 512)) < 23.6e6  # paper: 23.52 M
    with pytest.raises(ValueError, match="unknown backbone"):
        build("signet", 12, 128, backbone="resnet7")
    with pytest.raises(ValueError, match="unknown backbone"):
        build("signet2", 12, 128, backbone="resnet7")


@pytest.mark.parametrize("width", [16, 64])
def test_signet_width_scales_the_resnet18_backbone(width):
    """ResNet18 with a 2-channel stem: 2724 w^2 + 248 w weights and BN, fc 8w x 12 + 12, S2M 2 x 3 x 3."""
    expected = 2724 * width ** 2 + 248 * width + 8 * width * 12 + 12 + 18
    model = build("signet", 12, 128, backbone="resnet18", width=width)
    assert count_parameters(model) == expected
    assert model(torch.zeros(2, 2, 128)).shape == (2, 12)
    with pytest.raises(ValueError, match="positive channel count"):
        build("signet", 12, 128, width=0)


def _heavy_options(name, length):
    """SigNet's ResNet50 on a 1022x1022 image is ~80 GFLOP: run the 2-D part on ResNet18 there."""
    return {"backbone": "resnet18"} if name == "signet" and length > 128 else {}


@pytest.mark.parametrize("length", [128, 512, 1024])
@pytest.mark.parametrize("name", ALL)
def test_forward_and_backward(name, length):
    torch.manual_seed(0)
    model = build(name, num_classes=12, length=length, **_heavy_options(name, length))
    x = torch.randn(2, 2, length)
    logits = model(x)
    assert logits.shape == (2, 12) and torch.isfinite(logits).all()
    logits.sum().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", ALL)
def test_wrong_input_is_a_clear_error(name):
    model = build(name, 12, 128, **_heavy_options(name, 128))
    with pytest.raises(ValueError, match=r"expects I/Q windows of shape \(B, 2"):
        model(torch.randn(2, 3, 128))
    if not get_spec(name).any_length:
        with pytest.raises(ValueError, match="128"):
            model(torch.randn(2, 2, 256))


@pytest.mark.parametrize("name,length", [("resnet1d", 100), ("se_jnnet", 120), ("cnn", 100), ("pet_cgdnn", 8)])
def test_lengths_a_design_cannot_take_are_refused(name, length):
    with pytest.raises(ValueError, match="window length"):
        build(name, 12, length)


def test_registry_errors():
    with pytest.raises(ValueError, match="unknown model 'alexnet'"):
        build("alexnet", 12, 128)
    with pytest.raises(ValueError, match="num_classes"):
        build("gru2", 1, 128)


def test_any_length_models_run_at_other_lengths():
    for name in (n for n in ALL if get_spec(n).any_length):
        model = build(name, 11, 128)
        assert model(torch.randn(3, 2, 512)).shape == (3, 11), name


def test_se_jnnet_flow_inverts_and_l1_penalty_is_differentiable():
    torch.manual_seed(1)
    model = build("se_jnnet", 11, 128)
    with torch.no_grad():
        for p in model.flow.parameters():
            p.add_(0.05 * torch.randn_like(p))  # away from the identity initialisation
    x = torch.randn(4, 2, 128)
    y = model.flow(x)
    assert (y - x).abs().max() > 0.1
    assert torch.allclose(model.flow.inverse(y), x, atol=1e-4)
    penalty = model.l1_penalty()
    penalty.backward()
    assert penalty > 0 and model.swm1.spatial.weight.grad.abs().sum() > 0


def test_pet_cgdnn_undoes_a_phase_rotation():
    from modrec_core.models.pet_cgdnn import rotate_iq

    x = torch.randn(5, 2, 64)
    phi = torch.rand(5, 1) * 6 - 3
    c, s = torch.cos(phi), torch.sin(phi)
    rotated = torch.stack([x[:, 0] * c - x[:, 1] * s, x[:, 0] * s + x[:, 1] * c], dim=1)
    assert torch.allclose(rotate_iq(rotated, phi), x, atol=1e-5)


def test_every_model_cites_its_paper_by_title():
    from modrec_core.models import papers

    cites = {v for k, v in vars(papers).items() if k.isupper()}
    for name in list_models():
        assert get_spec(name).paper in cites and '"' in get_spec(name).paper, name


def test_cyclic_hybrid_passes_finite_gradients_to_its_input():
    """A learned front end (equalized_cyclic_hybrid) trains through the features: a window whose
    z^4 line is exactly -1 (a carrier at 45 degrees) used to send NaN back through the derotation's
    half-angle roots, and a window of constant |x|^2 (no |x|^2 spectrum) had a log(0) feature."""
    torch.manual_seed(0)
    model = build("cyclic_hybrid", 12, 128).train()
    carrier = torch.stack([torch.ones(128), torch.ones(128)])[None] / 2 ** 0.5
    x = torch.cat([carrier, torch.randn(3, 2, 128)]).requires_grad_()
    model(x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert torch.isfinite(model.eval()(carrier)).all()
