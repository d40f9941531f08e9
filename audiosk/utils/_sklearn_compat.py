"""The one place audiosk imports scikit-learn's private API.

scikit-learn's parameter constraints (``Interval``, ``StrOptions``,
``HasMethods``) are what its own estimators use for ``_parameter_constraints``
but live in a private module; a release that moves them breaks this file
only.
"""

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = ["HasMethods", "Interval", "StrOptions"]
