"""Nets that read clips through windows, and the augmentations that mix or scale clips."""

import numpy as np
import pytest
import torch

from audiosk.containers import Spectra, Waveforms
from audiosk.nets import BetweenClassMix, Gain, NeuralClassifier, NeuralRegressor
from audiosk.nets._crops import WindowDataset, cover, levels, sound_lengths
from audiosk.utils._sklearn_compat import InvalidParameterError

FLOOR = -80.0


def word(rng, n, label, pad=(0, 0)):
    """A dB spectrum of ``n`` loud frames whose shape tells the label, silent frames around."""
    bins = np.linspace(-1.0, 1.0, 16)[:, None]
    loud = rng.normal(size=(16, n)).astype(np.float32) * 3 + 10 * (1 if label else -1) * bins
    return np.concatenate(
        [np.full((16, pad[0]), FLOOR), loud, np.full((16, pad[1]), FLOOR)], axis=1
    ).astype(np.float32)


def words(n_clips=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n_clips) % 2
    clips = [
        word(rng, int(rng.integers(20, 90)), label, (int(rng.integers(0, 30)), 5)) for label in y
    ]
    return Spectra(clips, sr=8000), y


def test_levels_read_spectra_as_db_and_waveforms_by_blocks():
    spectrum = np.array([[0.0, -10.0], [-10.0, -10.0]])
    expected = 10 * np.log10([(1 + 0.1) / 2, 0.1])
    np.testing.assert_allclose(levels(spectrum), expected, atol=1e-9)
    wave = np.r_[np.full(256, 0.5), np.zeros(256)]
    level = levels(wave)
    assert level[0] == pytest.approx(10 * np.log10(0.25)) and level[-1] < -150


def test_training_windows_hold_sound_and_stay_inside_it():
    rng = np.random.default_rng(0)
    clip = word(rng, 40, 1, pad=(100, 100))
    data = WindowDataset([clip], None, window_length=20, trim_db=40.0, fixed=False)
    assert data.spans.tolist() == [[100, 140]]  # the silent ends are left out
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        batch, _ = data.draw(np.array([0]), generator)
        X, length = batch["X"][0], int(batch["lengths"][0])
        assert 10 <= length <= 20  # at most half a window past the sound's end
        assert (X[:, :length] > FLOOR).all()  # sound only, no silent frame
    short = WindowDataset([word(rng, 8, 0, (3, 3))], None, 20, trim_db=40.0, fixed=False)
    batch, _ = short.draw(np.array([0]), generator)
    assert int(batch["lengths"][0]) == 8  # a clip shorter than a window is read whole


def test_windows_of_one_length_for_a_module_that_reads_no_lengths():
    rng = np.random.default_rng(0)
    clip = word(rng, 40, 1, pad=(10, 10))
    data = WindowDataset([clip], None, window_length=30, trim_db=40.0, fixed=True)
    X, _ = data.draw(np.array([0, 0, 0]), torch.Generator().manual_seed(1))
    assert X.shape == (3, 16, 30)
    assert set(np.unique(X.numpy()[X.numpy() <= FLOOR])) <= {FLOOR}  # filled with the floor


def test_prediction_is_the_mean_over_even_windows_and_does_not_depend_on_the_batch():
    X, y = words()
    net = NeuralClassifier(
        window_length=24, n_windows=4, trim_db=40.0, max_epochs=6, random_state=0
    ).fit(X, y)
    assert (net.window_length_, net.n_windows_, net.trim_db_) == (24, 4, 40.0)
    assert net.get_params()["window_length"] == 24  # parameters untouched, fitted attributes set
    proba = net.predict_proba(X)
    assert (proba.argmax(axis=1) == y).mean() > 0.9
    windows = cover(X[:3], 24, 4, 40.0, fixed=False)
    module = net.module_.eval()
    with torch.no_grad():  # the module itself on each window, its probabilities averaged
        window_proba = [torch.softmax(module(torch.from_numpy(w)[None]), dim=1)[0] for w in windows]
    by_hand = [
        np.mean([p.numpy() for p, c in zip(window_proba, windows.clip, strict=True) if c == i], 0)
        for i in range(3)
    ]
    assert np.bincount(windows.clip).tolist() == [4, 4, 4] or len(windows) < 12
    np.testing.assert_allclose(proba[:3], by_hand, atol=1e-6)
    alone = np.concatenate([net.predict_proba(X[[i]]) for i in range(len(y))])
    np.testing.assert_allclose(proba, alone, atol=1e-5)


def test_silence_around_a_clip_does_not_reach_its_prediction():
    X, y = words()
    net = NeuralClassifier(
        window_length=24, n_windows=3, trim_db=40.0, max_epochs=3, random_state=0
    ).fit(X, y)
    padded = Spectra([np.pad(c, ((0, 0), (40, 25)), constant_values=FLOOR) for c in X[:6]], sr=8000)
    np.testing.assert_allclose(net.predict_proba(padded), net.predict_proba(X[:6]), atol=1e-6)


def test_sound_lengths_and_a_learned_window():
    X, y = words()
    lengths = sound_lengths(X, 40.0)
    assert lengths.min() >= 20 and lengths.max() < 90  # the silent ends are not counted
    net = NeuralClassifier(window_length=None, max_epochs=1).fit(X, y)
    assert net.window_length_ is None  # whole clips


def test_windows_train_a_module_of_one_input_length_on_clips_of_any_length():
    X, y = words()
    net = NeuralClassifier(
        "cnn", module__head="flatten", window_length=24, trim_db=40.0, max_epochs=6, random_state=0
    ).fit(X, y)
    assert net.module_.head[-1].in_features > 0 and net.predict(X).shape == (len(y),)


def test_windows_are_refused_on_a_table():
    X = np.zeros((10, 5), np.float32)
    with pytest.raises(InvalidParameterError, match="window_length=8 cuts clips along their time"):
        NeuralClassifier(window_length=8, max_epochs=1).fit(X, np.arange(10) % 2)


def test_windows_of_waveforms():
    rng = np.random.default_rng(0)
    y = np.arange(8) % 2
    X = Waveforms(
        [rng.normal(size=int(n)).astype(np.float32) * 0.1 for n in rng.integers(6000, 9000, 8)],
        sr=16000,
    )
    net = NeuralClassifier(
        "panns", module__arch="cnn10", window_length=4000, n_windows=2, max_epochs=1, random_state=0
    ).fit(X, y)
    assert net.predict_proba(X).shape == (8, 2)


def test_between_class_mix_pairs_other_classes_and_mixes_spectra_in_power():
    X = torch.tensor(np.random.default_rng(0).normal(size=(6, 4, 5)) * 10 - 30, dtype=torch.float32)
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    mixed, targets = BetweenClassMix(gain_aware=False)(
        X, torch.Generator().manual_seed(0), [(y, 1.0)]
    )
    (y1, r), (y2, rest) = targets
    assert torch.equal(y1, y) and bool(torch.all(y1 != y2))
    torch.testing.assert_close(r + rest, torch.ones(6))
    for i in range(6):  # by hand: p = r without gain awareness, power mixed with p² and (1-p)²
        p = float(r[i])
        P1 = 10 ** (X[i].double() / 10)
        candidates = [
            10
            * np.log10(
                (p**2 * P1 + (1 - p) ** 2 * 10 ** (X[j].double() / 10)) / (p**2 + (1 - p) ** 2)
            )
            for j in range(6)
            if y[j] == y2[i]
        ]
        assert any(torch.allclose(mixed[i].double(), c, atol=1e-4) for c in candidates)


def test_between_class_mix_is_gain_aware_on_waveforms():
    loud, quiet = torch.full((1, 1024), 0.5), torch.full((1, 1024), 0.05)
    X, y = torch.cat([loud, quiet]), torch.tensor([0, 1])
    mixed, targets = BetweenClassMix()(X, torch.Generator().manual_seed(3), [(y, 1.0)])
    r = float(targets[0][1][0])
    g1, g2 = 10 * np.log10(0.25), 10 * np.log10(0.0025)  # peak levels in dB
    p = 1 / (1 + 10 ** ((g1 - g2) / 20) * (1 - r) / r)
    expected = (p * 0.5 + (1 - p) * 0.05) / np.sqrt(p**2 + (1 - p) ** 2)
    torch.testing.assert_close(mixed[0], torch.full((1024,), float(expected)))


def test_between_class_mix_trains_on_class_proportions_and_only_for_classifiers():
    X, y = words()
    net = NeuralClassifier(augment=[BetweenClassMix()], max_epochs=4, random_state=0).fit(X, y)
    assert net.score(X, y) > 0.8
    with pytest.raises(InvalidParameterError, match="BetweenClassMix mixes classes"):
        NeuralRegressor(augment=BetweenClassMix(), max_epochs=1).fit(X, y.astype(float))
    with pytest.raises(InvalidParameterError, match="class proportions"):
        NeuralClassifier(augment=BetweenClassMix(), criterion=torch.nn.NLLLoss, max_epochs=1).fit(
            X, y
        )
    assert NeuralClassifier(augment="between-class").set_params(max_epochs=1).fit(X, y)


def test_gain_scales_waveforms_and_shifts_db_spectra_within_each_clip():
    generator = torch.Generator().manual_seed(0)
    waves = torch.ones(3, 100)
    out, _ = Gain(6.0)(waves, generator)
    db = 20 * torch.log10(out[:, 0])
    assert bool(torch.all(db.abs() <= 6.0)) and bool(torch.all(out == out[:, :1]))
    spectra = {"X": torch.zeros(2, 4, 10), "lengths": torch.tensor([10, 6])}
    shifted, _ = Gain(3.0)(spectra, torch.Generator().manual_seed(1))
    gain = shifted["X"][:, 0, 0]
    assert bool(torch.all(gain.abs() <= 3.0)) and bool(torch.all(shifted["X"][1, :, 6:] == 0))
    torch.testing.assert_close(shifted["X"][1, :, :6], torch.full((4, 6), float(gain[1])))


@pytest.mark.parametrize("kind", ["ema", "swa"])
def test_averaged_weights_replace_the_last_ones(kind):
    X, y = words()
    net = NeuralClassifier(average_weights=kind, max_epochs=8, random_state=0).fit(X, y)
    callback = dict(net.callbacks_)["average_weights"]
    steps = 8 * 2  # 60 clips in batches of 32
    assert int(callback.averaged_.n_averaged) == (steps if kind == "ema" else 2)
    averaged = dict(callback.averaged_.module.named_parameters())
    for name, value in net.module_.named_parameters():  # batch-norm statistics are recomputed
        torch.testing.assert_close(value, averaged[name])
    plain = NeuralClassifier(average_weights=None, max_epochs=8, random_state=0).fit(X, y)
    weight = next(iter(dict(net.module_.named_parameters())))
    assert not torch.allclose(
        dict(plain.module_.named_parameters())[weight], dict(net.module_.named_parameters())[weight]
    )
    with pytest.raises(InvalidParameterError, match="average its weights .* choose one"):
        NeuralClassifier(average_weights=kind, early_stopping=True).fit(X, y)
    kept = NeuralClassifier(early_stopping=True, max_epochs=2).fit(X, y)
    assert kept.average_weights_ is None  # "auto" gives way to the best epoch's weights
