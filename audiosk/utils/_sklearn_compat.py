"""The one place audiosk imports scikit-learn's private API.

scikit-learn's parameter constraints (``Interval``, ``StrOptions``,
``HasMethods``), the function that checks them and the error it raises
are what its own estimators use for ``_parameter_constraints``,
``validate_params`` what its public functions use to check theirs,
``check_sample_weight`` what its meta-estimators use for weights,
``check_y`` and ``check_feature_names_in`` what ``validate_data`` and
``get_feature_names_out`` use, but they live in private names; a release
that moves them breaks this file only (tests/test_vocabulary.py checks
that no other module imports them).
:class:`InvalidParameterError` (a ``ValueError`` and ``TypeError``) is the
one error audiosk raises for a bad parameter.
"""

import os
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, TypeVar, cast

from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils._param_validation import validate_params as _validate_params
from sklearn.utils.validation import _check_feature_names_in as check_feature_names_in
from sklearn.utils.validation import _check_sample_weight as check_sample_weight
from sklearn.utils.validation import _check_y as check_y

__all__ = [
    "HasMethods",
    "Hidden",
    "IntInterval",
    "Interval",
    "PathSequence",
    "RealInterval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "check_feature_names_in",
    "check_sample_weight",
    "check_y",
    "validate_parameter_constraints",
    "validate_params",
]


F = TypeVar("F", bound=Callable[..., Any])


def validate_params(
    parameter_constraints: dict[str, Any], *, prefer_skip_nested_validation: bool
) -> Callable[[F], F]:
    """Check a public function's arguments as scikit-learn's ``validate_params`` does (typed).

    Parameters
    ----------
    parameter_constraints : dict
        The constraints of each parameter, as in ``_parameter_constraints``.
    prefer_skip_nested_validation : bool
        Skip the checks of the estimators and functions it calls.

    Returns
    -------
    decorator : callable
        Keeps the function's signature.

    Examples
    --------
    >>> from audiosk.utils._sklearn_compat import validate_params
    >>> @validate_params({"n": [int]}, prefer_skip_nested_validation=True)
    ... def twice(n):
    ...     return 2 * n
    >>> twice(3)
    6
    """
    decorator = _validate_params(
        parameter_constraints, prefer_skip_nested_validation=prefer_skip_nested_validation
    )
    return cast(Callable[[F], F], decorator)


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


class RealInterval(Interval):
    """An interval of real numbers that refuses booleans (``sr=True`` is not 1 Hz).

    Examples
    --------
    >>> from audiosk.utils._sklearn_compat import RealInterval
    >>> positive = RealInterval(0, None, closed="neither")
    >>> positive.is_satisfied_by(0.5), positive.is_satisfied_by(True)
    (True, False)
    """

    def __init__(self, left: float | None, right: float | None, *, closed: str) -> None:
        super().__init__(Real, left, right, closed=closed)

    def is_satisfied_by(self, val: Any) -> bool:
        return not isinstance(val, bool) and bool(super().is_satisfied_by(val))


class PathSequence(HasMethods):
    """File names: a sequence (list, tuple, array, Series) of ``str`` or ``os.PathLike``.

    One name alone (a ``str`` or a ``Path``) is refused, so that a single
    file is not read as a sequence of one-letter names. (A ``HasMethods``,
    the sequences' ``__len__``, because ``validate_params`` takes only its
    own constraint types.)

    Examples
    --------
    >>> from audiosk.utils._sklearn_compat import PathSequence
    >>> PathSequence().is_satisfied_by(["a.wav"]), PathSequence().is_satisfied_by("a.wav")
    (True, False)
    """

    def __init__(self) -> None:
        super().__init__(["__len__"])

    def is_satisfied_by(self, val: Any) -> bool:
        if isinstance(val, (str, bytes, os.PathLike)) or not hasattr(val, "__len__"):
            return False
        if getattr(val, "ndim", 1) != 1:
            return False
        return all(isinstance(p, (str, os.PathLike)) for p in val)

    def __str__(self) -> str:
        return (
            "a sequence of file names (str or os.PathLike) in a list, tuple, array or Series; "
            "one file is [path]"
        )
