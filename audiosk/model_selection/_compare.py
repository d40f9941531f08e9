"""Cross-validated comparison of several estimators on the same folds."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.model_selection import check_cv, cross_validate

from ..utils._base import GroupLeakageWarning
from ._baselines import classical_baselines


def group_aware_cv(cv, X, y, groups, *, classifier: bool):
    """Choose folds that keep groups together, and warn where leakage is likely.

    Parameters
    ----------
    cv : int, splitter or iterable
        As in scikit-learn.
    X : array-like
        Data; audiosk's loaders return file names that carry ``groups``.
    y : array-like
        Targets.
    groups : array-like or None
        Group of each clip.
    classifier : bool
        Whether the estimators are classifiers (stratify when possible).

    Returns
    -------
    splits : list of (train, test) index arrays

    Warns
    -----
    GroupLeakageWarning
        When ``X`` carries groups but ``groups`` is None, or when ``groups``
        is given to a splitter that ignores it.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.model_selection import group_aware_cv
    >>> splits = group_aware_cv(2, np.zeros((4, 1)), [0, 1, 0, 1], ["a", "a", "b", "b"], classifier=True)
    >>> [sorted(test.tolist()) for _, test in splits]
    [[0, 1], [2, 3]]
    """
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    carried = getattr(X, "groups", None)
    if groups is None and carried is not None:
        warnings.warn(
            f"X carries groups ({getattr(X, 'group_name', 'source')}) but groups=None: clips of one "
            "source can fall on both sides of a split and inflate the scores. Pass groups= "
            "(the loader's .groups) with a group-aware cv.",
            GroupLeakageWarning,
            stacklevel=3,
        )
    if groups is not None and isinstance(cv, numbers.Integral):
        cv = StratifiedGroupKFold(cv) if classifier else GroupKFold(cv)
    elif groups is not None and not hasattr(cv, "split") and cv is not None:
        pass  # an iterable of splits chosen by the caller
    elif groups is not None and "Group" not in type(cv).__name__:
        warnings.warn(
            f"groups were given but {type(cv).__name__} ignores them; use GroupKFold, "
            "StratifiedGroupKFold or LeaveOneGroupOut to keep each group in one fold.",
            GroupLeakageWarning,
            stacklevel=3,
        )
    return list(check_cv(cv, y, classifier=classifier).split(X, y, groups))


CLASSIFIER_SCORING = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced_accuracy",
    "f1_macro": "f1_macro",
}
REGRESSOR_SCORING = {"mse": "neg_mean_squared_error", "mae": "neg_mean_absolute_error", "r2": "r2"}


def compare(
    estimators: dict[str, object],
    X,
    y,
    *,
    cv=5,
    groups=None,
    scoring=None,
    baselines=None,
    sr: float | None = None,
    params: dict | None = None,
    n_jobs: int | None = None,
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
        splits are used for every estimator. With ``groups``, an integer
        means ``StratifiedGroupKFold`` (classifiers) or ``GroupKFold``.
    groups : array-like of shape (n_samples,) or None, default=None
        Group labels (speaker, track); see :func:`group_aware_cv` for the
        warnings about leakage.
    scoring : dict of str to scorer or None, default=None
        Metrics. ``None`` uses accuracy, balanced accuracy and macro F1 for
        classifiers; MSE, MAE and R2 for regressors (errors reported as
        positive numbers).
    baselines : "auto", dict of str to estimator, or None, default=None
        Classical models cross-validated on the same folds beside
        ``estimators``: "auto" adds the panel of :func:`classical_baselines`
        suited to ``X`` (file paths, waveforms, spectra or a table), which
        says whether a net earns its place.
    sr : float or None, default=None
        Sample rate for the "auto" baselines on file paths (the rate to
        load them at) or on waveforms that do not carry one.
    params : dict or None, default=None
        Fit parameters for every estimator, split per fold like ``X``, as in
        ``cross_validate`` (for instance ``{"neuralclassifier__groups":
        groups}`` for a net's group-aware validation split).
    n_jobs : int or None, default=None
        Folds fitted in parallel.
    verbose : int, default=0
        Passed to ``cross_validate``.

    Returns
    -------
    table : pandas.DataFrame
        One row per estimator (index: name), columns ``<metric>_mean``,
        ``<metric>_std``, ``fit_time`` and ``score_time`` (mean seconds per
        fold), ``baseline`` (True for the rows ``baselines`` added) and
        ``best`` (True on the best row), sorted best first by the first
        metric.

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
            raise ValueError(
                "Pass scoring= for estimators that are neither classifiers nor regressors."
            )
    splits = group_aware_cv(cv, X, y, groups, classifier=is_classifier(first))
    if isinstance(baselines, str):
        if baselines != "auto":
            raise ValueError(f"baselines must be \"auto\", a dict or None; got '{baselines}'.")
        baselines = classical_baselines(X, classifier=is_classifier(first), sr=sr)
    baselines = dict(baselines or {})
    clash = set(baselines) & set(estimators)
    if clash:
        raise ValueError(f"Names {sorted(clash)} are both estimators and baselines; rename them.")
    rows = {}
    for name, estimator in {**estimators, **baselines}.items():
        result = cross_validate(
            estimator,
            X,
            y,
            cv=splits,
            scoring=scoring,
            params=params if name in estimators else None,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        row = {}
        for metric, scorer in scoring.items():
            values = result[f"test_{metric}"]
            if isinstance(scorer, str) and scorer.startswith("neg_"):
                values = -values
            row[f"{metric}_mean"] = float(np.mean(values))
            row[f"{metric}_std"] = float(np.std(values))
        row["fit_time"] = float(np.mean(result["fit_time"]))
        row["score_time"] = float(np.mean(result["score_time"]))
        row["baseline"] = name in baselines
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    key = f"{next(iter(scoring))}_mean"
    lower_is_better = isinstance(next(iter(scoring.values())), str) and next(
        iter(scoring.values())
    ).startswith("neg_")
    table = table.sort_values(key, ascending=lower_is_better, kind="stable")
    table["best"] = table[key] == table[key].iloc[0]
    return table


def holdout_report(
    estimators: dict[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    return_estimator: bool = False,
):
    """Fit each estimator on a training set and report its test-set classification metrics.

    Parameters
    ----------
    estimators : dict of str to classifier
        Name -> unfitted classifier or pipeline (each is cloned).
    X_train, y_train
        Training data.
    X_test, y_test
        Held-out data.
    return_estimator : bool, default=False
        Also return the fitted estimators and their test predictions (to plot
        a confusion matrix or learning curves without fitting again).

    Returns
    -------
    table : pandas.DataFrame
        One row per model, best accuracy first: ``accuracy``,
        ``precision_macro``, ``recall_macro``, ``f1_macro``,
        ``precision_weighted``, ``recall_weighted``, ``f1_weighted``,
        ``fit_time`` and ``predict_time`` (seconds).
    fitted : dict of str to (estimator, ndarray of shape (n_test,))
        Only with ``return_estimator=True``: name -> (fitted estimator, its
        predictions on ``X_test``), in the order of ``estimators``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from audiosk.model_selection import holdout_report
    >>> X, y = load_iris(return_X_y=True)
    >>> parts = train_test_split(X, y, random_state=0, stratify=y)
    >>> table = holdout_report({"logreg": LogisticRegression(max_iter=500)}, *parts[::2], *parts[1::2])
    >>> list(table.columns[:4])
    ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro']
    """
    import time

    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    rows, fitted = {}, {}
    for name, estimator in estimators.items():
        model = clone(estimator)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        y_pred = model.predict(X_test)
        row = {"accuracy": accuracy_score(y_test, y_pred)}
        for average in ("macro", "weighted"):
            p, r, f, _ = precision_recall_fscore_support(
                y_test, y_pred, average=average, zero_division=0
            )
            row.update({f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f})
        row["fit_time"] = fit_time
        row["predict_time"] = time.perf_counter() - start
        rows[name] = row
        fitted[name] = (model, y_pred)
    columns = [
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "precision_weighted",
        "recall_weighted",
        "f1_weighted",
        "fit_time",
        "predict_time",
    ]
    table = pd.DataFrame.from_dict(rows, orient="index")[columns].sort_values(
        "accuracy", ascending=False
    )
    return (table, fitted) if return_estimator else table
