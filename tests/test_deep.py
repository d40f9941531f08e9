"""ResNet/GoogLeNet by name, pretrained weights in torchvision's layout, fine-tuning, augmentation."""

import warnings

import numpy as np
import pytest
import torch

from audiosk.nets import (
    CNN,
    AddNoise,
    FrequencyWarp,
    GoogLeNet,
    Mixup,
    NeuralClassifier,
    NeuralRegressor,
    ResNet,
    SpecAugment,
    TimeShift,
    TimeStretch,
)
from audiosk.nets._recipes import make_augmentations

# torchvision's resnet18 state dict: 122 entries; spot-checked names of each kind
TORCHVISION_RESNET18_KEYS = [
    "conv1.weight",
    "bn1.running_mean",
    "layer1.0.conv1.weight",
    "layer1.1.bn2.num_batches_tracked",
    "layer2.0.downsample.0.weight",
    "layer2.0.downsample.1.running_var",
    "layer4.1.conv2.weight",
    "fc.weight",
    "fc.bias",
]


def spectra(n=24, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 16, 24)).astype(np.float32)
    X[y == 1, 2:6] += 2.5
    return X, y


@pytest.mark.parametrize(
    "name,depth_keys", [("resnet18", 122), ("resnet34", 218), ("resnet50", 320), ("googlenet", 344)]
)
def test_architectures_by_name_any_size_and_channels(name, depth_keys):
    X, y = spectra()
    clf = NeuralClassifier(name, max_epochs=1, batch_size=8, random_state=0).fit(X, y)
    assert len(clf.module_.state_dict()) == depth_keys
    assert clf.predict_proba(X).shape == (24, 2)
    images = np.repeat(X[:, None], 3, axis=1)[:, :, :, :20]
    assert NeuralClassifier(name, max_epochs=1, batch_size=8).fit(images, y).predict(
        images
    ).shape == (24,)


def test_resnet_state_dict_uses_torchvision_names():
    keys = ResNet((3, 32, 32), 1000).state_dict().keys()
    assert len(keys) == 122 and set(TORCHVISION_RESNET18_KEYS) <= set(keys)
    googlenet = GoogLeNet((3, 32, 32), 1000).state_dict().keys()
    assert {
        "conv1.conv.weight",
        "conv1.bn.running_mean",
        "inception4e.branch3.1.conv.weight",
        "fc.weight",
    } <= set(googlenet)


@pytest.mark.parametrize("cls", [ResNet, GoogLeNet])
def test_pretrained_weights_adapt_to_one_channel_and_a_new_head(cls, tmp_path):
    torch.manual_seed(0)
    imagenet = cls((3, 64, 64), 1000)
    state = imagenet.state_dict()
    if cls is GoogLeNet:  # torchvision's file also holds the auxiliary classifiers
        state["aux1.fc2.weight"] = torch.zeros(1000, 1024)
    path = tmp_path / "weights.pth"
    torch.save(state, path)
    net = cls((64, 80), 7, weights=path)
    first = "conv1.weight" if cls is ResNet else "conv1.conv.weight"
    torch.testing.assert_close(net.state_dict()[first], state[first].sum(dim=1, keepdim=True))
    deep = "layer3.1.conv2.weight" if cls is ResNet else "inception5b.branch2.1.conv.weight"
    torch.testing.assert_close(net.state_dict()[deep], state[deep])
    assert net.fc.out_features == 7
    rgb = cls((3, 64, 80), 7, weights=path)
    torch.testing.assert_close(rgb.state_dict()[first], state[first])
    # the one-channel network sees a spectrogram as the RGB one sees it in three equal channels
    rgb.fc.load_state_dict(net.fc.state_dict())
    net.eval(), rgb.eval()
    x = torch.randn(2, 64, 80)
    with torch.no_grad():
        torch.testing.assert_close(
            net(x), rgb(x[:, None].expand(-1, 3, -1, -1)), rtol=1e-4, atol=1e-5
        )


def test_wrong_weights_are_reported(tmp_path):
    path = tmp_path / "r18.pth"
    torch.save(ResNet((3, 32, 32), 1000, depth=18).state_dict(), path)
    with pytest.raises(ValueError, match="same depth"):
        ResNet((3, 32, 32), 10, depth=34, weights=path)


@pytest.mark.filterwarnings("ignore:ResNet.trainable_layers=2. without weights")
def test_trainable_layers_freeze_the_first_stages():
    X, y = spectra()
    clf = NeuralClassifier(
        "resnet18",
        module__trainable_layers=2,
        max_epochs=2,
        batch_size=8,
        random_state=0,
        optimizer="sgd",
        lr=0.1,
    )
    with pytest.warns(UserWarning, match="without weights freezes"):
        before = ResNet((16, 24), 2, depth=18, trainable_layers=2)
    torch.manual_seed(0)
    clf.fit(X, y)
    trainable = {n for n, p in clf.module_.named_parameters() if p.requires_grad}
    assert all(n.startswith(("layer3.", "layer4.", "fc.")) for n in trainable)
    assert any(n.startswith("layer3.") for n in trainable)
    # frozen stages neither learn nor update their batch-norm statistics
    clf2 = NeuralClassifier(
        "resnet18", module__trainable_layers=2, max_epochs=1, batch_size=8, random_state=0
    ).fit(X, y)
    frozen_before = {
        k: v.clone()
        for k, v in clf2.module_.state_dict().items()
        if k.startswith(("conv1", "bn1", "layer1", "layer2"))
    }
    clf2.set_params(max_epochs=2).partial_fit(X, y)
    for key, value in frozen_before.items():
        torch.testing.assert_close(clf2.module_.state_dict()[key], value, msg=key)
    assert not any(p.requires_grad for p in before.layer2.parameters())
    with pytest.raises(ValueError, match="between 0 and 5"):
        ResNet((16, 24), 2, trainable_layers=6)


def test_augmentations_change_training_not_prediction():
    X, y = spectra()
    gen = torch.Generator().manual_seed(0)
    Xt = torch.from_numpy(X)
    masked, _ = SpecAugment(freq_masks=1, freq_width=16, time_masks=0)(Xt, gen)
    assert (masked == 0).any() and masked.shape == Xt.shape
    noisy, _ = AddNoise(snr_db=10)(Xt, gen)
    snr = 10 * torch.log10(Xt.pow(2).mean() / (noisy - Xt).pow(2).mean())
    assert abs(float(snr) - 10) < 0.5
    shifted, _ = TimeShift(0.5)(Xt, gen)
    torch.testing.assert_close(shifted.sort(dim=-1).values, Xt.sort(dim=-1).values)
    labels = torch.arange(len(Xt))
    mixed, [(y1, lam), (perm, rest)] = Mixup(0.4)(Xt, gen, [(labels, 1.0)])
    assert torch.equal(y1, labels) and lam + rest == pytest.approx(1.0)
    torch.testing.assert_close(mixed, lam * Xt + (1 - lam) * Xt[perm])

    plain = NeuralClassifier(
        "cnn", module__channels=4, module__n_blocks=2, max_epochs=3, random_state=0
    ).fit(X, y)
    proba = plain.predict_proba(X)
    plain.set_params(augment=["specaugment", "noise", "shift", "mixup"])
    np.testing.assert_array_equal(plain.predict_proba(X), proba)  # prediction ignores augment

    augmented = NeuralClassifier(
        "cnn",
        module__channels=4,
        module__n_blocks=2,
        max_epochs=3,
        random_state=0,
        augment=["specaugment", "noise", "shift", "mixup"],
    )
    augmented.fit(X, y)
    again = NeuralClassifier(
        "cnn",
        module__channels=4,
        module__n_blocks=2,
        max_epochs=3,
        random_state=0,
        augment=["specaugment", "noise", "shift", "mixup"],
    ).fit(X, y)
    np.testing.assert_array_equal(augmented.predict_proba(X), again.predict_proba(X))  # seeded
    assert augmented.history[:, "train_loss"] != plain.history[:, "train_loss"]


def test_warps_read_the_spectrum_at_scaled_positions():
    gen = torch.Generator().manual_seed(0)
    bins, frames = 32, 21
    ramp = torch.arange(float(bins))[None, :, None].expand(16, bins, frames)  # value = bin index
    warped, _ = FrequencyWarp(0.2)(ramp, gen)
    factors = warped[:, 1, 0]  # bin 1 reads position 1 * factor
    assert ((factors >= 0.8) & (factors <= 1.2)).all() and factors.std() > 0.05
    expected = (torch.arange(float(bins))[None, :] * factors[:, None]).clamp(max=bins - 1)
    torch.testing.assert_close(warped[:, :, 0], expected)
    torch.testing.assert_close(warped, warped[:, :, :1].expand_as(warped))  # every frame alike

    time_ramp = torch.arange(float(frames)).repeat(16, 2, 1)  # (16, 2, frames), value = frame index
    stretched, _ = TimeStretch(0.3)(time_ramp, gen)
    centre = (frames - 1) / 2
    torch.testing.assert_close(
        stretched[:, :, frames // 2], torch.full((16, 2), centre)
    )  # the centre stays
    slopes = (
        stretched[:, 0, frames // 2 + 1] - centre
    )  # one frame right of the centre reads at centre + rate
    assert ((slopes >= 0.7 - 1e-6) & (slopes <= 1.3 + 1e-6)).all() and slopes.std() > 0.05
    expected = (centre + (torch.arange(float(frames))[None, :] - centre) * slopes[:, None]).clamp(
        0, frames - 1
    )
    torch.testing.assert_close(stretched[:, 0], expected)
    images = torch.rand(3, 2, 8, 10)
    assert FrequencyWarp()(images, gen)[0].shape == images.shape
    with pytest.raises(ValueError, match="FrequencyWarp needs spectra"):
        FrequencyWarp()(torch.zeros(4, 10), gen)


def test_augment_parameter_forms():
    assert [type(a).__name__ for a in make_augmentations(["mixup", "noise"])] == [
        "Mixup",
        "AddNoise",
    ]  # applied in the order given
    assert [type(a).__name__ for a in make_augmentations(["warp", "stretch"])] == [
        "FrequencyWarp",
        "TimeStretch",
    ]
    assert make_augmentations(None) == []
    given = SpecAugment(time_width=3)
    made = make_augmentations(given)[0]
    assert made.time_width == 3 and made is not given  # a copy: training never changes it
    with pytest.raises(ValueError, match="Unknown augmentation"):
        make_augmentations("pitch")
    reg = NeuralRegressor(max_epochs=2, augment="noise", random_state=0).fit(
        np.random.default_rng(0).normal(size=(30, 4)), np.arange(30.0)
    )
    assert reg.predict(np.zeros((2, 4))).shape == (2,)
    with pytest.raises(ValueError, match="SpecAugment needs spectra"):
        NeuralRegressor(max_epochs=1, augment="specaugment").fit(np.zeros((10, 4)), np.arange(10.0))
    with pytest.raises(ValueError, match="time_width"):
        NeuralRegressor(max_epochs=1, augment=SpecAugment(time_width=-1)).fit(
            np.zeros((10, 4, 4)), np.arange(10.0)
        )


def test_step_schedule_and_best_checkpoint_are_one_parameter_each():
    X, y = spectra()
    clf = NeuralClassifier(
        "cnn",
        module__channels=4,
        module__n_blocks=2,
        optimizer="sgd",
        lr=0.1,
        max_epochs=6,
        lr_schedule=("step", {"step_size": 4}),
        restore_best=True,
        random_state=0,
    ).fit(X, y)
    lrs = [group["lr"] for group in clf.optimizer_.param_groups]
    assert lrs == [pytest.approx(0.01)]
    assert dict(clf.callbacks_)["best_weights"].stopper_.load_best


def test_trainable_layers_without_weights_warn():
    # the stem, layer1 and layer2 of a one-channel ResNet-18: 0.68 M random parameters
    with pytest.warns(UserWarning, match="freezes 676,800 randomly initialised parameters"):
        ResNet((16, 24), 2, depth=18, trainable_layers=2)
    X, y = spectra()
    with pytest.warns(UserWarning, match="without weights freezes"):
        NeuralClassifier("resnet18", module__trainable_layers=2, max_epochs=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ResNet((16, 24), 2, depth=18, trainable_layers=5)  # nothing frozen: no warning
        ResNet((16, 24), 2, depth=18)


def test_cnn_flatten_head_is_sized_in_evaluation_mode():
    # the probe once ran one sample through batch norm in training mode, which torch refuses
    net = CNN(
        (3, 172, 173),
        10,
        n_blocks=4,
        kernel_size=4,
        stride=4,
        padding=1,
        pooling="none",
        head="flatten",
    )
    assert net.training and all(m.training for m in net.modules())
    assert net.eval()(torch.zeros(2, 3, 172, 173)).shape == (2, 10)


def four_corner_images(n=44, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(4), n // 4)
    X = rng.normal(size=(n, 3, 32, 32)).astype(np.float32)
    for c in range(4):
        X[y == c, c % 3, (c // 3) * 16 : (c // 3) * 16 + 16] += 1.5
    return X, y


@pytest.mark.slow
def test_a_briefly_trained_googlenet_predicts_what_it_learnt():
    """16 steps leave batch-norm running statistics unsettled; they are recomputed after training.

    The setting of the report scaled down: 44 images, batches of 32, 8 epochs.
    Without the refresh the net scores 1.0 on its training batches and predicts one class.
    """
    X, y = four_corner_images()
    params = dict(batch_size=32, max_epochs=8, random_state=0, augment=None)
    stale = NeuralClassifier("googlenet", callbacks__refresh_batch_norm=None, **params).fit(X, y)
    assert stale.history[-1, "train_acc"] > 0.9  # what its training batches show
    assert len(set(stale.predict(X))) == 1  # what the refresh is for
    net = NeuralClassifier("googlenet", **params).fit(X, y)
    assert net.score(X, y) > 0.9 and len(set(net.predict(X))) == 4


def test_batch_norm_statistics_are_refreshed_only_after_a_short_training():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=300.0, scale=20.0, size=(64, 3))
    y = np.arange(64) % 2
    short = NeuralClassifier(max_epochs=2, batch_size=32, random_state=0).fit(X, y)
    norm = short.module_.input.norm  # the MLP's input standardisation
    np.testing.assert_allclose(norm.running_mean.numpy(), X.mean(axis=0), rtol=1e-5)
    # the mean of the batches' variances, close to the table's
    np.testing.assert_allclose(norm.running_var.numpy(), X.var(axis=0), rtol=0.1)
    assert norm.momentum == 0.1  # restored after the pass
    stale = NeuralClassifier(
        max_epochs=2, batch_size=32, random_state=0, callbacks__refresh_batch_norm=None
    ).fit(X, y)
    # 4 steps of momentum 0.1 leave 0.9 ** 4 = 66 % of the initial zero mean
    mean = stale.module_.input.norm.running_mean.numpy()
    np.testing.assert_allclose(mean, (1 - 0.9**4) * X.mean(axis=0), rtol=0.05)
    long = NeuralClassifier(max_epochs=50, batch_size=32, random_state=0).fit(X, y)
    assert long.module_.input.norm.running_mean.numpy() != pytest.approx(X.mean(axis=0), rel=1e-5)


def test_augmentations_are_parameter_objects_searchable_through_the_net():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    X, y = spectra()
    mixup = Mixup(0.2)
    net = NeuralClassifier(
        "cnn", module__channels=4, module__n_blocks=2, max_epochs=1, augment=mixup
    )
    assert net.get_params()["augment__alpha"] == 0.2
    net.set_params(augment__alpha=0.5).fit(X, y)
    assert mixup.alpha == 0.5 and net.augment_[0] is not mixup  # cloned per fit
    assert repr(net.augment_[0]) == "Mixup(alpha=0.5)" and clone(mixup).alpha == 0.5
    search = GridSearchCV(net, {"augment__alpha": [0.1, 0.3]}, cv=2).fit(X, y)
    assert search.best_params_["augment__alpha"] in (0.1, 0.3)
    assert search.best_estimator_.augment_[0].alpha == search.best_params_["augment__alpha"]
    # "auto" builds fresh objects at every fit: no net shares an instance
    a = NeuralClassifier("cnn", module__channels=4, module__n_blocks=2, max_epochs=1).fit(X, y)
    b = NeuralClassifier("cnn", module__channels=4, module__n_blocks=2, max_epochs=1).fit(X, y)
    assert [type(x).__name__ for x in a.augment_] == ["SpecAugment", "Mixup"]
    assert all(x is not z for x, z in zip(a.augment_, b.augment_, strict=True))
    with pytest.raises(ValueError, match="augment__alpha needs augment to be one"):
        NeuralClassifier(augment=["mixup"]).set_params(augment__alpha=0.3)
