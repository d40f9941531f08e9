"""Model comparison: cross-validated tables against the classical panel, group-aware folds."""

from ..utils._deprecation import moved_names
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

# Names that moved or left the public API; they keep working, with a FutureWarning, until 0.3.
__getattr__ = moved_names(
    __name__,
    {
        "ChunkedClassifier": "audiosk.chunking",
        "ChunkedRegressor": "audiosk.chunking",
        "VTLNClassifier": "audiosk.adaptation",
        "input_kind": "audiosk.model_selection._baselines",
    },
    removed_in="0.3",
)
