"""Model comparison: leakage warnings, compare, holdout reports."""

import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score
from sklearn.model_selection import KFold

from audiosk.datasets import load_spoken_digits
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
