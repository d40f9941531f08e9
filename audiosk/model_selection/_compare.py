"""Cross-validated comparison of several estimators on the same folds."""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.model_selection import check_cv, cross_validate

CLASSIFIER_SCORING = {"accuracy": "accuracy", "balanced_accuracy": "balanced_accuracy", "f1_macro": "f1_macro"}
REGRESSOR_SCORING = {"mse": "neg_mean_squared_error", "mae": "neg_mean_absolute_error", "r2": "r2"}


def compare(
    estimators: Dict[str, object],
    X,
    y,
    *,
    cv=5,
    groups=None,
    scoring=None,
    n_jobs: Optional[int] = None,
    verbose: int = 0,
) -> pd.DataFrame:
    """Cross-validate several estimators on the same folds and tabulate them.

    Parameters
    ----------
    estimators : dict of str to estimator
        Name -> estimator (audiosk pipelines or any scikit-learn estimator).
    X : array-like or sequence of paths
        Input of every estimator.
    y : array-like of shape (n_samples,)
        Targets.
    cv : int, cross-validation generator or iterable, default=5
        Folds, as in :func:`sklearn.model_selection.cross_validate`; the same
        splits are used for every estimator.
    groups : array-like of shape (n_samples,) or None, default=None
        Group labels (speaker, track) for group-aware splitters.
    scoring : dict of str to scorer or None, default=None
        Metrics. ``None`` uses accuracy, balanced accuracy and macro F1 for
        classifiers; MSE, MAE and R2 for regressors (errors reported as
        positive numbers).
    n_jobs : int or None, default=None
        Folds fitted in parallel.
    verbose : int, default=0
        Passed to ``cross_validate``.

    Returns
    -------
    table : pandas.DataFrame
        One row per estimator (index: name), columns ``<metric>_mean``,
        ``<metric>_std``, ``fit_time`` and ``score_time`` (mean seconds per
        fold), sorted best first by the first metric.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from audiosk.model_selection import compare
    >>> X, y = load_iris(return_X_y=True)
    >>> table = compare({"dummy": DummyClassifier(), "logreg": LogisticRegression(max_iter=500)}, X, y, cv=3)
    >>> list(table.index), bool(table.loc["dummy", "accuracy_mean"] < 0.4)
    (['logreg', 'dummy'], True)
    """
    if not estimators:
        raise ValueError("compare needs at least one estimator.")
    first = next(iter(estimators.values()))
    if scoring is None:
        if is_classifier(first):
            scoring = CLASSIFIER_SCORING
        elif is_regressor(first):
            scoring = REGRESSOR_SCORING
        else:
            raise ValueError("Pass scoring= for estimators that are neither classifiers nor regressors.")
    splits = list(check_cv(cv, y, classifier=is_classifier(first)).split(X, y, groups))
    rows = {}
    for name, estimator in estimators.items():
        result = cross_validate(estimator, X, y, cv=splits, scoring=scoring, n_jobs=n_jobs, verbose=verbose)
        row = {}
        for metric, scorer in scoring.items():
            values = result[f"test_{metric}"]
            if isinstance(scorer, str) and scorer.startswith("neg_"):
                values = -values
            row[f"{metric}_mean"] = float(np.mean(values))
            row[f"{metric}_std"] = float(np.std(values))
        row["fit_time"] = float(np.mean(result["fit_time"]))
        row["score_time"] = float(np.mean(result["score_time"]))
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    key = f"{next(iter(scoring))}_mean"
    lower_is_better = isinstance(next(iter(scoring.values())), str) and next(iter(scoring.values())).startswith("neg_")
    return table.sort_values(key, ascending=lower_is_better)
