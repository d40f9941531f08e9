"""Model comparison: leakage warnings, compare, holdout reports."""

import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from audiosk.containers import Spectra
from audiosk.datasets import load_spoken_digits
from audiosk.features import TemporalStats
from audiosk.model_selection import GroupLeakageWarning, compare, group_aware_cv, holdout_report

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
    # the timing columns are named as compare's and scikit-learn's cross_validate's
    assert list(table.columns[-2:]) == ["fit_time", "score_time"]
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


@pytest.mark.slow
def test_cached_front_decodes_each_file_once_per_fold(tone_files, tmp_path, decoded):
    from sklearn.model_selection import GridSearchCV, GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    from audiosk.features import MFCC, TemporalStats
    from audiosk.io import AudioLoader
    from audiosk.model_selection import CachedTransformer
    from audiosk.preprocessing import PadTrim

    paths, labels, groups = tone_files
    front = make_pipeline(
        AudioLoader(sr=8000), PadTrim(percentile=90), MFCC(n_fft=256, n_mfcc=13), TemporalStats()
    )
    grid = {"svc__C": [0.01, 0.1, 1.0, 10.0]}

    def search(step):
        return GridSearchCV(make_pipeline(step, SVC()), grid, cv=GroupKFold(3), refit=False).fit(
            paths, labels, groups=groups
        )

    plain = search(front)
    assert len(decoded) == 4 * 3 * len(paths)  # 4 candidates x 3 folds x every file
    decoded.clear()
    cached = search(CachedTransformer(front, memory=str(tmp_path)))
    assert sorted(decoded) == sorted(list(paths) * 3)  # once per fold: in training or test
    np.testing.assert_allclose(
        cached.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    decoded.clear()
    search(CachedTransformer(front, memory=str(tmp_path)))  # a second search: all cached
    assert decoded == []


def test_cache_key_follows_the_files_and_the_values(tmp_path):
    import os

    from audiosk.containers import WaveformArray
    from audiosk.model_selection._cache import data_key

    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF0000")
    key = data_key([str(path)])
    assert data_key(np.array([str(path)])) == key
    os.utime(path, ns=(1, 1))  # only the time changed: the same bytes, the same key
    assert data_key([str(path)]) == key
    stat = os.stat(path)
    path.write_bytes(b"RIFF0001")  # new bytes of the same size, the old time restored (cp -p)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert data_key([str(path)]) != key
    X = np.arange(6.0).reshape(2, 3)
    assert data_key(X) == data_key(X.copy()) != data_key(X + 1)
    # the same samples labelled at another rate are other data
    assert data_key(WaveformArray(X, sr=8000)) != data_key(WaveformArray(X, sr=16000))


class RecordingStep(TransformerMixin, BaseEstimator):
    """Pass X through; record the type and rate of what each fit receives."""

    seen: list = []

    def fit(self, X, y=None):
        RecordingStep.seen.append((type(X).__name__, getattr(X, "sr", None)))
        return self

    def transform(self, X):
        return X


def test_a_shared_front_end_gets_each_fold_of_spectra_as_spectra(monkeypatch):
    monkeypatch.setattr(RecordingStep, "seen", [])
    rng = np.random.default_rng(0)
    y = np.arange(12) % 2
    X = Spectra([rng.normal(label, 1.0, (4, 5 + i)) for i, label in enumerate(y)], sr=8000)
    models = {
        name: make_pipeline(RecordingStep(), TemporalStats(stats=("mean",)), final)
        for name, final in (("logreg", LogisticRegression()), ("dummy", DummyClassifier()))
    }
    compare(models, X, y, cv=KFold(3))
    # one fit per fold, shared by both models, on the fold's clips with their rate
    assert RecordingStep.seen == [("Spectra", 8000)] * 3


def test_compare_takes_steps_defined_inside_a_function():
    # such a class cannot be pickled, so its pipelines share no front end: each runs as
    # cross_validate would run it
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    from audiosk.model_selection import compare

    class Doubled(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return np.asarray(X) * 2

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    models = {
        "C=1": make_pipeline(Doubled(), LogisticRegression()),
        "C=0.01": make_pipeline(Doubled(), LogisticRegression(C=0.01)),
    }
    table = compare(models, X, y, cv=3)
    for name, model in models.items():
        expected = cross_val_score(model, X, y, cv=3).mean()
        assert table.loc[name, "accuracy_mean"] == pytest.approx(expected)
