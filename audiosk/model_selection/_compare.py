"""Cross-validated comparison of several estimators on the same folds, and held-out reports.

:func:`compare` performs its steps in order: resolve the panel (the
estimators and the baselines) and the metrics, build the splits
(group-aware), share the steps that describe each clip alone, group the
pipelines by front end, run the folds (``_folds.py``) and assemble the table
(``_table.py``).
"""

from __future__ import annotations

import numbers
import time
import warnings
from numbers import Integral, Real

import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv

from ..utils._base import GroupLeakageWarning
from ..utils._sklearn_compat import Interval, StrOptions, validate_params
from ..utils._threads import limited_threads, thread_count
from ._baselines import classical_baselines
from ._folds import Progress, group_by_front, run_folds, share_per_clip_steps
from ._table import (
    HOLDOUT_CLASSIFIER_SCORING,
    comparison_table,
    resolve_scoring,
    score_row,
    sort_best_first,
)

_SCORING = [StrOptions(set(get_scorer_names())), callable, list, tuple, dict, None]


@validate_params(
    {
        "cv": ["cv_object"],
        "X": ["array-like"],
        "y": ["array-like", None],
        "groups": ["array-like", None],
        "classifier": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def group_aware_cv(cv, X, y, groups, *, classifier: bool) -> list:
    """Choose folds that keep groups together, and warn where leakage is likely.

    With ``groups``, an integer ``cv`` becomes ``StratifiedGroupKFold``
    (classifiers) or ``GroupKFold``, so that no group (speaker, track) is on
    both sides of a split; anything else is split as scikit-learn's
    ``check_cv`` splits it.

    Parameters
    ----------
    cv : int, cross-validation generator or iterable
        As in scikit-learn (``None`` is 5 folds).
    X : array-like of shape (n_samples, ...)
        Data; audiosk's loaders return file names that carry ``groups``.
    y : array-like of shape (n_samples,) or None
        Targets (used to stratify).
    groups : array-like of shape (n_samples,) or None
        Group of each clip.
    classifier : bool
        Whether the estimators are classifiers (stratify when possible).

    Returns
    -------
    splits : list of tuple of (ndarray, ndarray)
        The ``(train, test)`` row indices of each fold.

    Warns
    -----
    GroupLeakageWarning
        When ``X`` carries groups but ``groups`` is None, or when ``groups``
        is given to a splitter that ignores it.

    See Also
    --------
    compare : Cross-validates several estimators on these splits.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.model_selection import group_aware_cv
    >>> splits = group_aware_cv(2, np.zeros((4, 1)), [0, 1, 0, 1], ["a", "a", "b", "b"], classifier=True)
    >>> [sorted(test.tolist()) for _, test in splits]
    [[0, 1], [2, 3]]
    """
    return _splits(cv, X, y, groups, classifier=classifier)


def _splits(cv, X, y, groups, *, classifier: bool) -> list:
    """Build the splits; warnings point at the caller of the public function (4 frames up)."""
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    carried = getattr(X, "groups", None)
    if groups is None and carried is not None:
        warnings.warn(
            f"X carries groups ({getattr(X, 'group_name', 'source')}) but groups=None: clips of one "
            "source can fall on both sides of a split and inflate the scores. Pass groups= "
            "(the loader's .groups) with a group-aware cv.",
            GroupLeakageWarning,
            stacklevel=4,
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
            stacklevel=4,
        )
    return list(check_cv(cv, y, classifier=classifier).split(X, y, groups))


def _panel(estimators: dict, baselines, X, *, classifier: bool, sr) -> tuple[dict, dict]:
    """Resolve the baselines ("auto": the classical panel for ``X``) and join them to the estimators."""
    if not estimators:
        raise ValueError("compare needs at least one estimator.")
    if isinstance(baselines, str):
        if baselines != "auto":
            raise ValueError(f"baselines must be \"auto\", a dict or None; got '{baselines}'.")
        baselines = classical_baselines(X, classifier=classifier, sr=sr)
    baselines = dict(baselines or {})
    clash = set(baselines) & set(estimators)
    if clash:
        raise ValueError(f"Names {sorted(clash)} are both estimators and baselines; rename them.")
    return {**estimators, **baselines}, baselines


@validate_params(
    {
        "estimators": [dict],
        "X": ["array-like"],
        "y": ["array-like"],
        "cv": ["cv_object"],
        "groups": ["array-like", None],
        "scoring": _SCORING,
        "baselines": [str, dict, None],
        "sr": [Interval(Real, 0, None, closed="neither"), None],
        "params": [dict, None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,  # the estimators are validated when they are fitted
)
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
    verbose: int = 1,
) -> pd.DataFrame:
    """Cross-validate several estimators on the same folds and tabulate them.

    Each row is what :func:`sklearn.model_selection.cross_validate` gives
    that estimator on those folds; work that every fold or several
    estimators need is done once (see Notes).

    Parameters
    ----------
    estimators : dict of str to estimator
        Name -> estimator (audiosk pipelines or any scikit-learn estimator).
    X : array-like or sequence of paths
        Input of every estimator.
    y : array-like of shape (n_samples,)
        Targets.
    cv : int, cross-validation generator or iterable, default=5
        Folds, as in ``cross_validate``, the same for every estimator. With
        ``groups``, an integer means ``StratifiedGroupKFold`` (classifiers)
        or ``GroupKFold``.
    groups : array-like of shape (n_samples,) or None, default=None
        Group labels (speaker, track); see :func:`group_aware_cv` for the
        warnings about leakage.
    scoring : str, callable, list, tuple, dict or None, default=None
        Metrics, as in ``cross_validate``. ``None``: accuracy, balanced
        accuracy and macro F1 for classifiers; MSE, MAE and R2 for
        regressors. Errors (``"neg_..."`` scorers) are reported as positive
        numbers, named without ``neg_`` when the scorer names its column.
    baselines : "auto", dict of str to estimator, or None, default=None
        Classical models cross-validated beside ``estimators``: "auto" adds
        the panel of :func:`classical_baselines` suited to ``X``.
    sr : float or None, default=None
        Sample rate for the "auto" baselines on file paths (the rate to
        load them at) or on waveforms that do not carry one.
    params : dict or None, default=None
        Fit parameters of every estimator (not the baselines), split per
        fold like ``X``, as in ``cross_validate``.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): folds, in processes.
        ``None`` means 1 unless in a :func:`joblib.parallel_config`
        context; ``-1`` means one per core.
    verbose : int, default=1
        Progress on standard error: ``0`` is silent; from ``1`` a line
        for each shared step and for each model and fold (its first metric
        and fit time), in plain text (no redraws, no colours).

    Returns
    -------
    table : pandas.DataFrame
        One row per estimator (index: name), columns ``<metric>_mean``,
        ``<metric>_std``, ``fit_time`` and ``score_time`` (mean seconds per
        fold), ``baseline`` (True for the rows ``baselines`` added) and
        ``best`` (True on the best row), sorted best first by the first
        metric.

    See Also
    --------
    holdout_report : The same comparison on one held-out test set.
    group_aware_cv : The splits ``compare`` uses.

    Notes
    -----
    The leading steps of a pipeline that learn nothing and describe each
    clip alone (audiosk's: an :class:`~audiosk.io.AudioLoader` with
    ``on_error="raise"``, :class:`~audiosk.features.MFCC` and the other
    spectral steps) run once on all clips, shared by the pipelines that start
    with them; any other step (a ``FunctionTransformer``, a step of yours)
    runs per fold. Pipelines whose remaining steps before the final
    estimator are equal fit them once per fold; their time counts in the
    ``fit_time`` and ``score_time`` of each.

    Each fold runs with BLAS and OpenMP limited (threadpoolctl) to 1 thread
    on fewer than 10,000 training rows, else to the cores divided among the
    ``n_jobs`` workers, never more than a limit already set, so no model
    waits for threads on cores other work keeps busy. Nets keep their own
    ``n_threads``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from audiosk.model_selection import compare
    >>> X, y = load_iris(return_X_y=True)
    >>> models = {"dummy": DummyClassifier(), "logreg": LogisticRegression(max_iter=500)}
    >>> table = compare(models, X, y, cv=3, verbose=0)
    >>> list(table.index), bool(table.loc["dummy", "accuracy_mean"] < 0.4)
    (['logreg', 'dummy'], True)
    """
    first = next(iter(estimators.values()), None)
    classifier = is_classifier(first)
    candidates, baselines = _panel(estimators, baselines, X, classifier=classifier, sr=sr)
    scoring = resolve_scoring(scoring, first)
    splits = _splits(cv, X, y, groups, classifier=classifier)
    progress = Progress(verbose)
    progress(f"{len(candidates)} models ({len(baselines)} baselines) x {len(splits)} folds")
    inputs, candidates = share_per_clip_steps(X, candidates, progress)
    groups_of_models = group_by_front(candidates, inputs, params, estimators)
    results = run_folds(groups_of_models, y, splits, scoring, n_jobs=n_jobs, progress=progress)
    progress("done")
    return comparison_table(results, scoring, baselines)


@validate_params(
    {
        "estimators": [dict],
        "X_train": ["array-like"],
        "y_train": ["array-like"],
        "X_test": ["array-like"],
        "y_test": ["array-like"],
        "scoring": _SCORING,
        "return_estimator": ["boolean"],
    },
    prefer_skip_nested_validation=False,  # the estimators are validated when they are fitted
)
def holdout_report(
    estimators: dict[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    scoring=None,
    return_estimator: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    """Fit each estimator on a training set and report its scores on a held-out test set.

    The held-out counterpart of :func:`compare`: one fit per estimator, on
    ``X_train``, scored on ``X_test`` with the same metrics, under the same
    thread limit.

    Parameters
    ----------
    estimators : dict of str to estimator
        Name -> unfitted estimator or pipeline (each is cloned).
    X_train : array-like or sequence of paths
        Training input.
    y_train : array-like of shape (n_train,)
        Training targets.
    X_test : array-like or sequence of paths
        Held-out input.
    y_test : array-like of shape (n_test,)
        Held-out targets.
    scoring : str, callable, list, tuple, dict or None, default=None
        Metrics, as in :func:`compare`. ``None``: for classifiers accuracy,
        then precision, recall and F1, macro and weighted (a class never
        predicted scores 0); for regressors MSE, MAE and R2.
    return_estimator : bool, default=False
        Also return the fitted estimators and their test predictions (to plot
        a confusion matrix or learning curves without fitting again).

    Returns
    -------
    table : pandas.DataFrame
        One row per model, best first by the first metric: a column per
        metric (errors positive), then ``fit_time`` and ``score_time``
        (seconds: fitting; predicting and scoring the test set), named as
        in :func:`compare` and scikit-learn's ``cross_validate``.
    fitted : dict of str to tuple of (estimator, ndarray of shape (n_test,))
        Only with ``return_estimator=True``: name -> (fitted estimator, its
        predictions on ``X_test``), in the order of ``estimators``.

    See Also
    --------
    compare : The same metrics cross-validated.

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
    first = next(iter(estimators.values()), None)
    if first is None:
        raise ValueError("holdout_report needs at least one estimator.")
    scoring = resolve_scoring(scoring, first, classifier_default=HOLDOUT_CLASSIFIER_SCORING)
    rows, fitted = {}, {}
    with limited_threads(thread_count(len(X_train))):
        for name, estimator in estimators.items():
            model = clone(estimator)
            start = time.perf_counter()
            model.fit(X_train, y_train)
            fit_time = time.perf_counter() - start
            start = time.perf_counter()
            row = score_row(check_scoring(model, scoring=scoring)(model, X_test, y_test), scoring)
            rows[name] = {**row, "fit_time": fit_time, "score_time": time.perf_counter() - start}
            if return_estimator:
                fitted[name] = (model, model.predict(X_test))
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = sort_best_first(table, scoring, next(iter(scoring)))
    return (table, fitted) if return_estimator else table
