"""The one place audiosk imports scikit-learn's private API.

scikit-learn's parameter constraints (``Interval``, ``StrOptions``,
``HasMethods``), the function that checks them and the error it raises
are what its own estimators use for ``_parameter_constraints``,
``validate_params`` what its public functions use to check theirs, and
``check_sample_weight`` what its meta-estimators use for weights, but they
live in private names; a release that moves them breaks this file only.
:class:`InvalidParameterError` (a ``ValueError`` and ``TypeError``) is the
one error audiosk raises for a bad parameter.
"""

from numbers import Integral
from typing import Any

from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.validation import _check_sample_weight as check_sample_weight

__all__ = [
    "HasMethods",
    "Hidden",
    "IntInterval",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "check_sample_weight",
    "validate_parameter_constraints",
    "validate_params",
]


class IntInterval(Interval):
    """An interval of integers that refuses booleans (``max_epochs=True`` is not 1 epoch).

    Examples
    --------
    >>> from audiosk.utils._sklearn_compat import IntInterval
    >>> at_least_one = IntInterval(1, None, closed="left")
    >>> at_least_one.is_satisfied_by(3), at_least_one.is_satisfied_by(True)
    (True, False)
    """

    def __init__(self, left: int | None, right: int | None, *, closed: str) -> None:
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val: Any) -> bool:
        return not isinstance(val, bool) and bool(super().is_satisfied_by(val))
