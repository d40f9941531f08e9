"""The one content key of audiosk's caches and jobs.

:class:`~audiosk.model_selection.CachedTransformer`, the settings of
:func:`~audiosk.extraction.extract_features` and
:func:`~audiosk.images.write_spectrogram_images`, and the fetchers' digests all
identify what they were given by the rules of :func:`canonical`:

- a file by its name and the SHA-256 of its bytes, however its name is passed
  (``str`` or ``os.PathLike``, alone or in a list, tuple, pandas Series or
  array); a name that is not an existing file is text;
- waveforms and spectra (:mod:`audiosk.containers`) by their samples and the
  rate they carry; a :class:`~audiosk.containers.DiskArray` by its file's
  bytes and the rows it selects; arrays by their content;
- a function by its qualified name and source (a lambda, a closure or a
  function without readable source is refused: its results could not be
  told apart from another's); a class by its name and its package's version,
  or by its source when its package has no version (a class of a script);
- an estimator by its class and its parameters, less those that decide only
  how the work runs (:data:`EXECUTION_ONLY`);
- a mapping or a set whatever its order.

:func:`library_versions` lists the libraries whose versions change numbers.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..containers import DiskArray

__all__ = [
    "EXECUTION_ONLY",
    "canonical",
    "content_key",
    "file_digest",
    "hash_file",
    "library_versions",
    "stat_signature",
]

#: Parameters that decide how work runs, never its values: left out of every key, so
#: that a rerun with more jobs or another progress display reuses what was done.
EXECUTION_ONLY = frozenset({"n_jobs", "verbose"})

#: Libraries whose versions change the numbers of decoding, resampling and features:
#: audiosk's own code, numpy and scipy (reductions, FFTs, filters), librosa (filter banks,
#: tuning, tempo), soundfile with its libsndfile (decoders), soxr (resampling at load).
NUMERIC_LIBRARIES = ("audiosk", "numpy", "scipy", "librosa", "soundfile", "soxr")


def hash_file(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in blocks (``algorithm`` as in :mod:`hashlib`).

    Examples
    --------
    >>> import os, tempfile
    >>> from audiosk.utils._hashing import hash_file
    >>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> _ = open(path, "wb").write(b"abc")
    >>> hash_file(path)[:16]
    'ba7816bf8f01cfea'
    """
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, or ``""`` when it cannot be read (the row then fails)."""
    try:
        return hash_file(path)
    except (OSError, ValueError):
        return ""


def library_versions(*extra: str) -> dict[str, str]:
    """Versions of :data:`NUMERIC_LIBRARIES` (and ``extra``), from their installed metadata.

    ``libsndfile`` is the decoder soundfile wraps; a library that is not
    installed is ``"absent"``.

    Examples
    --------
    >>> from audiosk.utils._hashing import library_versions
    >>> sorted(library_versions("matplotlib"))[:4]
    ['audiosk', 'librosa', 'libsndfile', 'matplotlib']
    """
    return dict(_versions(tuple(extra)))


@functools.cache
def _versions(extra: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in (*NUMERIC_LIBRARIES, *extra):
        try:
            found[name] = version({"Pillow": "pillow"}.get(name, name))
        except PackageNotFoundError:
            found[name] = "absent"
    import soundfile

    found["libsndfile"] = str(soundfile.__libsndfile_version__)
    return tuple(found.items())


def content_key(value: Any, where: str = "value") -> str:
    """Hash ``value`` by the rules of :func:`canonical`.

    Examples
    --------
    >>> from audiosk.utils._hashing import content_key
    >>> content_key({"a": 1, "b": 2}) == content_key({"b": 2, "a": 1})
    True
    """
    import joblib

    return str(joblib.hash(canonical(value, where)))


def canonical(value: Any, where: str = "value") -> Any:
    """Replace what would be identified by name or by position by what it is.

    Parameters
    ----------
    value : object
        A setting, an estimator, data (paths, containers, arrays, frames).
    where : str, default="value"
        The name of ``value``, for errors (``extractor__func``).

    Returns
    -------
    canonical : object
        Plain values, tuples and arrays that pickle the same exactly when
        ``value`` means the same.

    Raises
    ------
    ValueError
        For a lambda, a closure or a function whose source cannot be read.
    """
    if isinstance(value, (str, os.PathLike)):  # before scalars: numpy's str is one
        return _name(value)
    if isinstance(value, bytes):  # a name as bytes, or data
        return _name(value) if _is_file(value) else value
    if value is None or isinstance(value, (bool, int, float, complex, np.generic)):
        return value
    if isinstance(value, np.ndarray):
        return _array(value, where)
    if isinstance(value, DiskArray):
        return ("DiskArray", file_digest(value.path), value.rows, str(value.dtype), value.shape)
    if isinstance(value, list) and hasattr(value, "sr"):  # Waveforms, Spectra
        return (type(value).__name__, value.sr, [_array(np.asarray(v), where) for v in value])
    if hasattr(value, "get_params") and not isinstance(value, type):
        return _estimator(value, where)
    if isinstance(value, (types.FunctionType, functools.partial, types.MethodType, type)):
        return _callable(value, where)
    if isinstance(value, Mapping):
        items = [(canonical(k, where), canonical(v, f"{where}[{k!r}]")) for k, v in value.items()]
        return ("mapping", sorted(items, key=_order))
    if isinstance(value, (set, frozenset)):
        return ("set", sorted((canonical(v, where) for v in value), key=_order))
    if isinstance(value, (list, tuple)):
        return ("sequence", [canonical(v, f"{where}[{i}]") for i, v in enumerate(value)])
    frame = _frame(value, where)
    return value if frame is None else frame


def _order(item: Any) -> str:
    import joblib

    return str(joblib.hash(item))


def _name(value: str | bytes | os.PathLike[str]) -> Any:
    """Key a file by its name and bytes; any other name, or text, by itself."""
    name = os.fsdecode(os.fspath(value))
    return ("file", str(name), file_digest(name)) if _is_file(name) else str(name)


def _is_file(name: Any) -> bool:
    try:
        return os.path.isfile(name)
    except (OSError, ValueError, TypeError):  # a NUL character, a name too long
        return False


def _array(value: np.ndarray, where: str) -> Any:
    plain = np.asarray(value)
    if plain.dtype.kind not in "OUS":  # numbers: by content (with dtype and shape)
        content: Any = plain
    elif plain.ndim == 1:  # names or objects, one by one (the same as a list of them)
        content = ("sequence", [canonical(v, f"{where}[{i}]") for i, v in enumerate(plain)])
    else:
        content = ("array", plain.shape, canonical(plain.ravel(), where))
    sr = getattr(value, "sr", None)
    return content if sr is None else (type(value).__name__, sr, content)


def _frame(value: Any, where: str) -> Any:
    """Key pandas data column by column (a column of names as files)."""
    import pandas as pd

    if isinstance(value, (pd.api.extensions.ExtensionArray, pd.Index)):  # Series.values
        return (type(value).__name__, str(value.dtype), _array(value.to_numpy(), where))
    if isinstance(value, pd.Series):
        return (
            "Series",
            value.name,
            canonical(value.index.to_numpy(), where),
            _column(value, where),
        )
    if isinstance(value, pd.DataFrame):
        columns = [_column(value.iloc[:, i], where) for i in range(value.shape[1])]
        index = canonical(value.index.to_numpy(), where)
        return ("DataFrame", [str(c) for c in value.columns], index, columns)
    return None


def _column(column: Any, where: str) -> Any:
    values = column.to_numpy()
    return (str(column.dtype), _array(values, where))


def _estimator(estimator: Any, where: str) -> tuple[str, Any, list[tuple[str, Any]]]:
    params = estimator.get_params(deep=False)
    kept = sorted((k, v) for k, v in params.items() if k not in EXECUTION_ONLY)
    return (
        "estimator",
        _callable(type(estimator), where),
        [(k, canonical(v, f"{where}__{k}")) for k, v in kept],
    )


def _callable(value: Any, where: str) -> Any:
    if isinstance(value, functools.partial):
        return (
            "partial",
            _callable(value.func, where),
            canonical(list(value.args), where),
            canonical(dict(value.keywords), where),
        )
    if isinstance(value, types.MethodType):
        return ("method", canonical(value.__self__, where), _callable(value.__func__, where))
    if isinstance(value, type):
        version = _package_version(value.__module__)
        if version is not None:
            return ("class", value.__module__, value.__qualname__, version)
        try:  # a class of a script or notebook: its methods are its identity
            source = inspect.getsource(value)
        except (OSError, TypeError):  # defined interactively: by name only
            source = None
        return ("class", value.__module__, value.__qualname__, source)
    if isinstance(value, types.FunctionType):
        return _function(value, where)
    return value


def _package_version(module: str) -> str | None:
    package = sys.modules.get(module.split(".")[0])
    version = getattr(package, "__version__", None)
    return None if version is None else str(version)


def _function(func: types.FunctionType, where: str) -> tuple[str, str, str, str]:
    name = f"{func.__module__}.{func.__qualname__}"
    how = (
        f"define it with `def` at the top level of a module (a named function whose result "
        f"depends only on its arguments) and pass that to {where}"
    )
    if func.__name__ == "<lambda>":
        raise ValueError(
            f"{where} is a lambda ({name}): a lambda has no name that identifies it across "
            f"runs, so what was computed with it cannot be told from another's; {how}."
        )
    if func.__closure__:
        raise ValueError(
            f"{where} is a closure ({name}) whose captured values are not in its source, so "
            f"what was computed with it cannot be told from another's; {how}."
        )
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        raise ValueError(
            f"{where} is the function {name}, whose source cannot be read (defined "
            f"interactively?), so a change to it could not be seen; {how}."
        ) from None
    return ("function", func.__module__, func.__qualname__, source)


def stat_signature(path: str | os.PathLike[str]) -> list[int]:
    """Return what the file system says of a file's identity and last change.

    Size, modification time, change time, inode and device, to skip
    hashing a file again when none of them moved. The change time
    (``st_ctime_ns``) moves with every write and cannot be set back (unlike
    the modification time, which ``cp -p`` or ``touch`` set), so a file whose
    signature equals the one recorded right after hashing it still has the
    bytes it had then. A copy elsewhere (another inode) is hashed again.

    Examples
    --------
    >>> import os, tempfile
    >>> from audiosk.utils._hashing import stat_signature
    >>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> _ = open(path, "wb").write(b"abc")
    >>> stat_signature(path)[0]
    3
    """
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]
