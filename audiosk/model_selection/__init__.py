"""Model comparison: cross-validated tables, group-aware folds, chunk-level training, speaker adaptation."""

from ._baselines import classical_baselines, input_kind
from ._chunked import ChunkedClassifier, ChunkedRegressor
from ._compare import GroupLeakageWarning, compare, group_aware_cv, holdout_report
from ._vtln import VTLNClassifier, warp_frequency

__all__ = [
    "ChunkedClassifier",
    "ChunkedRegressor",
    "GroupLeakageWarning",
    "VTLNClassifier",
    "classical_baselines",
    "compare",
    "group_aware_cv",
    "holdout_report",
    "input_kind",
    "warp_frequency",
]
