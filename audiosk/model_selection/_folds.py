"""The work of :func:`~audiosk.model_selection.compare`: shared steps, folds, threads, progress.

- :func:`share_per_clip_steps` runs once on all clips the leading steps that
  describe each clip alone (audiosk's own steps that learn nothing), shared by
  every pipeline that starts with them;
- :func:`group_by_front` puts together the pipelines whose remaining steps
  before the final estimator are equal, to fit those once per fold;
- :func:`run_folds` fits and scores every group on every fold (in parallel
  with ``n_jobs``), each task inside a thread limit that fits the work
  (:mod:`audiosk.utils._threads`), and says what it did, a line per model and
  fold.
"""

from __future__ import annotations

import pickle
import sys
import time
import traceback
import warnings
from dataclasses import dataclass

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from ..containers import Spectra, Waveforms
from ..io import AudioLoader
from ..utils._threads import limited_threads, thread_count
from ._table import score_row


class Progress:
    """Plain lines on standard error, one per event, when ``verbose > 0``.

    No carriage returns and no colour codes: a log written to a file reads
    as it read on the terminal.
    """

    def __init__(self, verbose: int) -> None:
        self.verbose = verbose
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.verbose > 0:
            elapsed = time.perf_counter() - self.start
            print(f"[compare {elapsed:5.0f} s] {message}", file=sys.stderr, flush=True)


def describes_each_clip_alone(step) -> bool:
    """Whether a step's output for a clip is the same whichever clips it is given with.

    Only audiosk's own steps that learn nothing at fit qualify: the data
    contract requires that each of them describe each clip alone (tested step
    by step in tests/test_model_selection.py), and an
    :class:`~audiosk.io.AudioLoader` only with ``on_error="raise"`` (its
    stand-in for an unreadable file depends on the clips loaded with it).
    Any other step, a ``FunctionTransformer`` or a user's step that learns
    nothing included, may use the batch it is given (centring by its mean),
    so it runs per fold, as ``cross_validate`` runs it.
    """
    if step is None or isinstance(step, str) or type(step).__module__.split(".")[0] != "audiosk":
        return False
    if get_tags(step).requires_fit:
        return False
    return not (isinstance(step, AudioLoader) and step.on_error != "raise")


def _per_clip_prefix(estimator) -> int:
    """Count a pipeline's leading steps (before the final one) that describe each clip alone."""
    if not _is_pipeline(estimator):
        return 0
    n = 0
    for _, step in estimator.steps[:-1]:
        if not describes_each_clip_alone(step):
            break
        n += 1
    return n


def share_per_clip_steps(X, candidates: dict, progress: Progress) -> tuple[dict, dict]:
    """Run once on all clips the leading steps that describe each clip alone, and drop them.

    Such a step's output for a fold is its output for all clips, indexed. A
    prefix shared by several pipelines (the same AudioLoader, the same MFCC)
    runs once. Returns each candidate's input and the candidates (sliced
    where steps went).
    """
    inputs = dict.fromkeys(candidates, X)
    outputs: dict[str, object] = {}  # hash of a prefix of steps -> its output for X
    out = {}
    with limited_threads(thread_count(len(X))):
        for name, estimator in candidates.items():
            n = _per_clip_prefix(estimator)
            if not n:
                out[name] = estimator
                continue
            keys = [_settings_key(estimator[: j + 1]) or f"{name}:{j}" for j in range(n)]
            done = max((j + 1 for j in range(n) if keys[j] in outputs), default=0)
            data = outputs[keys[done - 1]] if done else X
            for j in range(done, n):
                step = estimator.steps[j][1]
                progress(f"{type(step).__name__} on all {len(X)} clips, once for every fold")
                data = outputs[keys[j]] = clone(step).fit_transform(data)
            inputs[name], out[name] = data, estimator[n:]
    return inputs, out


def _is_pipeline(estimator) -> bool:
    return isinstance(estimator, Pipeline) and len(estimator.steps) > 1


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


@dataclass
class Group:
    """Models fitted together on each fold.

    With a ``front``, the steps before each final estimator, fitted once per
    fold and shared; ``models`` then maps names to final estimators. Without,
    ``models`` holds one whole estimator, cross-validated as
    ``cross_validate`` does, with its fit ``params``.
    """

    models: dict
    X: object
    front: Pipeline | None = None
    params: dict | None = None


def group_by_front(candidates: dict, inputs: dict, params: dict | None, own: dict) -> list[Group]:
    """Group candidates whose steps before the final estimator are equal (and input the same).

    The user's estimators (``own``) with fit ``params`` are never grouped.
    """
    keyed: dict[object, list[str]] = {}
    for name, estimator in candidates.items():
        key = None
        if _is_pipeline(estimator) and not (params and name in own):
            settings = _settings_key(estimator[:-1])
            key = None if settings is None else (id(inputs[name]), settings)
        keyed.setdefault(key or (id(estimator), name), []).append(name)
    groups = []
    for names in keyed.values():
        first = candidates[names[0]]
        if len(names) > 1:
            finals = {name: candidates[name][-1] for name in names}
            groups.append(Group(finals, inputs[names[0]], front=first[:-1]))
        else:
            name = names[0]
            groups.append(
                Group({name: first}, inputs[name], params=params if name in own else None)
            )
    return groups


@dataclass
class FoldResult:
    """One model on one fold: its scores (errors still negative), times and any error."""

    scores: dict
    fit_time: float
    score_time: float
    error: str | None = None


def _failed(scoring, fit_time=0.0) -> FoldResult:
    return FoldResult(dict.fromkeys(scoring, np.nan), fit_time, 0.0, traceback.format_exc())


def _rows(X, rows: np.ndarray):
    """Select rows of a table, an array (audiosk's keep their sample rate), or a list."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if isinstance(X, (np.ndarray, Waveforms, Spectra)):
        return X[rows]
    return [X[i] for i in rows]


def _whole_fold(name, estimator, X, y, train, test, scoring, params) -> dict:
    """Cross-validate one estimator on one fold, exactly as ``cross_validate`` does."""
    try:
        result = cross_validate(
            estimator, X, y, cv=[(train, test)], scoring=scoring, params=params, error_score="raise"
        )
    except Exception:
        return {name: _failed(scoring)}
    scores = {metric: result[f"test_{metric}"][0] for metric in scoring}
    return {name: FoldResult(scores, result["fit_time"][0], result["score_time"][0])}


def _shared_fold(front, finals: dict, X, y, train, test, scoring) -> dict:
    """Fit the front end once on the fold's training clips, then each final estimator on it."""
    y_train, y_test = _rows(y, train), _rows(y, test)
    start = time.perf_counter()
    try:
        front = clone(front)
        X_train = front.fit_transform(_rows(X, train), y_train)
        front_fit = time.perf_counter() - start
        start = time.perf_counter()
        X_test = front.transform(_rows(X, test))
        front_score = time.perf_counter() - start
    except Exception:
        return {name: _failed(scoring, time.perf_counter() - start) for name in finals}
    out = {}
    for name, final in finals.items():
        start = time.perf_counter()
        try:
            model = clone(final).fit(X_train, y_train)
            fit = front_fit + time.perf_counter() - start
            start = time.perf_counter()
            scores = check_scoring(model, scoring=scoring)(model, X_test, y_test)
        except Exception:
            out[name] = _failed(scoring, front_fit)
            continue
        out[name] = FoldResult(scores, fit, front_score + time.perf_counter() - start)
    return out


def _fold(k: int, group: Group, y, train, test, scoring, n_threads) -> tuple:
    """One task: a group on fold ``k``, inside the thread limit (also in a worker process)."""
    with limited_threads(n_threads):
        if group.front is None:
            name, estimator = next(iter(group.models.items()))
            out = _whole_fold(name, estimator, group.X, y, train, test, scoring, group.params)
        else:
            out = _shared_fold(group.front, group.models, group.X, y, train, test, scoring)
    return k, out


def run_folds(groups: list[Group], y, splits, scoring, *, n_jobs, progress: Progress) -> dict:
    """Fit and score every group on every fold; return ``cross_validate``-style dicts by name.

    As ``cross_validate`` with ``error_score=np.nan``: a model that fails on
    some folds scores NaN there with a ``FitFailedWarning``; one that fails on
    every fold raises, once its last fold is done.
    """
    tasks = [(g, k) for g in range(len(groups)) for k in range(len(splits))]
    n_workers = min(joblib.effective_n_jobs(n_jobs), len(tasks))
    n_threads = thread_count(max(len(train) for train, _ in splits), n_workers)
    progress(f"the folds: {n_workers} job(s) at a time, each on {n_threads} BLAS/OpenMP thread(s)")
    folds: dict[str, dict[int, FoldResult]] = {n: {} for g in groups for n in g.models}
    calls = [
        joblib.delayed(_fold)(k, groups[g], y, *splits[k], scoring, n_threads) for g, k in tasks
    ]
    with limited_threads(n_threads):
        for k, out in _as_completed(calls, n_jobs):
            for name, result in out.items():
                folds[name][k] = result
                _report(progress, name, k, len(splits), result, scoring)
                if len(folds[name]) == len(splits):
                    _check_failures(name, folds[name])
    return {name: _as_cross_validate(per_fold, scoring) for name, per_fold in folds.items()}


def _as_completed(calls: list, n_jobs):
    """Run joblib calls, giving each result as soon as it is done.

    A backend that cannot (multiprocessing) gives them all at the end.
    """
    try:
        return joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(calls)
    except ValueError as exc:
        if "does not support return_as" not in str(exc):
            raise
        return joblib.Parallel(n_jobs=n_jobs)(calls)


def _report(progress: Progress, name, k, n_folds, result: FoldResult, scoring) -> None:
    metric = next(iter(scoring))
    if result.error is not None:
        what = f"failed: {result.error.strip().splitlines()[-1]}"
    else:
        what = f"{metric} {score_row(result.scores, scoring)[metric]:.3f}"
    progress(f"fold {k + 1}/{n_folds}  {name}: {what}, fit {result.fit_time:.2f} s")


def _check_failures(name, per_fold: dict) -> None:
    failed = [result.error for result in per_fold.values() if result.error is not None]
    if failed and len(failed) == len(per_fold):
        raise ValueError(
            f"All {len(failed)} folds of '{name}' failed. The first error:\n{failed[0]}"
        )
    if failed:
        warnings.warn(
            f"{len(failed)} of the {len(per_fold)} folds of '{name}' failed; their scores are "
            f"NaN. The first error:\n{failed[0]}",
            FitFailedWarning,
            stacklevel=5,  # the caller of compare
        )


def _as_cross_validate(per_fold: dict, scoring) -> dict:
    ordered = [per_fold[k] for k in sorted(per_fold)]
    result = {f"test_{m}": [fold.scores[m] for fold in ordered] for m in scoring}
    result["fit_time"] = [fold.fit_time for fold in ordered]
    result["score_time"] = [fold.score_time for fold in ordered]
    return result
