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
- a number by its value (``2``, ``2.0`` and ``np.int64(2)`` are one value;
  ``True`` is not ``1``; NaN is NaN);
- a function by its qualified name, source and default arguments (a lambda,
  a closure or a function without readable source is refused: its results
  could not be told apart from another's; a decorator's wrapper made with
  :func:`functools.wraps` by its source and what it captured, the decorated
  function among it; ``functools.cache`` and the like by the function they
  wrap); only the function's own text: the module constants it reads and the
  functions it calls are not part of its key;
- a class by its name and its package's version, or by its source and that
  of the classes it inherits from when its package has no version (a class
  of a script); an object of such a class (a callable object) by its class
  and its state;
- an estimator by its class and its parameters, less those that decide only
  how the work runs (:data:`EXECUTION_ONLY`);
- a mapping or a set whatever its order; any other sequence (a deque, a
  ``UserList``, ``dict.values()``, a pyarrow array) as a list of its items.

:func:`library_versions` lists the libraries whose versions change numbers.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
import types
from collections.abc import Iterator, Mapping, Sequence, Set, ValuesView
from typing import Any

import numpy as np

from ..containers import DiskArray

__all__ = [
    "EXECUTION_ONLY",
    "canonical",
    "content_key",
    "file_digest",
    "fit_name",
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

#: The longest file name, in bytes, of the file systems audiosk writes to (Linux, macOS).
NAME_MAX = 255


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
    TypeError
        For an iterator (a generator), which computing a key would use up.
    """
    if isinstance(value, (str, os.PathLike)):  # before scalars: numpy's str is one
        return _name(value)
    if isinstance(value, (bytes, bytearray, memoryview)):  # a name as bytes, or data
        data = bytes(value)
        return _name(data) if _is_file(data) else data
    if value is None or isinstance(value, (bool, int, float, complex, np.generic)):
        return _number(value)
    if isinstance(value, np.ndarray):
        return _array(value, where)
    if isinstance(value, DiskArray):
        return ("DiskArray", file_digest(value.path), value.rows, str(value.dtype), value.shape)
    if isinstance(value, list) and hasattr(value, "sr"):  # Waveforms, Spectra
        return (type(value).__name__, value.sr, [_array(np.asarray(v), where) for v in value])
    if hasattr(value, "get_params") and not isinstance(value, type):
        return _estimator(value, where)
    if callable(value):
        return _callable(value, where)
    if isinstance(value, Mapping):
        items = [(canonical(k, where), canonical(v, f"{where}[{k!r}]")) for k, v in value.items()]
        return ("mapping", sorted(items, key=_order))
    if isinstance(value, Set):
        return ("set", sorted((canonical(v, where) for v in value), key=_order))
    if isinstance(value, (Sequence, ValuesView)):  # a list, tuple, deque, UserList, dict.values()
        return ("sequence", [canonical(v, f"{where}[{i}]") for i, v in enumerate(value)])
    frame = _frame(value, where)
    if frame is not None:
        return frame
    return _other(value, where)


def _number(value: Any) -> Any:
    """Key a number by its value: an integral float as the int, numpy's as Python's, NaN as one."""
    if isinstance(value, (np.bool_, np.number)):
        value = value.item()
    if value is None or isinstance(value, bool):  # True is not 1
        return value
    if isinstance(value, complex):
        if value.imag == 0:
            return _number(value.real)
        return ("complex", _number(value.real), _number(value.imag))
    if isinstance(value, float):
        if value != value:  # every NaN, whatever its bits
            return ("float", "nan")
        return int(value) if value.is_integer() else value
    return int(value) if isinstance(value, int) else value


def _other(value: Any, where: str) -> Any:
    """Key what no rule above names: arrays of other libraries, objects, or the value itself."""
    if hasattr(value, "__array__") and hasattr(value, "__len__"):  # a pyarrow array
        try:
            return _array(np.asarray(value), where)
        except Exception:  # a tensor that numpy cannot read: by its value below
            pass
    if isinstance(value, Iterator):
        raise TypeError(
            f"{where} is an iterator ({type(value).__name__}), which computing its key would "
            "use up; pass a list (or tuple, array, pandas Series) instead."
        )
    if not _is_library(type(value).__module__):
        return _object(value, where)
    return value


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
        return _class(value)
    if isinstance(value, types.FunctionType):
        return _function(value, where)
    if not _is_library(type(value).__module__):  # an object with __call__, of a script
        return _object(value, where)
    wrapped = getattr(value, "__wrapped__", None)
    if wrapped is not None:  # functools.cache and the like: the function they wrap
        return ("wrapped", _class(type(value)), _callable(wrapped, where))
    return value


def _class(cls: type) -> tuple[str, str, str, Any]:
    """Key a class by its package's version, or (of a script) by its source and its bases'."""
    version = _package_version(cls.__module__)
    if version is not None:
        return ("class", cls.__module__, cls.__qualname__, version)
    # its methods and those it inherits are its identity: the source of each class of its
    # MRO without a version, the version of each with one
    bodies = [
        (c.__module__, c.__qualname__, _package_version(c.__module__) or _source(c))
        for c in cls.__mro__
        if c.__module__ != "builtins"
    ]
    return ("class", cls.__module__, cls.__qualname__, bodies)


def _source(value: Any) -> str | None:
    try:
        return inspect.getsource(value)
    except (OSError, TypeError):  # defined interactively, or in C: by name only
        return None


def _object(value: Any, where: str) -> tuple[str, Any, Any]:
    """Key an object of a class of a script (a callable object) by its class and its state."""
    try:
        state = value.__getstate__()
    except Exception:  # an object that cannot give its state: its pickle, by its value
        state = value
    else:
        state = canonical(state, where)
    return ("object", _class(type(value)), state)


def _package_version(module: str | None) -> str | None:
    package = sys.modules.get(str(module).split(".")[0])
    version = getattr(package, "__version__", None)
    return None if version is None else str(version)


def _is_library(module: str | None) -> bool:
    """Whether ``module`` is Python's own or of a versioned package (not of a script)."""
    top = str(module).split(".")[0]
    return not module or top in sys.stdlib_module_names or _package_version(module) is not None


def _function(func: types.FunctionType, where: str) -> tuple[Any, ...]:
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
    wrapper = getattr(func, "__wrapped__", None) is not None
    if func.__closure__ and not wrapper:
        raise ValueError(
            f"{where} is a closure ({name}) whose captured values are not in its source, so "
            f"what was computed with it cannot be told from another's; {how}."
        )
    source = _source(func)
    if source is None:
        raise ValueError(
            f"{where} is the function {name}, whose source cannot be read (defined "
            f"interactively?), so a change to it could not be seen; {how}."
        )
    defaults = canonical([func.__defaults__, func.__kwdefaults__], f"{where}'s defaults")
    key: tuple[Any, ...] = ("function", func.__module__, func.__qualname__, source, defaults)
    if func.__closure__:  # a decorator's wrapper (functools.wraps): what it captured
        captured = [_cell(c) for c in func.__closure__]
        key += (canonical([c for c in captured if c is not func], f"{where}.__wrapped__"),)
    return key


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # a name not bound yet
        return None


def fit_name(name: str, room: int = 0) -> str:
    """Shorten ``name`` so that ``room`` more bytes fit in a file name (255 bytes).

    A name that fits is kept; a longer one becomes its start, ``~`` and 16
    hex digits of its SHA-256, so that two long names stay two names.

    Examples
    --------
    >>> from audiosk.utils._hashing import fit_name
    >>> fit_name("t.csv", room=9)
    't.csv'
    >>> len(fit_name("o" * 250 + ".csv", room=9).encode()) + 9
    255
    """
    if len(os.fsencode(name)) + room <= NAME_MAX:
        return name
    digest = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    head = name
    while head and len(os.fsencode(head + digest)) + room > NAME_MAX:
        head = head[:-1]
    return head + digest


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
