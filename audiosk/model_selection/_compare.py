"""Cross-validated comparison of several estimators on the same folds."""

from __future__ import annotations

import numbers
import pickle
import time
import warnings

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from ..containers import Spectra, Waveforms
from ..io import AudioLoader
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
        Number of jobs run in parallel (joblib): folds, in processes.
        ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    verbose : int, default=0
        Passed to ``cross_validate`` (and to joblib for shared front ends).

    Notes
    -----
    No work is done twice. The leading steps of a pipeline that learn nothing
    at fit and describe each clip on its own (an :class:`~audiosk.io.AudioLoader`
    with ``on_error="raise"``, :class:`~audiosk.features.MFCC` and the other
    spectral steps) run once for all clips before the folds, shared by every
    pipeline that starts with the same steps: each file is decoded once, and
    the panel's MFCCs are computed once. Their time is not in ``fit_time``.
    Then pipelines whose remaining steps before the final estimator are equal
    (the panel's statistics and scaler) fit them once per fold and transform
    each fold's clips once; only the final estimators are fitted separately,
    and the shared steps' time is counted in the ``fit_time`` and
    ``score_time`` of every estimator that shares them. Shared steps must be
    deterministic given their parameters and training data, as audiosk's
    are.

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
    candidates = {**estimators, **baselines}
    inputs, candidates = _precompute(X, candidates)
    # candidates without fit parameters and with equal steps before their final estimator
    # share that front end, fitted once per fold
    shared: dict[tuple[int, str], list[str]] = {}
    for name, estimator in candidates.items():
        front = _front_key(estimator, inputs[name]) if not (params and name in estimators) else None
        shared.setdefault(front or (id(estimator), name), []).append(name)
    results = {}
    for names in shared.values():
        first = candidates[names[0]]
        if len(names) > 1:
            results.update(
                _cross_validate_shared(
                    first[:-1],
                    {name: candidates[name][-1] for name in names},
                    inputs[names[0]],
                    y,
                    splits,
                    scoring,
                    n_jobs=n_jobs,
                    verbose=verbose,
                )
            )
            continue
        results[names[0]] = cross_validate(
            first,
            inputs[names[0]],
            y,
            cv=splits,
            scoring=scoring,
            params=params if names[0] in estimators else None,
            n_jobs=n_jobs,
            verbose=verbose,
        )
    rows = {}
    for name in candidates:
        result = results[name]
        row = {}
        for metric, scorer in scoring.items():
            values = np.asarray(result[f"test_{metric}"])
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


def _precompute(X, candidates: dict) -> tuple[dict, dict]:
    """Run the pipelines' leading steps that need no fit once for all clips, and drop them.

    Such steps (loading, spectra, MFCC) describe each clip on its own, so their
    output for a fold is their output for all clips, indexed. A prefix shared by
    several pipelines (the same AudioLoader, the same MFCC) runs once. Returns
    each candidate's input and the candidates (sliced where steps went).
    """
    inputs = dict.fromkeys(candidates, X)
    outputs: dict[str, object] = {}  # hash of a prefix of steps -> its output for X
    out = {}
    for name, estimator in candidates.items():
        n = _stateless_prefix(estimator)
        if not n:
            out[name] = estimator
            continue
        keys = [_settings_key(estimator[: j + 1]) or f"{name}:{j}" for j in range(n)]
        done = max((j + 1 for j in range(n) if keys[j] in outputs), default=0)
        data = outputs[keys[done - 1]] if done else X
        for j in range(done, n):
            data = outputs[keys[j]] = clone(estimator.steps[j][1]).fit_transform(data)
        inputs[name], out[name] = data, estimator[n:]
    return inputs, out


def _stateless_prefix(estimator) -> int:
    """Count a pipeline's leading steps (before the final one) that learn nothing at fit."""
    if not _is_pipeline(estimator):
        return 0
    n = 0
    for _, step in estimator.steps[:-1]:
        if step is None or isinstance(step, str) or get_tags(step).requires_fit:
            break
        if isinstance(step, AudioLoader) and step.on_error != "raise":
            break  # its stand-in for an unreadable file depends on the clips loaded with it
        n += 1
    return n


def _is_pipeline(estimator) -> bool:
    return isinstance(estimator, Pipeline) and len(estimator.steps) > 1


def _front_key(estimator, X) -> tuple[int, str] | None:
    """Identify a pipeline's steps before its final estimator, with its input (None: no front)."""
    if not _is_pipeline(estimator):
        return None
    key = _settings_key(estimator[:-1])
    return None if key is None else (id(X), key)


def _settings_key(steps) -> str | None:
    """Hash of unfitted steps' settings, or None when they cannot be pickled (then not shared).

    A step whose class is defined inside a function cannot be pickled, so it
    is never recognised as the same as another: it runs on its own, as
    ``cross_validate`` would run it.
    """
    try:
        return str(joblib.hash(clone(steps)))
    except (pickle.PicklingError, AttributeError, TypeError):
        return None


def _cross_validate_shared(front, finals: dict, X, y, splits, scoring, *, n_jobs, verbose) -> dict:
    """Cross-validate several final estimators behind one front end fitted once per fold.

    Returns ``cross_validate``-style dicts (``test_<metric>``, ``fit_time``,
    ``score_time``) keyed by name.
    """
    scorer = check_scoring(next(iter(finals.values())), scoring=scoring)
    folds = joblib.Parallel(n_jobs=n_jobs, verbose=verbose)(
        joblib.delayed(_shared_fold)(front, finals, X, y, train, test, scorer)
        for train, test in splits
    )
    results = {}
    for name in finals:
        per_fold = [fold[name] for fold in folds]
        result = {
            f"test_{metric}": [scores[metric] for scores, _, _ in per_fold] for metric in scoring
        }
        result["fit_time"] = [fit for _, fit, _ in per_fold]
        result["score_time"] = [score for _, _, score in per_fold]
        results[name] = result
    return results


def _rows(X, rows: np.ndarray):
    """Select rows of a table, an array (audiosk's keep their sample rate), or a list."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if isinstance(X, (np.ndarray, Waveforms, Spectra)):
        return X[rows]
    return [X[i] for i in rows]


def _shared_fold(front, finals: dict, X, y, train, test, scorer) -> dict:
    y_train, y_test = _rows(y, train), _rows(y, test)
    start = time.perf_counter()
    front = clone(front)
    X_train = front.fit_transform(_rows(X, train), y_train)
    front_fit = time.perf_counter() - start
    start = time.perf_counter()
    X_test = front.transform(_rows(X, test))
    front_score = time.perf_counter() - start
    out = {}
    for name, final in finals.items():
        start = time.perf_counter()
        model = clone(final).fit(X_train, y_train)
        fit = front_fit + time.perf_counter() - start
        start = time.perf_counter()
        scores = scorer(model, X_test, y_test)
        out[name] = (scores, fit, front_score + time.perf_counter() - start)
    return out


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
        ``fit_time`` and ``score_time`` (seconds: fitting; predicting and
        scoring the test set), named as in :func:`compare` and scikit-learn's
        ``cross_validate``.
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
        row["score_time"] = time.perf_counter() - start
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
        "score_time",
    ]
    table = pd.DataFrame.from_dict(rows, orient="index")[columns].sort_values(
        "accuracy", ascending=False
    )
    return (table, fitted) if return_estimator else table
