"""Model comparison: leakage warnings, compare, holdout reports."""

import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
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


# --- compare shares across folds only the steps that describe each clip alone (issue 33, 4) ---


def centre_by_batch_mean(X):
    """Learns nothing at fit, yet uses the batch: a FunctionTransformer's function."""
    X = np.asarray(X, dtype=float)
    return X - X.mean(axis=0)


def sorted_two_class_table():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    X = rng.normal(size=(60, 2)) + 0.8 * y[:, None]
    order = np.argsort(X[:, 0])  # in order, the folds' batch means differ
    return X[order], y[order]


def test_a_step_that_uses_the_batch_runs_per_fold_as_in_cross_validate():
    from sklearn.model_selection import cross_val_score
    from sklearn.preprocessing import FunctionTransformer

    X, y = sorted_two_class_table()
    model = make_pipeline(FunctionTransformer(centre_by_batch_mean), LogisticRegression())
    table = compare({"centred": model}, X, y, cv=KFold(3), verbose=0)
    expected = cross_val_score(model, X, y, cv=KFold(3)).mean()
    assert table.loc["centred", "accuracy_mean"] == pytest.approx(expected)


#: Every audiosk step that compare runs once on all clips (see describes_each_clip_alone), with
#: the input it describes; a new such step must be added here, and so proven per clip below.
PER_CLIP_INPUT = {
    "AudioLoader": "paths",
    "Spectrogram": "waveforms",
    "MelSpectrogram": "waveforms",
    "MFCC": "waveforms",
    "GTZANFeatures": "waveforms",
    "AudioDescriptors": "waveforms",
    "OpenSMILEFeatures": "waveforms",
    "Deltas": "spectra",
    "SpectrogramImage": "spectra",
}


def steps_compare_shares():
    """(name, default instance) of each public audiosk transformer compare runs on all clips."""
    import importlib
    import inspect

    from audiosk.model_selection._folds import describes_each_clip_alone

    for module_name in ("audiosk.io", "audiosk.preprocessing", "audiosk.features"):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            cls = getattr(module, name)
            if not (inspect.isclass(cls) and issubclass(cls, TransformerMixin)):
                continue
            try:
                step = cls()
            except TypeError:  # needs an argument (PANNs' weights): such steps learn at fit
                continue
            if describes_each_clip_alone(step):
                yield name, step


def test_every_step_compare_shares_is_proven_per_clip():
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from audiosk.io import AudioLoader
    from audiosk.model_selection._folds import describes_each_clip_alone

    shared = {name for name, _ in steps_compare_shares()}
    assert {"AudioLoader", "MFCC", "MelSpectrogram"} <= shared
    assert shared <= set(PER_CLIP_INPUT), "prove the new step per clip in PER_CLIP_INPUT"
    assert not describes_each_clip_alone(FunctionTransformer(centre_by_batch_mean))
    assert not describes_each_clip_alone(StandardScaler())  # learns at fit
    assert not describes_each_clip_alone(AudioLoader(on_error="silence"))


@pytest.mark.parametrize("name", sorted(PER_CLIP_INPUT))
def test_a_step_compare_shares_describes_each_clip_alone(name, tone_files):
    from sklearn.base import clone

    from audiosk.containers import Waveforms

    step = dict(steps_compare_shares()).get(name)
    if step is None:
        pytest.skip(f"{name} is not a step of this checkout that compare shares")
    if "sr" in step.get_params():
        step.set_params(sr=SR)
    rng = np.random.default_rng(0)
    kind = PER_CLIP_INPUT[name]
    if kind == "paths":
        X = list(tone_files[0][:3])
    elif kind == "waveforms":  # clips of different lengths: no clip is padded to another's
        X = Waveforms(
            [rng.uniform(-0.5, 0.5, n).astype(np.float32) for n in (6000, 9000, 4000)], sr=SR
        )
    else:
        X = Spectra([rng.random((16, n), dtype=np.float32) for n in (20, 31, 12)], sr=SR)
    try:
        together = clone(step).fit_transform(X)
    except ImportError as exc:  # an optional extra (openSMILE) not installed
        pytest.skip(str(exc))
    for i in range(3):
        alone = clone(step).fit_transform(X[i : i + 1])
        np.testing.assert_allclose(
            np.asarray(together[i]), np.asarray(alone[0]), rtol=1e-5, atol=1e-6
        )


# --- threads that never collapse, progress, failures and parameters (issues 34 and 36) ---


def record_threads(path, what):
    from threadpoolctl import threadpool_info

    threads = max((lib["num_threads"] for lib in threadpool_info()), default=1)
    with open(path, "a") as file:
        file.write(f"{what} {threads}\n")


class ThreadRecorder(ClassifierMixin, BaseEstimator):
    """Predicts the first class; writes to ``record`` the most BLAS/OpenMP threads it may use."""

    def __init__(self, record=None):
        self.record = record

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        record_threads(self.record, "fit")
        return self

    def predict(self, X):
        record_threads(self.record, "predict")
        return np.full(len(X), self.classes_[0])


def recorded(path):
    return [line.split() for line in path.read_text().splitlines()]


def most_threads():
    from threadpoolctl import threadpool_info

    return max((lib["num_threads"] for lib in threadpool_info()), default=1)


def test_compare_fits_and_predicts_small_data_on_one_thread(tmp_path):
    from sklearn.preprocessing import StandardScaler

    record = tmp_path / "threads.txt"
    X, y = make_classification(n_samples=60, random_state=0)
    before = most_threads()
    models = {  # alone, and two behind one shared front end
        "alone": ThreadRecorder(str(record)),
        "shared 1": make_pipeline(StandardScaler(), ThreadRecorder(str(record))),
        "shared 2": make_pipeline(StandardScaler(), ThreadRecorder(str(record))),
    }
    compare(models, X, y, cv=3, verbose=0)
    assert len(recorded(record)) == 3 * 3 * 2  # models x folds x (fit, predict)
    assert {threads for _, threads in recorded(record)} == {"1"}
    assert most_threads() == before  # the limits in force before come back


def test_compare_in_threads_shares_one_limit_and_restores_it(tmp_path):
    import joblib

    record = tmp_path / "threads.txt"
    X, y = make_classification(n_samples=60, random_state=0)
    before = most_threads()
    models = {f"m{i}": ThreadRecorder(str(record)) for i in range(4)}
    with joblib.parallel_config(backend="threading", n_jobs=2):
        compare(models, X, y, cv=3, verbose=0)
    assert {threads for _, threads in recorded(record)} == {"1"}
    assert most_threads() == before


def test_compare_gives_large_data_the_cores(tmp_path):
    import joblib

    from audiosk.utils._threads import SMALL_ROWS

    record = tmp_path / "threads.txt"
    rng = np.random.default_rng(0)
    n = SMALL_ROWS * 3 // 2  # folds of 2 / 3 train on SMALL_ROWS rows
    X, y = rng.normal(size=(n, 2)), np.arange(n) % 2
    compare({"big": ThreadRecorder(str(record))}, X, y, cv=3, verbose=0)
    expected = str(min(joblib.cpu_count(), most_threads()))
    assert {threads for _, threads in recorded(record)} == {expected}


def test_compare_says_what_it_does_in_plain_lines(capsys):
    from audiosk.containers import Waveforms
    from audiosk.features import MFCC, TemporalStats

    rng = np.random.default_rng(0)
    y = np.arange(12) % 2
    X = Waveforms([rng.normal(0, 0.1 + 0.2 * label, 800) for label in y], sr=SR)
    models = {
        name: make_pipeline(MFCC(sr=SR, n_fft=256, n_mels=20, n_mfcc=5), TemporalStats(), final)
        for name, final in (("logreg", LogisticRegression()), ("dummy", DummyClassifier()))
    }
    compare(models, X, y, cv=KFold(3))
    err = capsys.readouterr().err
    assert "MFCC on all 12 clips, once for every fold" in err
    for name in models:
        for k in (1, 2, 3):
            assert f"fold {k}/3  {name}: accuracy" in err
    assert "\r" not in err and "\x1b" not in err  # a log file reads as the terminal did
    compare(models, X, y, cv=KFold(3), verbose=0)
    assert capsys.readouterr().err == ""


class Fragile(ClassifierMixin, BaseEstimator):
    """Logistic regression that fails to fit when the first column holds ``fail_on``."""

    def __init__(self, fail_on=None):
        self.fail_on = fail_on

    def fit(self, X, y):
        if self.fail_on == "always" or np.any(np.asarray(X)[:, 0] == self.fail_on):
            raise ValueError("fragile")
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def test_a_model_that_fails_on_some_folds_scores_nan_as_in_cross_validate():
    from sklearn.exceptions import FitFailedWarning
    from sklearn.model_selection import cross_validate
    from sklearn.preprocessing import FunctionTransformer

    X, y = make_classification(n_samples=30, random_state=0)
    X[0, 0] = 999.0  # in the training clips of folds 2 and 3
    models = {  # alone, and two behind one front end fitted once per fold
        "fragile": Fragile(fail_on=999.0),
        "shared fragile": make_pipeline(FunctionTransformer(), Fragile(fail_on=999.0)),
        "shared": make_pipeline(FunctionTransformer(), LogisticRegression()),
    }
    with pytest.warns(FitFailedWarning, match="2 of the 3 folds of 'fragile' failed"):
        table = compare(models, X, y, cv=KFold(3), verbose=0)
    with pytest.warns(FitFailedWarning):
        expected = cross_validate(Fragile(fail_on=999.0), X, y, cv=KFold(3))["test_score"]
    assert np.isnan(expected).sum() == 2 and np.isnan(table.loc["fragile", "accuracy_mean"])
    assert np.isnan(table.loc["shared fragile", "accuracy_mean"])
    assert table.loc["shared", "accuracy_mean"] == pytest.approx(
        cross_validate(models["shared"], X, y, cv=KFold(3))["test_score"].mean()
    )
    with pytest.raises(ValueError, match="(?s)All 3 folds of 'broken' failed.*fragile"):
        compare({"broken": Fragile(fail_on="always")}, X, y, cv=KFold(3), verbose=0)


def test_public_functions_name_a_bad_parameter():
    from sklearn.linear_model import LinearRegression

    from audiosk.utils._sklearn_compat import InvalidParameterError

    X, y = make_classification(n_samples=30, random_state=0)
    with pytest.raises(InvalidParameterError, match="'estimators' parameter of compare"):
        compare([LogisticRegression()], X, y)
    with pytest.raises(InvalidParameterError, match="'verbose' parameter of compare"):
        compare({"logreg": LogisticRegression()}, X, y, verbose="yes")
    with pytest.raises(InvalidParameterError, match="'scoring' parameter of holdout_report"):
        holdout_report({"linear": LinearRegression()}, X, y, X, y, scoring="closeness")
    with pytest.raises(InvalidParameterError, match="'cv' parameter of group_aware_cv"):
        group_aware_cv("three", X, y, None, classifier=True)


def test_holdout_report_and_compare_take_scoring_as_cross_validate_does():
    from sklearn.datasets import make_regression
    from sklearn.dummy import DummyRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    X, y = make_regression(n_samples=80, n_features=3, noise=5.0, random_state=0)
    models = {"dummy": DummyRegressor(), "linear": LinearRegression()}
    y_pred = LinearRegression().fit(X[:60], y[:60]).predict(X[60:])
    table = holdout_report(models, X[:60], y[:60], X[60:], y[60:])  # a regressor's defaults
    assert list(table.index) == ["linear", "dummy"]  # the lowest error first
    assert list(table.columns) == ["mse", "mae", "r2", "fit_time", "score_time"]
    assert table.loc["linear", "mse"] == pytest.approx(mean_squared_error(y[60:], y_pred))
    assert table.loc["linear", "r2"] == pytest.approx(r2_score(y[60:], y_pred))
    mae = holdout_report(models, X[:60], y[:60], X[60:], y[60:], scoring="neg_mean_absolute_error")
    assert mae.loc["linear", "mean_absolute_error"] == pytest.approx(
        mean_absolute_error(y[60:], y_pred)
    )
    both = compare(models, X, y, cv=4, scoring=["r2", "neg_mean_squared_error"], verbose=0)
    assert list(both.index) == ["linear", "dummy"]
    assert both.loc["linear", "mean_squared_error_mean"] > 0
