"""Window-level training with clip-level predictions."""

import matplotlib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

from audiosk.chunking import ChunkedClassifier, ChunkedRegressor
from audiosk.containers import WaveformArray, Waveforms
from audiosk.features import MFCC, TemporalStats
from audiosk.preprocessing import split_windows

from ._helpers import tone

matplotlib.use("Agg")
SR = 8000


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


class FirstSample(RegressorMixin, BaseEstimator):
    """Predicts the first sample of each window: window outputs known by hand."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.asarray(X)[:, 0].astype(float)


class FirstSampleClassifier(ClassifierMixin, BaseEstimator):
    """P(class 1) is the first sample of each window."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = np.asarray(X)[:, 0].astype(float)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def test_split_windows_cuts_every_hop_and_ends_at_the_clip_end():
    long, exact, short = np.arange(11.0), np.arange(10.0), np.array([5.0, 6.0])
    chunks, clip, start = split_windows([long, exact, short], window_length=4, hop_length=3)
    assert chunks.dtype == np.float64 and chunks.shape == (8, 4)  # the clips' float width
    pcm = [np.array([16384, -32768, 0, 8192], dtype=np.int16)]
    scaled, _, _ = split_windows(pcm, window_length=2, hop_length=2)
    assert scaled.dtype == np.float32 and scaled.tolist() == [[0.5, -1.0], [0.0, 0.25]]
    assert clip.tolist() == [0, 0, 0, 0, 1, 1, 1, 2]
    assert start.tolist() == [0, 3, 6, 7, 0, 3, 6, 0]  # 11 samples: a tail window at 7
    expected = [long[s : s + 4] for s in (0, 3, 6, 7)] + [exact[s : s + 4] for s in (0, 3, 6)]
    np.testing.assert_array_equal(chunks[:7], expected)
    np.testing.assert_array_equal(chunks[7], [5, 6, 0, 0])  # shorter than a window: padded
    covered = np.zeros(11, bool)
    for s in start[:4]:
        covered[s : s + 4] = True
    assert covered.all()  # no sample of the long clip is left out
    same, clip2, start2 = split_windows(np.stack([long, long]), window_length=4, hop_length=4)
    assert start2.tolist() == [0, 4, 7] * 2 and clip2.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(same[2], long[7:])


def test_split_windows_refuses_a_hop_that_skips_audio():
    with pytest.raises(ValueError, match=r"hop_length=5 is longer than window_length=4"):
        split_windows([np.zeros(20)], window_length=4, hop_length=5)
    with pytest.raises(
        ValueError, match=r"'window_length' parameter of split_windows must be an int"
    ):
        split_windows([np.zeros(20)], window_length=0, hop_length=1)


def test_a_ten_second_clip_keeps_its_last_second():
    clip = (np.arange(10 * SR) / (10 * SR)).astype(np.float32)
    model = ChunkedRegressor(FirstSample(), window_seconds=3.0, sr=SR).fit([clip], [0.0])
    assert model.n_windows_ == 4
    values, owner, start = model.predict_windows([clip])
    np.testing.assert_array_equal(start, [0.0, 3.0, 6.0, 7.0])
    np.testing.assert_array_equal(owner, [0, 0, 0, 0])
    np.testing.assert_allclose(values, clip[(start * SR).astype(int)])


def test_a_remainder_under_one_percent_of_a_window_gets_no_window():
    """30 s + 294 samples (a GTZAN track) in 3 s windows: 10 windows, as Kaggle's table has."""
    sr = 22050
    track = np.arange(30 * sr + 294, dtype=np.float32)
    chunks, _, start = split_windows([track], window_length=3 * sr, hop_length=3 * sr)
    assert chunks.shape == (10, 3 * sr) and start[-1] == 27 * sr
    longer = np.arange(30 * sr + 3 * sr // 50, dtype=np.float32)  # 2 % of a window more
    _, _, start = split_windows([longer], window_length=3 * sr, hop_length=3 * sr)
    assert start.tolist()[-2:] == [27 * sr, len(longer) - 3 * sr]


def test_classifier_aggregates_equal_hand_computed_ones():
    # sr=2: windows of 2 s are 4 samples, hop 1.5 s is 3: the 11-sample clip has windows at
    # samples 0, 3, 6 and 7 (the last ending at the end), whose P(1) are 0.1, 0.2, 0.95, 0.3.
    long = np.zeros(11, np.float32)
    long[[0, 3, 6, 7]] = [0.1, 0.2, 0.95, 0.3]
    short = np.array([0.6, 0.0], np.float32)  # one window, zero-padded
    X, y = [long, short], [0, 1]
    model = ChunkedClassifier(FirstSampleClassifier(), window_seconds=2, hop_seconds=1.5, sr=2)
    model.fit(X, y)
    p1, owner, start = model.predict_proba_windows(X)
    np.testing.assert_allclose(p1[:, 1], [0.1, 0.2, 0.95, 0.3, 0.6], rtol=1e-6)
    np.testing.assert_array_equal(owner, [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(start, [0.0, 1.5, 3.0, 3.5, 0.0])
    labels, owner, start = model.predict_windows(X)
    assert labels.tolist() == [0, 0, 1, 0, 1]
    mean = (0.1 + 0.2 + 0.95 + 0.3) / 4
    np.testing.assert_allclose(model.predict_proba(X), [[1 - mean, mean], [0.4, 0.6]], rtol=1e-6)
    assert model.predict(X).tolist() == [0, 1]
    peak = model.set_params(aggregate="max")  # per class: max 0.9 (no) and 0.95 (yes)
    np.testing.assert_allclose(
        peak.predict_proba(X), [[0.9 / 1.85, 0.95 / 1.85], [0.4, 0.6]], rtol=1e-6
    )
    assert peak.predict(X).tolist() == [1, 1]  # a tag present in one window
    vote = model.set_params(aggregate="vote")  # three windows of four say 0
    assert vote.predict(X).tolist() == [0, 1]


def test_regressor_aggregates_equal_hand_computed_ones():
    long = np.zeros(11, np.float32)
    long[[0, 3, 6, 7]] = [0.1, 0.2, 0.9, 0.3]
    X = [long, np.array([0.5, 0.0, 0.0], np.float32)]
    model = ChunkedRegressor(FirstSample(), window_seconds=4, hop_seconds=3, sr=1).fit(X, [0, 1])
    expected = {"mean": [0.375, 0.5], "median": [0.25, 0.5], "max": [0.9, 0.5]}
    for how, values in expected.items():
        np.testing.assert_allclose(model.set_params(aggregate=how).predict(X), values, rtol=1e-6)


def test_ragged_clips_give_their_own_window_counts():
    lengths = [20000, 32000, 57600]  # 2.5 s, 4 s, 7.2 s at 8 kHz
    clips = [tone(300, n / SR, SR) for n in lengths]
    # windows of 1 s every 0.5 s: 1 + ceil((n - 8000) / 4000) each
    counts = [4, 7, 14]
    for X in (Waveforms(clips, sr=SR), clips):
        model = ChunkedRegressor(FirstSample(), window_seconds=1.0, hop_seconds=0.5, sr=SR)
        model.fit(X, [0.0, 1.0, 2.0])
        assert model.n_windows_ == sum(counts) and model.predict(X).shape == (3,)
        _, owner, start = model.predict_windows(X)
        assert np.bincount(owner).tolist() == counts
        ends = [start[owner == i][-1] + 1.0 for i in range(3)]
        np.testing.assert_allclose(ends, np.array(lengths) / SR)  # each ends at its clip's end


def test_bad_windows_are_refused_with_the_parameters_named():
    X = Waveforms([np.zeros(SR, np.float32)] * 2, sr=SR)
    with pytest.raises(ValueError, match=r"hop_seconds=2\.0 is longer than window_seconds=1\.0"):
        ChunkedClassifier(LogisticRegression(), window_seconds=1.0, hop_seconds=2.0).fit(X, [0, 1])
    with pytest.raises(ValueError, match=r"aggregate='max' .* RidgeClassifier has no"):
        from sklearn.linear_model import RidgeClassifier

        ChunkedClassifier(RidgeClassifier(), aggregate="max").fit(X, [0, 1])
    with pytest.raises(ValueError, match="aggregate"):
        ChunkedRegressor(FirstSample(), aggregate="vote").fit(X, [0, 1])


def test_chunked_classifier_one_row_per_clip_and_aggregation():
    X, y = chirps()
    model = ChunkedClassifier(mfcc_model(), window_seconds=1.0).fit(X, y)
    assert model.n_windows_ == 24 and list(model.classes_) == ["high", "low"]
    proba = model.predict_proba(X)
    assert proba.shape == (8, 2)
    chunks, owner, _ = split_windows(X, window_length=SR, hop_length=SR)
    chunks = WaveformArray(chunks, sr=SR)
    expected = np.stack(
        [model.estimator_.predict_proba(chunks)[owner == i].mean(0) for i in range(8)]
    )
    np.testing.assert_allclose(proba, expected)
    assert (model.predict(X) == y).all()
    vote = clone(model).set_params(aggregate="vote", hop_seconds=0.5).fit(X, y)
    assert vote.n_windows_ == 8 * 5 and (vote.predict(X) == y).all()
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
        Fixed(strategy="most_frequent"), window_seconds=2, sr=1, aggregate="vote"
    ).fit(X, ["a", "b"])
    assert model.predict(X).tolist() == ["b", "a"]


def test_chunked_in_a_search_with_groups():
    X, y = chirps(n_clips=12)
    groups = np.arange(12) % 4
    search = GridSearchCV(  # the folds are plain lists: give the rate explicitly
        ChunkedClassifier(mfcc_model(), window_seconds=1.0, sr=SR),
        {"estimator__logisticregression__C": [0.1, 1.0], "window_seconds": [1.0, 1.5]},
        cv=GroupKFold(2),
    ).fit(X, y, groups=groups)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all() and search.best_score_ > 0.8
    assert search.best_estimator_.window_seconds == search.best_params_["window_seconds"]
    assert search.predict(X).shape == (12,)


def test_chunked_regressor_means_chunk_predictions():
    X = Waveforms([np.zeros(4 * SR, np.float32), np.ones(2 * SR, np.float32)], sr=SR)
    model = ChunkedRegressor(DummyRegressor(), window_seconds=1.0).fit(X, [0.0, 6.0])
    assert model.n_windows_ == 6
    np.testing.assert_allclose(
        model.predict(X), [2.0, 2.0]
    )  # the dummy mean over chunks: (0*4 + 6*2) / 6


def test_predict_proba_only_when_the_estimator_has_it():
    from sklearn.linear_model import RidgeClassifier

    X, y = chirps()
    no_proba = ChunkedClassifier(
        make_pipeline(
            MFCC(n_mfcc=8, n_fft=512, hop_length=256), TemporalStats(), RidgeClassifier()
        ),
        window_seconds=1.0,
        aggregate="vote",
    )
    assert not hasattr(no_proba, "predict_proba")
    assert not hasattr(no_proba.fit(X, y), "predict_proba")
    assert no_proba.predict(X).tolist() == y.tolist()
    assert hasattr(ChunkedClassifier(mfcc_model()), "predict_proba")


def test_sample_weight_and_fit_params_are_repeated_per_chunk():
    X, y = chirps()
    weights = np.linspace(0.5, 2.0, len(y))
    model = ChunkedClassifier(mfcc_model(), window_seconds=1.0).fit(X, y, sample_weight=weights)
    chunks, clip, _ = split_windows(list(X), window_length=SR, hop_length=SR)
    by_hand = clone(mfcc_model()).fit(
        WaveformArray(chunks, sr=SR), y[clip], logisticregression__sample_weight=weights[clip]
    )
    np.testing.assert_allclose(model.estimator_[-1].coef_, by_hand[-1].coef_, rtol=1e-6)
    unweighted = ChunkedClassifier(mfcc_model(), window_seconds=1.0).fit(X, y)
    assert not np.allclose(unweighted.estimator_[-1].coef_, by_hand[-1].coef_, rtol=1e-3)
    same = ChunkedClassifier(mfcc_model(), window_seconds=1.0).fit(
        X, y, logisticregression__sample_weight=weights
    )  # any per-clip fit parameter is repeated too
    np.testing.assert_allclose(same.estimator_[-1].coef_, by_hand[-1].coef_, rtol=1e-6)
    with pytest.raises(ValueError, match="does not accept sample_weight"):
        ChunkedRegressor(_NoWeights(), window_seconds=1.0).fit(
            X, np.ones(len(y)), sample_weight=weights
        )


class _NoWeights(DummyRegressor):
    def fit(self, X, y):
        return super().fit(X, y)


def test_an_inner_net_validates_on_whole_clips():
    from skorch.callbacks import Callback

    from audiosk.nets import NeuralClassifier

    class RecordSplit(Callback):
        def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
            self.rows_ = np.asarray(dataset_train.indices), np.asarray(dataset_valid.indices)

    X, y = chirps(n_clips=10)
    net = NeuralClassifier(max_epochs=1, early_stopping=True, callbacks=[RecordSplit()])
    model = ChunkedClassifier(net, window_seconds=0.5).fit(X, y)
    _, clip, _ = split_windows(list(X), window_length=SR // 2, hop_length=SR // 2)
    train, valid = next(
        cb for _, cb in model.estimator_.callbacks_ if isinstance(cb, RecordSplit)
    ).rows_
    assert len(valid) and set(clip[train]).isdisjoint(clip[valid])  # no clip on both sides
    speakers = np.arange(10) % 5
    model.fit(X, y, groups=speakers)  # given groups are coarser still
    train, valid = next(
        cb for _, cb in model.estimator_.callbacks_ if isinstance(cb, RecordSplit)
    ).rows_
    assert set(speakers[clip[train]]).isdisjoint(speakers[clip[valid]])
    with pytest.raises(ValueError, match="X has 10 clips but groups has 12 values"):
        model.fit(X, y, groups=np.arange(12) % 5)  # never indexed into misaligned groups


def test_the_regressor_keeps_several_targets_per_clip():
    X = np.random.default_rng(0).normal(size=(4, 100)).astype(np.float32)
    y = np.c_[[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 1.0, 1.0]]
    model = ChunkedRegressor(DummyRegressor(), window_seconds=2, sr=10).fit(X, y)
    np.testing.assert_allclose(model.predict(X), np.tile(y.mean(axis=0), (4, 1)))


def test_a_remainder_of_exactly_one_percent_gets_its_window():
    _, _, start = split_windows([np.arange(303.0)], window_length=300, hop_length=300)
    assert start.tolist() == [0, 3]
    _, _, start = split_windows([np.arange(302.0)], window_length=300, hop_length=300)
    assert start.tolist() == [0]


class ThreadsSeen(ClassifierMixin, BaseEstimator):
    """Predicts the first class; keeps the most BLAS/OpenMP threads each call may use."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.seen_ = [("fit", threads_now())]
        return self

    def predict(self, X):
        self.seen_.append(("predict", threads_now()))
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        self.seen_.append(("predict_proba", threads_now()))
        return np.eye(len(self.classes_))[np.zeros(len(X), dtype=int)]


def threads_now():
    from threadpoolctl import threadpool_info

    return max((lib["num_threads"] for lib in threadpool_info()), default=1)


@pytest.mark.parametrize("model", [ChunkedClassifier, ChunkedRegressor])
def test_the_estimator_fits_and_predicts_few_windows_on_one_thread(model):
    X, labels = chirps(n_clips=4, seconds=2.0)
    y = (labels == "low").astype(float) if model is ChunkedRegressor else labels
    before = threads_now()
    chunked = model(ThreadsSeen(), window_seconds=0.5, sr=SR).fit(X, y)
    chunked.predict(X)
    chunked.predict_windows(X)
    seen = chunked.estimator_.seen_
    assert {call for call, _ in seen} >= {"fit", "predict"}
    assert {threads for _, threads in seen} == {1}
    assert threads_now() == before
