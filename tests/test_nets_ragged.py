"""Nets on clips of any length: masks, pooling over valid frames, bucketing, augmentations."""

import numpy as np
import pytest
import soundfile as sf
import torch
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from torch import nn

from audiosk.containers import Spectra, Waveforms
from audiosk.features import MelSpectrogram
from audiosk.io import AudioLoader
from audiosk.nets import (
    CNN,
    TDNN,
    AddNoise,
    FrequencyWarp,
    Mixup,
    NeuralClassifier,
    NeuralRegressor,
    PANNs,
    SpecAugment,
    TimeShift,
    TimeStretch,
)
from audiosk.nets._data import BUCKET_POOL, Batches, RaggedClips, RaggedDataset
from audiosk.nets._layers import batch_norm, time_mask

LENGTHS = [50, 31, 17, 9, 44]


def _trained(module, X, lengths):
    """Take one training step so that batch-norm statistics are not their initial values."""
    module.train()
    module(X, lengths=lengths).sum().backward()
    return module.eval()


MODULES = {
    "tdnn": lambda: TDNN(input_shape=(16, None), n_outputs=3, channels=8),
    "tdnn-even-kernel": lambda: TDNN(
        input_shape=(2, 16, None), n_outputs=3, channels=8, kernel_size=4, dilation=(1, 2)
    ),
    "cnn": lambda: CNN(input_shape=(16, None), n_outputs=3, channels=4),
    "cnn-tanh-dropout": lambda: CNN(
        input_shape=(16, None), n_outputs=3, channels=4, activation="tanh", dropout=0.2
    ),
    "cnn-avg-strided": lambda: CNN(
        input_shape=(16, None),
        n_outputs=3,
        channels=4,
        n_blocks=2,
        pooling="avg",
        kernel_size=4,
        stride=2,
        padding=1,
    ),
}


@pytest.mark.parametrize("name", MODULES)
def test_a_clip_in_a_padded_batch_gives_its_output_alone(name):
    """Padding inside a batch never changes a clip's output (evaluation mode)."""
    torch.manual_seed(0)
    module = MODULES[name]()
    shape = (2, 16) if name == "tdnn-even-kernel" else (16,)
    X = torch.randn(len(LENGTHS), *shape, max(LENGTHS))
    lengths = torch.tensor(LENGTHS)
    module = _trained(module, X, lengths)
    with torch.no_grad():
        batched = module(X, lengths=lengths)
        alone = torch.cat([module(X[i : i + 1, ..., :n]) for i, n in enumerate(LENGTHS)])
        keep = time_mask(lengths, X.shape[-1]).reshape(len(LENGTHS), *[1] * len(shape), -1)
        masked = module(torch.where(keep, X, 1e3), lengths=lengths)  # padding is ignored
    assert alone.abs().max() > 1e-3
    torch.testing.assert_close(batched, alone, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(masked, alone, rtol=1e-5, atol=1e-6)


def test_panns_reads_each_clip_alone_in_a_padded_batch():
    torch.manual_seed(0)
    module = PANNs(n_outputs=3, arch="cnn10", sr=16000)
    lengths = torch.tensor([16000, 11000, 7000])
    X = torch.randn(3, 16000) * time_mask(lengths, 16000)
    module = _trained(module, X, lengths)
    with torch.no_grad():
        batched = module(X, lengths)
        alone = torch.cat([module(X[i : i + 1, :n]) for i, n in enumerate(lengths.tolist())])
    torch.testing.assert_close(batched, alone, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="at least"):
        module(X, torch.tensor([16000, 11000, 100]))


def test_masked_batch_norm_equals_batch_norm_of_the_valid_frames():
    torch.manual_seed(0)
    ours, reference = nn.BatchNorm1d(4), nn.BatchNorm1d(4)
    X, lengths = torch.randn(3, 4, 10), torch.tensor([10, 6, 3])
    X[:, 0] = -80 + 0.01 * X[:, 0]  # a band at a dB floor: a large mean, a small spread
    out = batch_norm(ours, X, time_mask(lengths, 10))
    valid = torch.cat([X[i, :, :n] for i, n in enumerate(lengths.tolist())], dim=1)  # (4, 19)
    expected = reference(valid.T)
    got = torch.cat([out[i, :, :n] for i, n in enumerate(lengths.tolist())], dim=1).T
    # float32 holds -80 to 8e-6, which is 8e-4 of the band's spread: both sides round alike
    torch.testing.assert_close(got[:, 0], expected[:, 0], rtol=0, atol=2e-3)
    torch.testing.assert_close(got[:, 1:], expected[:, 1:], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours.running_mean, reference.running_mean)
    torch.testing.assert_close(ours.running_var, reference.running_var, rtol=1e-3, atol=1e-7)


def ragged_spectra(n=60, seed=0, n_bins=16):
    """Two classes of spectra of 20-80 frames; class 1 varies 3 times more in its first 4 bins."""
    rng = np.random.default_rng(seed)
    clips, y = [], []
    for i in range(n):
        clip = rng.normal(size=(n_bins, rng.integers(20, 80))).astype(np.float32)
        clip[:4] *= 1 + 2 * (i % 2)
        clips.append(clip)
        y.append(i % 2)
    return Spectra(clips, sr=8000), np.array(y)


def test_classifier_on_ragged_spectra_is_batch_invariant_and_learns():
    X, y = ragged_spectra()
    whole = dict(max_epochs=8, window_length=None, random_state=0, module__channels=16)
    net = NeuralClassifier(**whole).fit(X, y)
    assert net.input_shape_ == (16, None) and net.n_features_in_ == 16
    assert net.module_.__class__ is TDNN  # the recipe for spectra
    proba = net.predict_proba(X)
    alone = np.concatenate([net.predict_proba(Spectra([c], sr=8000)) for c in X[:12]])
    np.testing.assert_allclose(proba[:12], alone, rtol=1e-4, atol=1e-6)
    reordered = net.predict_proba(X[::-1])[::-1]
    np.testing.assert_allclose(proba, reordered, rtol=1e-4, atol=1e-6)
    assert net.score(X, y) > 0.9
    again = NeuralClassifier(**whole).fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X), proba, atol=1e-6)


def test_the_tdnn_removes_no_per_clip_mean_unless_asked():
    X, y = ragged_spectra(n=10)
    equal = np.stack([c[:, :20] for c in X])
    assert not NeuralClassifier(max_epochs=1).fit(X, y).module_.center_per_clip
    assert not NeuralClassifier(max_epochs=1).fit(equal, y).module_.center_per_clip
    kept = NeuralClassifier(max_epochs=1, module__center_per_clip=True).fit(X, y)
    assert kept.module_.center_per_clip


def test_fitted_on_ragged_spectra_predicts_equal_lengths_and_refuses_other_bins():
    X, y = ragged_spectra(n=20)
    net = NeuralClassifier(max_epochs=1, random_state=0, module__channels=8).fit(X, y)
    equal = np.stack([c[:, :20] for c in X])
    np.testing.assert_allclose(
        net.predict_proba(equal), net.predict_proba(Spectra(list(equal), sr=8000)), atol=1e-6
    )
    with pytest.raises(ValueError, match=r"\(16, None\).*\(12, '<frames>'\)"):
        net.predict(Spectra([c[:12] for c in X[:3]] + [X[3][:12, :5]], sr=8000))


def test_modules_that_cannot_read_lengths_are_refused_with_the_way_out():
    X, y = ragged_spectra(n=10)
    whole = dict(max_epochs=1, window_length=None)
    with pytest.raises(ValueError, match="'mlp' cannot read.*PadTrim"):
        NeuralClassifier("mlp", **whole).fit(X, y)
    with pytest.raises(ValueError, match="head='global'"):
        NeuralClassifier("cnn", module__head="flatten", **whole).fit(X, y)
    windows = NeuralClassifier("mlp", max_epochs=1).fit(X, y)  # windows of one length
    assert windows.window_length_ == windows.module_.layers[0].in_features // 16
    net = NeuralClassifier("mlp", **whole).fit(np.stack([c[:, :20] for c in X]), y)
    with pytest.raises(ValueError, match="different lengths.*'mlp'"):
        net.predict(X)


def test_regressor_on_ragged_spectra_checks_its_targets():
    X, _ = ragged_spectra(n=12)
    target = np.array([c.std() for c in X])  # the spread of each clip's values
    net = NeuralRegressor(max_epochs=2, random_state=0, module__channels=8).fit(X, target)
    assert net.predict(X).shape == (12,)
    with pytest.raises(ValueError, match="y contains NaN"):
        NeuralRegressor(max_epochs=1).fit(X, np.r_[np.nan, target[1:]])
    with pytest.raises(ValueError, match="X has 12 clips but y has 11"):
        NeuralRegressor(max_epochs=1).fit(X, target[1:])
    with pytest.raises(TypeError, match="AudioLoader"):
        NeuralClassifier(max_epochs=1).fit(["a.wav", "b.wav"], [0, 1])


def test_ragged_waveforms_reach_the_waveform_network():
    rng = np.random.default_rng(0)
    X = Waveforms(
        [rng.normal(size=n).astype(np.float32) * 0.1 for n in (9000, 12000, 16000, 10000)], sr=16000
    )
    net = NeuralClassifier(
        "panns", module__arch="cnn10", max_epochs=1, batch_size=2, random_state=0
    )
    proba = net.fit(X, [0, 1, 0, 1]).predict_proba(X)
    alone = np.concatenate([net.predict_proba(Waveforms([c], sr=16000)) for c in X])
    np.testing.assert_allclose(proba, alone, rtol=1e-4, atol=1e-6)


def test_training_batches_are_bucketed_by_length_and_cover_every_clip():
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 400, size=1000)
    clips = RaggedClips(np.zeros((1, n), np.float32) for n in lengths)
    dataset = RaggedDataset(clips, np.zeros(len(clips)))
    batches = Batches(
        dataset, 16, shuffle=True, drop_last=False, generator=torch.Generator().manual_seed(0)
    )
    rows = [b.numpy() for b in batches.indices()]
    assert sorted(np.concatenate(rows).tolist()) == list(range(1000))
    assert all(len(r) == 16 for r in rows[:-1]) and len(rows[-1]) == 1000 % 16

    def padding(rows):
        return sum(lengths[r].max() * len(r) - lengths[r].sum() for r in rows) / lengths.sum()

    shuffled = np.random.default_rng(1).permutation(1000)
    unbucketed = [shuffled[i : i + 16] for i in range(0, 1000, 16)]
    assert padding(rows) < 0.1 < padding(unbucketed)
    spans = [lengths[r].max() - lengths[r].min() for r in rows[:-1]]  # sorted within pools
    assert np.median(spans) < (400 - 10) / BUCKET_POOL
    again = [
        b.numpy()
        for b in Batches(
            dataset, 16, shuffle=True, drop_last=False, generator=torch.Generator().manual_seed(0)
        ).indices()
    ]
    assert all(np.array_equal(a, b) for a, b in zip(rows, again, strict=True))


def _ragged_batch():
    lengths = torch.tensor([40, 25, 10])
    X = (torch.rand(3, 8, 40) + 1.0) * time_mask(lengths, 40)[:, None, :]
    return {"X": X, "lengths": lengths}


@pytest.mark.parametrize(
    "augmentation",
    [
        SpecAugment(time_masks=3, time_width=30, freq_masks=2, freq_width=4, value=-5.0),
        TimeShift(0.5),
        TimeStretch(0.5),
        AddNoise(snr_db=10),
        FrequencyWarp(0.3),
    ],
    ids=lambda a: type(a).__name__,
)
def test_augmentations_stay_within_each_clip(augmentation):
    batch = _ragged_batch()
    out, _ = augmentation(batch, torch.Generator().manual_seed(0))
    assert torch.equal(out["lengths"], batch["lengths"])
    valid = time_mask(batch["lengths"], 40)[:, None, :].expand(-1, 8, -1)
    assert torch.equal(out["X"][~valid], torch.zeros(int((~valid).sum())))  # padding untouched
    assert not torch.equal(out["X"], batch["X"])


def test_time_masks_and_shifts_respect_each_length():
    batch = _ragged_batch()
    masked, _ = SpecAugment(freq_masks=0, time_masks=4, time_width=30, value=-5.0)(
        batch, torch.Generator().manual_seed(1)
    )
    for i, n in enumerate(batch["lengths"].tolist()):
        hit = (masked["X"][i, 0] == -5.0).nonzero().ravel()
        assert len(hit) and hit.max() < n
    shifted, _ = TimeShift(0.5)(batch, torch.Generator().manual_seed(0))
    for i, n in enumerate(batch["lengths"].tolist()):  # a rotation of the valid part
        rows = [torch.roll(batch["X"][i, :, :n], k, dims=1) for k in range(n)]
        assert any(torch.equal(shifted["X"][i, :, :n], r) for r in rows)
    noisy, _ = AddNoise(snr_db=0)(batch, torch.Generator().manual_seed(0))
    for i, n in enumerate(batch["lengths"].tolist()):  # 0 dB of the valid part's power
        signal = batch["X"][i, :, :n]
        noise = noisy["X"][i, :, :n] - signal
        assert 0.8 < float(noise.square().mean() / signal.square().mean()) < 1.25


def test_mixup_of_clips_lasts_as_long_as_the_longer():
    batch = _ragged_batch()
    y = torch.arange(3)
    mixed, targets = Mixup(1.0)(batch, torch.Generator().manual_seed(3), [(y, 1.0)])
    (_, lam), (partner, _) = targets
    expected = lam * batch["X"] + (1 - lam) * batch["X"][partner]
    torch.testing.assert_close(mixed["X"], expected)
    assert torch.equal(mixed["lengths"], torch.maximum(batch["lengths"], batch["lengths"][partner]))


def test_stretch_turns_about_each_clips_own_centre():
    X = torch.zeros(2, 1, 9)
    X[0, 0, :9] = torch.arange(9.0)
    X[1, 0, :5] = torch.arange(5.0)
    out, _ = TimeStretch(0.5)(
        {"X": X, "lengths": torch.tensor([9, 5])}, torch.Generator().manual_seed(0)
    )
    assert float(out["X"][0, 0, 4]) == 4.0 and float(out["X"][1, 0, 2]) == 2.0
    assert torch.equal(out["X"][1, 0, 5:], torch.zeros(4))


def test_loader_mel_net_cross_validates_ragged_files_without_padtrim(tmp_path):
    """AudioLoader -> MelSpectrogram -> NeuralClassifier(), no PadTrim, in grouped folds."""
    rng = np.random.default_rng(0)
    paths, y, groups = [], [], []
    for i in range(36):
        n = int(rng.integers(4000, 12000))
        t = np.arange(n) / 8000
        f0, f1 = (300.0, 2500.0) if i % 2 else (2500.0, 300.0)  # rising or falling
        freq = f0 + (f1 - f0) * t / t[-1]
        wave = 0.4 * np.sin(2 * np.pi * np.cumsum(freq) / 8000) + 0.05 * rng.normal(size=n)
        path = tmp_path / f"clip{i}.wav"
        sf.write(path, wave.astype(np.float32), 8000)
        paths.append(str(path))
        y.append(i % 2)
        groups.append(i // 6)
    model = make_pipeline(
        AudioLoader(sr=8000),
        MelSpectrogram(n_fft=256, hop_length=128, n_mels=32, db=True),
        NeuralClassifier(random_state=0, module__channels=16),
    )
    scores = cross_val_score(model, np.array(paths), y, groups=groups, cv=GroupKFold(3))
    assert scores.min() >= 0.9
    spectra = model[:-1].fit_transform(np.array(paths))
    assert isinstance(spectra, Spectra) and len(set(spectra.lengths.tolist())) > 10


def test_clips_too_short_for_the_module_are_refused_naming_them():
    X, y = ragged_spectra(n=10)
    net = NeuralClassifier(max_epochs=1, random_state=0, module__channels=8).fit(X, y)
    with pytest.raises(ValueError, match=r"clips \[1\] of X are \[1\] long.*TDNN needs at least 2"):
        net.predict(Spectra([X[0], X[0][:, :1]], sr=8000))
    with pytest.raises(ValueError, match=r"clips \[1\] of X are empty"):
        net.predict(Spectra([X[0], X[0][:, :0]], sr=8000))
    short = Spectra([*X[:9], X[9][:, :1]], sr=8000)
    with pytest.raises(ValueError, match=r"clips \[9\] of X are \[1\] long"):
        NeuralClassifier(max_epochs=1, augment=None).fit(short, y)
    cnn = CNN(input_shape=(16, None), n_outputs=2, channels=4, n_blocks=2, padding="valid")
    assert cnn.min_length == 7  # 3x3 valid, pool, 3x3 valid, pool: 7 frames leave one
    with pytest.raises(ValueError, match="at least 7 frames; got one of 6"):
        cnn.eval()(torch.zeros(2, 16, 9), lengths=torch.tensor([9, 6]))
    cnn.eval()(torch.zeros(2, 16, 9), lengths=torch.tensor([9, 7]))
    with pytest.raises(ValueError, match="needs clips of at least 2 frames; got one of 1"):
        TDNN(input_shape=(16, 1), n_outputs=2)(torch.zeros(2, 16, 1))


def test_a_shorter_last_batch_holds_random_clips_not_the_longest():
    """33 clips in batches of 32: the row left out of an epoch is drawn, never always the longest."""
    clips = RaggedClips(np.zeros((1, n), np.float32) for n in range(10, 43))
    dataset = RaggedDataset(clips, np.zeros(33))
    generator = torch.Generator().manual_seed(0)
    used = np.zeros(33, int)
    for _ in range(60):
        batches = Batches(dataset, 32, shuffle=True, drop_last=True, generator=generator)
        for rows in batches.indices():
            used[rows.numpy()] += 1
    assert used.sum() == 60 * 32 and used.min() >= 50  # each clip left out about twice
