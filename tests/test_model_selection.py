"""Group-aware comparison, chunked meta-estimators, reports, plots and TensorBoard."""

import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold
from sklearn.pipeline import make_pipeline

from audiosk.datasets import load_spoken_digits
from audiosk.features import MFCC, Flatten, SpectrogramScaler, TemporalStats
from audiosk.model_selection import (
    ChunkedClassifier,
    ChunkedRegressor,
    GroupLeakageWarning,
    VTLNClassifier,
    compare,
    group_aware_cv,
    holdout_report,
    warp_frequency,
)
from audiosk.preprocessing import split_chunks
from audiosk.utils import WaveformArray, Waveforms

from .conftest import tone

matplotlib.use("Agg")
SR = 8000


def test_loader_groups_trigger_a_leakage_warning():
    digits = load_spoken_digits()
    X = np.zeros((len(digits.filenames), 1))
    with pytest.warns(GroupLeakageWarning, match="speaker"):
        group_aware_cv(3, digits.filenames, digits.target, None, classifier=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        splits = group_aware_cv(3, digits.filenames, digits.target, digits.groups, classifier=True)
    for train, test in splits:  # no speaker on both sides
        assert not set(digits.groups[train]) & set(digits.groups[test])
    with pytest.warns(GroupLeakageWarning, match="KFold ignores them"):
        group_aware_cv(KFold(3), X, digits.target, digits.groups, classifier=True)


def test_compare_passes_groups_through():
    X, y = make_classification(n_samples=60, random_state=0)
    groups = np.repeat(np.arange(6), 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = compare({"dummy": DummyClassifier()}, X, y, cv=3, groups=groups)
    assert table.shape[0] == 1


def chirps(n_clips=8, seconds=3.0):
    rng = np.random.default_rng(0)
    labels = np.repeat(["low", "high"], n_clips // 2)
    clips = [
        tone(300 if lab == "low" else 1800, seconds, SR)
        + 0.05 * rng.normal(size=int(seconds * SR)).astype(np.float32)
        for lab in labels
    ]
    return Waveforms(clips, sr=SR), labels


def mfcc_model():
    return make_pipeline(
        MFCC(n_mfcc=8, n_fft=512, hop_length=256), TemporalStats(), LogisticRegression(max_iter=500)
    )


def test_split_chunks_counts_and_padding():
    chunks, clip = split_chunks(
        [np.arange(10.0), np.arange(7.0), np.arange(2.0)], chunk_length=3, hop_length=3
    )
    assert clip.tolist() == [0, 0, 0, 1, 1, 2]
    np.testing.assert_array_equal(chunks[1], [3, 4, 5])
    np.testing.assert_array_equal(chunks[-1], [0, 1, 0])


def test_chunked_classifier_one_row_per_clip_and_aggregation():
    X, y = chirps()
    model = ChunkedClassifier(mfcc_model(), chunk_seconds=1.0).fit(X, y)
    assert model.n_chunks_ == 24 and list(model.classes_) == ["high", "low"]
    proba = model.predict_proba(X)
    assert proba.shape == (8, 2)
    chunks, owner = split_chunks(X, chunk_length=SR, hop_length=SR)
    chunks = WaveformArray(chunks, sr=SR)
    expected = np.stack(
        [model.estimator_.predict_proba(chunks)[owner == i].mean(0) for i in range(8)]
    )
    np.testing.assert_allclose(proba, expected)
    assert (model.predict(X) == y).all()
    vote = clone(model).set_params(aggregate="vote", hop_seconds=0.5).fit(X, y)
    assert vote.n_chunks_ == 8 * 5 and (vote.predict(X) == y).all()
    with pytest.raises(ValueError, match="needs the sample rate"):
        ChunkedClassifier(mfcc_model()).fit(list(X), y)


def test_chunked_vote_counts_chunk_labels():
    class Fixed(DummyClassifier):
        def predict(self, X):
            return np.where(X[:, 0] > 0, "b", "a")

    X = np.zeros((2, 6), dtype=np.float32)
    X[0, [0, 2]] = 1  # clip 0 chunks start 1, 0, 1 -> b, a, b
    X[1, [2]] = 1  # clip 1 chunks -> a, b, a... starts at 0, 2, 4
    model = ChunkedClassifier(
        Fixed(strategy="most_frequent"), chunk_seconds=2, sr=1, aggregate="vote"
    ).fit(X, ["a", "b"])
    assert model.predict(X).tolist() == ["b", "a"]


def test_chunked_in_a_search_with_groups():
    X, y = chirps(n_clips=12)
    groups = np.arange(12) % 4
    search = GridSearchCV(  # the folds are plain lists: give the rate explicitly
        ChunkedClassifier(mfcc_model(), chunk_seconds=1.0, sr=SR),
        {"estimator__logisticregression__C": [0.1, 1.0], "chunk_seconds": [1.0, 1.5]},
        cv=GroupKFold(2),
    ).fit(X, y, groups=groups)
    assert len(search.cv_results_["params"]) == 4 and search.best_score_ > 0.8
    assert search.predict(X).shape == (12,)


def test_chunked_regressor_means_chunk_predictions():
    X = Waveforms([np.zeros(4 * SR, np.float32), np.ones(2 * SR, np.float32)], sr=SR)
    model = ChunkedRegressor(DummyRegressor(), chunk_seconds=1.0).fit(X, [0.0, 6.0])
    assert model.n_chunks_ == 6
    np.testing.assert_allclose(
        model.predict(X), [2.0, 2.0]
    )  # the dummy mean over chunks: (0*4 + 6*2) / 6


def test_warp_frequency_reads_bins_at_scaled_positions():
    ramp = np.arange(10.0).reshape(1, 10, 1).repeat(3, axis=2)
    np.testing.assert_allclose(
        warp_frequency(ramp, 1.25)[0, :, 1], np.minimum(np.arange(10) * 1.25, 9), rtol=1e-6
    )
    np.testing.assert_allclose(warp_frequency(ramp, 0.8)[0, :, 2], np.arange(10) * 0.8, rtol=1e-6)
    np.testing.assert_array_equal(warp_frequency(ramp, 1.0), ramp)
    images = np.arange(8.0).reshape(1, 1, 8, 1).repeat(2, axis=0)  # (n, channels, bins, frames)
    np.testing.assert_allclose(warp_frequency(images, 2.0)[1, 0, :, 0], [0, 2, 4, 6, 7, 7, 7, 7])
    with pytest.raises(ValueError, match=r"shape \(3, 10\)"):
        warp_frequency(ramp[:, :, 0].repeat(3, axis=0), 1.1)
    with pytest.raises(ValueError, match="positive"):
        warp_frequency(ramp, 0.0)


def _formant_clips(scale, n_per_class, rng, n_classes=4, bins=64):
    """Class k: one spectral peak at 20 * 1.1**k bins, times the speaker's ``scale``, plus noise."""
    peaks = 20 * 1.1 ** np.arange(n_classes) * scale
    y = np.repeat(np.arange(n_classes), n_per_class)
    clean = np.exp(-0.5 * (np.arange(bins)[None, :] - peaks[y][:, None]) ** 2)
    X = clean[:, :, None] + 0.05 * rng.normal(size=(len(y), bins, 5))
    return X.astype(np.float32), y


def test_vtln_classifier_finds_each_speakers_warp():
    rng = np.random.default_rng(0)
    X, y = _formant_clips(1.0, 20, rng)
    model = VTLNClassifier(make_pipeline(Flatten(), LogisticRegression(C=1.0, max_iter=2000))).fit(
        X, y
    )
    # a speaker 10 % higher reads class k as class k + 1, one 10 % lower as class k - 1
    speakers = {
        1.1: _formant_clips(1.1, 5, rng),
        1.0: _formant_clips(1.0, 5, rng),
        0.9: _formant_clips(0.9, 5, rng),
    }
    X_test = np.concatenate([Xs for Xs, _ in speakers.values()])
    y_test = np.concatenate([ys for _, ys in speakers.values()])
    groups = np.repeat(list(speakers), 20)
    plain = model.estimator_.predict(X_test)
    assert np.mean(plain[groups != 1.0] == y_test[groups != 1.0]) < 0.5
    np.testing.assert_allclose(
        model.select_factors(X_test, groups), [1.1] * 20 + [1.0] * 20 + [0.9] * 20
    )
    assert np.mean(model.predict(X_test, groups) == y_test) == 1.0
    # without groups one factor is chosen for all clips
    assert len(set(model.select_factors(X_test).tolist())) == 1
    # each group's probabilities are the estimator's on the warped spectra
    proba = model.predict_proba(X_test, groups)
    np.testing.assert_allclose(
        proba[:20], model.estimator_.predict_proba(warp_frequency(X_test[:20], 1.1)), rtol=1e-6
    )
    assert model.score(X_test[20:40], y_test[20:40]) == 1.0


def test_vtln_classifier_in_a_pipeline_and_search():
    rng = np.random.default_rng(1)
    X, y = _formant_clips(1.0, 10, rng)
    (higher, y_higher), (lower, y_lower) = _formant_clips(1.1, 5, rng), _formant_clips(0.9, 5, rng)
    X_test, y_test, groups = (
        np.concatenate([higher, lower]),
        np.concatenate([y_higher, y_lower]),
        np.repeat([0, 1], 20),
    )
    vtln = VTLNClassifier(make_pipeline(Flatten(), LogisticRegression(max_iter=2000)))
    pipe = make_pipeline(SpectrogramScaler(per_clip=True), vtln).fit(X, y)
    # Pipeline.predict hands groups to the last step: one factor per speaker in a mixed batch
    assert np.mean(pipe.predict(X_test, groups=groups) == y_test) == 1.0
    assert np.mean(pipe.predict(X_test) == y_test) < 0.5  # one compromise factor for both speakers
    np.testing.assert_allclose(
        pipe[-1].select_factors(pipe[:-1].transform(X_test), groups), [1.1] * 20 + [0.9] * 20
    )
    search = GridSearchCV(
        pipe,
        {"vtlnclassifier__estimator__logisticregression__C": [0.1, 1.0]},
        cv=KFold(2, shuffle=True, random_state=0),
    )
    chosen = search.fit(X, y).best_params_["vtlnclassifier__estimator__logisticregression__C"]
    assert chosen == search.best_estimator_[-1].estimator_[-1].C
    single = clone(vtln).set_params(factors=[1.0]).fit(X, y)
    np.testing.assert_allclose(
        single.predict_proba(X_test), single.estimator_.predict_proba(X_test), rtol=1e-6
    )


def _channel_clips(channel, rng, n_per_class=10, bins=16, frames=6):
    """dB spectra: class 0 a peak at bin 4, class 1 at bin 11; voiced frames 1-4, padding at -100 dB.

    ``channel`` (n_bins,) is the speaker's microphone: a gain added to every voiced bin.
    """
    y = np.repeat([0, 1], n_per_class)
    peak = np.where(np.arange(bins)[None, :] == np.where(y, 11, 4)[:, None], 20.0, 0.0)
    voiced = -40 + peak[:, :, None] + channel[None, :, None] + rng.normal(0, 1, (len(y), bins, 4))
    X = np.full((len(y), bins, frames), -100.0)
    X[:, :, 1:5] = voiced
    return X.astype(np.float32), y


def test_vtln_classifier_normalize_mean_removes_each_speakers_channel():
    rng = np.random.default_rng(3)
    flat, tilt = (
        np.zeros(16),
        np.where(np.arange(16) >= 8, 30.0, 0.0),
    )  # a speaker with +30 dB above bin 8
    # two training speakers of different colours and sizes: their means differ from the pooled mean
    (Xa, ya), (Xb, yb) = (
        _channel_clips(flat, rng),
        _channel_clips(np.where(np.arange(16) < 8, 10.0, 0.0), rng, 5),
    )
    X, y, groups = np.concatenate([Xa, Xb]), np.concatenate([ya, yb]), np.repeat([0, 1], [20, 10])
    estimator = make_pipeline(
        SpectrogramScaler(per_clip=True), Flatten(), LogisticRegression(C=0.01, max_iter=2000)
    )
    model = VTLNClassifier(estimator, factors=[1.0], normalize_mean=True)
    pipe = make_pipeline(model).fit(X, y, vtlnclassifier__groups=groups)
    # the training speakers' mean spectra over their voiced frames (the padding frames 0 and 5 left out)
    by_hand = np.mean([X[groups == g][:, :, 1:5].mean(axis=(0, 2)) for g in (0, 1)], axis=0)
    np.testing.assert_allclose(pipe[-1].mean_spectrum_, by_hand, rtol=1e-5)
    X_test, y_test = _channel_clips(tilt, rng)
    plain = make_pipeline(VTLNClassifier(estimator, factors=[1.0])).fit(X, y)
    assert (
        plain.score(X_test, y_test) == 0.5
    )  # every clip read as class 1, whose peak is in the louder half
    assert pipe.score(X_test, y_test) == 1.0
    np.testing.assert_array_equal(plain[-1].normalize(X_test), X_test)
    # the speaker's tilt is gone from its voiced frames (its level, 15 dB over the training speakers' 2.5 dB
    # average gain, stays); the padding stays
    shifted = pipe[-1].normalize(X_test)
    np.testing.assert_array_equal(shifted[:, :, [0, 5]], -100.0)
    np.testing.assert_allclose(shifted[:, :, 1:5].mean(axis=(0, 2)) - by_hand, 15.0 - 2.5, atol=0.5)
    # in training each speaker was measured on its own clips: both read with the same colour
    train = pipe[-1].normalize(X, groups)[:, :, 1:5]
    np.testing.assert_allclose(
        np.ptp(train[groups == 0].mean(axis=(0, 2)) - train[groups == 1].mean(axis=(0, 2))),
        0.0,
        atol=1e-3,
    )
    np.testing.assert_allclose(
        np.ptp(shifted[:, :, 1:5].mean(axis=(0, 2)) - by_hand), 0.0, atol=1e-3
    )


def test_vtln_classifier_rejects_bad_input():
    rng = np.random.default_rng(2)
    X, y = _formant_clips(1.0, 3, rng)
    model = VTLNClassifier(make_pipeline(Flatten(), LogisticRegression()))
    for factors in ([], [1.0, -0.9]):
        with pytest.raises(ValueError, match="factors"):
            clone(model).set_params(factors=factors).fit(X, y)
    model.fit(X, y)
    with pytest.raises(ValueError, match="spectrogram step"):
        model.predict(X.reshape(len(X), -1))
    with pytest.raises(ValueError, match="one speaker label per clip"):
        model.predict(X, groups=np.zeros(len(X) - 1))


def test_vtln_classifier_api():
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    model = VTLNClassifier(LogisticRegression())
    for check in (
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ):
        check("VTLNClassifier", model)


def test_holdout_report_matches_sklearn_metrics():
    X, y = make_classification(n_samples=200, n_classes=3, n_informative=4, random_state=0)
    table = holdout_report(
        {"logreg": LogisticRegression(max_iter=500), "dummy": DummyClassifier()},
        X[:150],
        y[:150],
        X[150:],
        y[150:],
    )
    assert list(table.index) == ["logreg", "dummy"]
    y_pred = LogisticRegression(max_iter=500).fit(X[:150], y[:150]).predict(X[150:])
    assert table.loc["logreg", "f1_weighted"] == pytest.approx(
        f1_score(y[150:], y_pred, average="weighted")
    )
    assert table.loc["logreg", "precision_macro"] == pytest.approx(
        precision_score(y[150:], y_pred, average="macro")
    )
    assert (table["fit_time"] > 0).all()
    same, fitted = holdout_report(
        {"logreg": LogisticRegression(max_iter=500)},
        X[:150],
        y[:150],
        X[150:],
        y[150:],
        return_estimator=True,
    )
    model, predictions = fitted["logreg"]
    np.testing.assert_array_equal(predictions, y_pred)
    np.testing.assert_array_equal(model.predict(X[150:]), y_pred)
    assert same.loc["logreg", "accuracy"] == table.loc["logreg", "accuracy"]
