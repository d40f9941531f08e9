"""The metrics of a comparison and the tables that report them, apart from the loop that scores."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import check_scoring, f1_score, make_scorer, precision_score, recall_score

CLASSIFIER_SCORING = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced_accuracy",
    "f1_macro": "f1_macro",
}
REGRESSOR_SCORING = {"mse": "neg_mean_squared_error", "mae": "neg_mean_absolute_error", "r2": "r2"}
#: holdout_report's default for classifiers: a classification report in one row (a class that no
#: clip is predicted as scores 0 without a warning, as ``classification_report(zero_division=0)``)
HOLDOUT_CLASSIFIER_SCORING: dict[str, str | Callable] = {"accuracy": "accuracy"}
for _average in ("macro", "weighted"):
    for _name, _metric in (("precision", precision_score), ("recall", recall_score)):
        HOLDOUT_CLASSIFIER_SCORING[f"{_name}_{_average}"] = make_scorer(
            _metric, average=_average, zero_division=0
        )
    HOLDOUT_CLASSIFIER_SCORING[f"f1_{_average}"] = make_scorer(
        f1_score, average=_average, zero_division=0
    )


def resolve_scoring(
    scoring, estimator, *, classifier_default: Mapping = CLASSIFIER_SCORING
) -> dict:
    """Name each metric: ``scoring`` as ``cross_validate`` takes it -> {column name: scorer}.

    ``None`` chooses by the estimator: ``classifier_default`` for a
    classifier, MSE, MAE and R2 for a regressor. A scorer given by a string
    ``"neg_<error>"`` is reported as a positive error named ``<error>``; a
    dict names its metrics itself. The scorers are checked here, before any
    work.
    """
    if scoring is None:
        if is_classifier(estimator):
            scoring = dict(classifier_default)
        elif is_regressor(estimator):
            scoring = dict(REGRESSOR_SCORING)
        else:
            raise ValueError(
                "Pass scoring= for estimators that are neither classifiers nor regressors."
            )
    elif isinstance(scoring, str):
        scoring = {_positive_name(scoring): scoring}
    elif callable(scoring):
        scoring = {"score": scoring}
    elif isinstance(scoring, (list, tuple)):
        scoring = {_positive_name(name): name for name in scoring}
    scoring = dict(scoring)
    if not scoring:
        raise ValueError("scoring names no metric; pass at least one, or None for the defaults.")
    check_scoring(estimator, scoring=scoring)  # an unknown scorer name fails now, not in a fold
    return scoring


def _positive_name(name: str) -> str:
    if not isinstance(name, str):
        raise ValueError(f"A list of scorers must hold their names (str); got {name!r}.")
    return name.removeprefix("neg_")


def lower_is_better(scorer) -> bool:
    """Whether a metric is an error reported as a positive number (a ``"neg_..."`` scorer)."""
    return isinstance(scorer, str) and scorer.startswith("neg_")


def score_row(scores: Mapping[str, float], scoring: Mapping) -> dict[str, float]:
    """Make the errors among a fold's (or a test set's) scores positive."""
    return {
        metric: -float(scores[metric]) if lower_is_better(scorer) else float(scores[metric])
        for metric, scorer in scoring.items()
    }


def sort_best_first(table: pd.DataFrame, scoring: Mapping, column: str) -> pd.DataFrame:
    """Sort rows by the first metric, best first (the lowest error, or the highest score)."""
    ascending = lower_is_better(next(iter(scoring.values())))
    return table.sort_values(column, ascending=ascending, kind="stable")


def comparison_table(results: Mapping[str, Mapping], scoring: Mapping, baselines) -> pd.DataFrame:
    """Build ``compare``'s table from ``cross_validate``-style results keyed by model name.

    Each result holds ``test_<metric>``, ``fit_time`` and ``score_time``, one
    value per fold (errors still negative); ``baselines`` names the rows the
    panel added.
    """
    rows = {}
    for name, result in results.items():
        folds = [
            score_row({m: result[f"test_{m}"][k] for m in scoring}, scoring)
            for k in range(len(result["fit_time"]))
        ]
        row = {}
        for metric in scoring:
            values = np.array([fold[metric] for fold in folds])
            row[f"{metric}_mean"] = float(np.mean(values))
            row[f"{metric}_std"] = float(np.std(values))
        row["fit_time"] = float(np.mean(result["fit_time"]))
        row["score_time"] = float(np.mean(result["score_time"]))
        row["baseline"] = name in baselines
        rows[name] = row
    key = f"{next(iter(scoring))}_mean"
    table = sort_best_first(pd.DataFrame.from_dict(rows, orient="index"), scoring, key)
    table["best"] = table[key] == table[key].iloc[0]
    return table
