"""Model comparison: cross-validated tables, group-aware folds, chunk-level training."""

from ._chunked import ChunkedClassifier, ChunkedRegressor
from ._compare import GroupLeakageWarning, compare, group_aware_cv, holdout_report

__all__ = [
    "ChunkedClassifier",
    "ChunkedRegressor",
    "GroupLeakageWarning",
    "compare",
    "group_aware_cv",
    "holdout_report",
]
