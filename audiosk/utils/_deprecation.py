"""Deprecation helpers: names that moved or left the public API keep working for one release.

Policy: a public name that moves or is removed keeps working, with a
:class:`FutureWarning` naming its new home (or replacement) and the version
in which the old name goes, for one minor release; the change is listed in
the changelog (``docs/whats_new.md``).
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["deprecated", "moved_names"]

F = TypeVar("F", bound=Callable[..., Any])


def deprecated(*, since: str, removed_in: str, instead: str) -> Callable[[F], F]:
    """Mark a function as deprecated: each call warns with a :class:`FutureWarning`.

    Parameters
    ----------
    since : str
        The version that deprecated it.
    removed_in : str
        The version in which it goes.
    instead : str
        What to use instead.

    Returns
    -------
    decorator : callable

    Examples
    --------
    >>> import warnings
    >>> from audiosk.utils._deprecation import deprecated
    >>> @deprecated(since="0.2", removed_in="0.3", instead="new_function")
    ... def old_function():
    ...     return 1
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     old_function()
    1
    >>> str(caught[0].message)
    'old_function is deprecated since 0.2 and will be removed in 0.3; use new_function instead.'
    """

    def decorate(func: F) -> F:
        message = (
            f"{func.__name__} is deprecated since {since} and will be removed in "
            f"{removed_in}; use {instead} instead."
        )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, FutureWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def moved_names(
    module_name: str, moved: dict[str, str], *, removed_in: str
) -> Callable[[str], Any]:
    """Build a module ``__getattr__`` that serves names which moved elsewhere, with a warning.

    Parameters
    ----------
    module_name : str
        The old home (``__name__`` of the module defining ``__getattr__``).
    moved : dict of str to str
        Old name -> ``"new.module:NewName"`` (or ``"new.module"`` when the name is
        unchanged).
    removed_in : str
        The version in which the old names stop working.

    Returns
    -------
    __getattr__ : callable
        Assign it to the old module's ``__getattr__``.

    Examples
    --------
    >>> import warnings
    >>> from audiosk.utils._deprecation import moved_names
    >>> getter = moved_names("oldhome", {"sqrt": "math"}, removed_in="0.3")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getter("sqrt")(4.0)
    2.0
    >>> str(caught[0].message)
    'oldhome.sqrt moved to math.sqrt; the old name will be removed in 0.3.'
    """

    def __getattr__(name: str) -> Any:
        if name not in moved:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        target, _, new_name = moved[name].partition(":")
        new_name = new_name or name
        warnings.warn(
            f"{module_name}.{name} moved to {target}.{new_name}; the old name will be "
            f"removed in {removed_in}.",
            FutureWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(target), new_name)

    return __getattr__
