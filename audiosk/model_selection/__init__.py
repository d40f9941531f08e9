"""Model comparison: cross-validated tables of pipelines and baselines."""

from ._compare import compare

__all__ = ["compare"]
