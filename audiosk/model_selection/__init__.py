"""Model comparison: cross-validated tables against the classical panel, group-aware folds."""

from ._baselines import classical_baselines
from ._cache import CachedTransformer
from ._compare import GroupLeakageWarning, compare, group_aware_cv, holdout_report

__all__ = [
    "CachedTransformer",
    "GroupLeakageWarning",
    "classical_baselines",
    "compare",
    "group_aware_cv",
    "holdout_report",
]
