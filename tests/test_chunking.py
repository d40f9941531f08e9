"""Chunk-level training with clip-level predictions."""

import matplotlib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

from audiosk.chunking import ChunkedClassifier, ChunkedRegressor
from audiosk.features import MFCC, TemporalStats
from audiosk.preprocessing import split_chunks
from audiosk.utils import WaveformArray, Waveforms

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
    assert np.isfinite(search.cv_results_["mean_test_score"]).all() and search.best_score_ > 0.8
    assert search.best_estimator_.chunk_seconds == search.best_params_["chunk_seconds"]
    assert search.predict(X).shape == (12,)


def test_chunked_regressor_means_chunk_predictions():
    X = Waveforms([np.zeros(4 * SR, np.float32), np.ones(2 * SR, np.float32)], sr=SR)
    model = ChunkedRegressor(DummyRegressor(), chunk_seconds=1.0).fit(X, [0.0, 6.0])
    assert model.n_chunks_ == 6
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
        chunk_seconds=1.0,
        aggregate="vote",
    )
    assert not hasattr(no_proba, "predict_proba")
    assert not hasattr(no_proba.fit(X, y), "predict_proba")
    assert no_proba.predict(X).tolist() == y.tolist()
    assert hasattr(ChunkedClassifier(mfcc_model()), "predict_proba")


def test_sample_weight_and_fit_params_are_repeated_per_chunk():
    X, y = chirps()
    weights = np.linspace(0.5, 2.0, len(y))
    model = ChunkedClassifier(mfcc_model(), chunk_seconds=1.0).fit(X, y, sample_weight=weights)
    chunks, clip = split_chunks(list(X), chunk_length=SR, hop_length=SR)
    by_hand = clone(mfcc_model()).fit(
        WaveformArray(chunks, sr=SR), y[clip], logisticregression__sample_weight=weights[clip]
    )
    np.testing.assert_allclose(model.estimator_[-1].coef_, by_hand[-1].coef_, rtol=1e-6)
    unweighted = ChunkedClassifier(mfcc_model(), chunk_seconds=1.0).fit(X, y)
    assert not np.allclose(unweighted.estimator_[-1].coef_, by_hand[-1].coef_, rtol=1e-3)
    same = ChunkedClassifier(mfcc_model(), chunk_seconds=1.0).fit(
        X, y, logisticregression__sample_weight=weights
    )  # any per-clip fit parameter is repeated too
    np.testing.assert_allclose(same.estimator_[-1].coef_, by_hand[-1].coef_, rtol=1e-6)
    with pytest.raises(ValueError, match="does not accept sample_weight"):
        ChunkedRegressor(_NoWeights(), chunk_seconds=1.0).fit(
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
    model = ChunkedClassifier(net, chunk_seconds=0.5).fit(X, y)
    _, clip = split_chunks(list(X), chunk_length=SR // 2, hop_length=SR // 2)
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
