"""Long work over many files: records keyed by content, settings by hash, atomic writes.

The pieces shared by :func:`~audiosk.extraction.extract_features`,
:func:`~audiosk.images.write_spectrogram_images` and the dataset fetchers:

- a job's files (record, failures, parts, lock) are named after the full name
  of its output (``t.csv`` and ``t.parquet`` are two jobs);
- settings are identified by a hash of each parameter's value (arrays by
  their content, functions by qualified name and source), never by ``repr``;
- a file is identified by its path and a hash of its bytes;
- every write goes to a uniquely named temporary file in the target folder,
  renamed into place when complete; temporaries left by a killed run are
  removed by the next run, under the job's lock.
"""

# Past 400 lines because the hashes, the records, the atomic writers and the batch runner
# are the one contract every job keeps, and are read together.

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import tempfile
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "check_same_settings",
    "file_digest",
    "hash_file",
    "job_file",
    "read_table",
    "settings_record",
    "write_atomic",
    "write_json",
]

#: Columns of a table that hold text, whatever their values look like (``0001``).
TEXT_COLUMNS = ("path", "image", "error", "digest")


def job_file(out: Path, suffix: str) -> Path:
    """Name a file of the job writing ``out``: ``t.csv`` -> ``t.csv<suffix>``."""
    return out.with_name(out.name + suffix)


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, or ``""`` when it cannot be read (the row then fails).

    Examples
    --------
    >>> import os, tempfile
    >>> from audiosk._jobs import file_digest
    >>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> _ = open(path, "wb").write(b"abc")
    >>> file_digest(path)[:16]
    'ba7816bf8f01cfea'
    """
    try:
        return hash_file(path)
    except (OSError, ValueError):
        return ""


def hash_file(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in blocks (``algorithm`` as in :mod:`hashlib`)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


def _canonical(value: Any, where: str) -> Any:
    """Replace what pickling would identify by name only (functions, estimators) by content."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        params = value.get_params(deep=False)
        return (
            "estimator",
            f"{type(value).__module__}.{type(value).__qualname__}",
            {k: _canonical(v, f"{where}__{k}") for k, v in sorted(params.items())},
        )
    if isinstance(value, functools.partial):
        return (
            "partial",
            _canonical(value.func, where),
            _canonical(list(value.args), where),
            _canonical(dict(value.keywords), where),
        )
    if isinstance(value, types.MethodType):
        return ("method", _canonical(value.__self__, where), _canonical(value.__func__, where))
    if isinstance(value, types.FunctionType):
        return _function(value, where)
    if isinstance(value, type):
        return ("class", value.__module__, value.__qualname__)
    if isinstance(value, Mapping):
        return ("mapping", [(_canonical(k, where), _canonical(v, where)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_canonical(v, where) for v in value])
    return value


def _function(func: types.FunctionType, where: str) -> tuple[str, str, str, str]:
    name = f"{func.__module__}.{func.__qualname__}"
    how = (
        f"define it with `def` at the top level of a module (a named function whose result "
        f"depends only on its arguments) and pass that to {where}"
    )
    if func.__name__ == "<lambda>":
        raise ValueError(
            f"{where} is a lambda ({name}): a lambda has no name that identifies it across "
            f"runs, so the job cannot tell whether its rows are still valid; {how}."
        )
    if func.__closure__:
        raise ValueError(
            f"{where} is a closure ({name}) whose captured values are not in its source, so "
            f"the job cannot tell whether its rows are still valid; {how}."
        )
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        raise ValueError(
            f"{where} is the function {name}, whose source cannot be read (defined "
            f"interactively?), so the job cannot tell whether it changed; {how}."
        ) from None
    return ("function", func.__module__, func.__qualname__, source)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def settings_record(settings: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Identify each setting by a hash of its value, with a short text to name it by.

    An estimator among the values is expanded into its class and each of its
    parameters (``extractor``, ``extractor.n_mfcc``, ...), so that a
    difference is named down to the parameter.

    Parameters
    ----------
    settings : mapping of str to object
        Everything that decides the job's output.

    Returns
    -------
    record : dict of str to dict
        ``{name: {"hash": ..., "shown": ...}}``, JSON-serialisable.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk._jobs import settings_record
    >>> a = settings_record({"weights": np.zeros(3000)})
    >>> b = settings_record({"weights": np.r_[np.zeros(2999), 1.0]})
    >>> a["weights"]["hash"] == b["weights"]["hash"]
    False
    """
    import joblib

    flat: dict[str, Any] = {}
    for name, value in settings.items():
        if hasattr(value, "get_params") and not isinstance(value, type):
            flat[name] = f"{type(value).__module__}.{type(value).__qualname__}"
            for key, param in sorted(value.get_params(deep=True).items()):
                flat[f"{name}.{key}"] = param
        else:
            flat[name] = value
    record = {}
    for name, value in flat.items():
        try:
            digest = joblib.hash(_canonical(value, name))
        except ValueError:
            raise
        except Exception as exc:  # an object pickling cannot describe
            raise ValueError(
                f"{name} ({_shown(value)}) cannot be hashed to identify the job's settings "
                f"({type(exc).__name__}: {exc}); use values that pickle, or named functions."
            ) from None
        record[name] = {"hash": str(digest), "shown": _shown(value)}
    return record


def check_same_settings(
    recorded: Mapping[str, Any], settings: Mapping[str, Any], out: Path, where: Path
) -> None:
    """Refuse to reuse ``out`` when a setting's hash differs, naming each difference.

    Raises
    ------
    ValueError
        Naming each setting that differs, its value then and now, and how to start over.
    """
    names = list(settings) + [k for k in recorded if k not in settings]
    changed = []
    for name in names:
        then, now = recorded.get(name), settings.get(name)
        if not isinstance(then, Mapping) or now is None or then.get("hash") != now["hash"]:
            shown_then = then.get("shown") if isinstance(then, Mapping) else "unset"
            shown_now = now["shown"] if now is not None else "unset"
            changed.append(f"{name}: {shown_then} then, {shown_now} now")
    if changed:
        raise ValueError(
            f"'{out}' was made with other settings ({'; '.join(changed)}). Its content "
            f"cannot be reused: choose another output, or delete '{out}' and '{where}' to "
            "start over."
        )


def remove_stale_temporaries(folder: Path, name: str = "") -> None:
    """Delete temporaries a killed run left in ``folder`` (call it holding the job's lock)."""
    for stale in folder.glob(f".{name}*.tmp"):
        stale.unlink(missing_ok=True)


@contextmanager
def write_atomic(path: Path) -> Iterator[Path]:
    """Yield a unique temporary path beside ``path``; rename it into place if the block succeeds.

    On any error the temporary is deleted, so a failed write (a full disk)
    leaves ``path`` as it was and nothing else.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from audiosk._jobs import write_atomic
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with write_atomic(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['a.txt'])
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV, atomically (exact floats; names that are not UTF-8 kept as given)."""
    with write_atomic(path) as tmp:
        frame.to_csv(tmp, index=False, errors="surrogateescape")


def write_json(data: Any, path: Path) -> None:
    """Write ``data`` as JSON, atomically."""
    with write_atomic(path) as tmp:
        tmp.write_text(json.dumps(data, sort_keys=True))


def read_json(path: Path) -> Any:
    """Read a record; a damaged one is an error naming the file and what to do."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"The job record '{path}' cannot be read ({exc}); delete it and the output it "
            "describes to start over."
        ) from None


def _csv_options(path: Path, columns: Sequence[str] | None) -> dict[str, Any]:
    header = pd.read_csv(path, nrows=0, encoding_errors="surrogateescape").columns
    # object, not Arrow strings, which cannot hold a name that is not UTF-8
    text = {c: object for c in TEXT_COLUMNS if c in header}
    # pandas >= 3 parses floats round-trip by default (and deprecates the option)
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    return dict(
        keep_default_na=False,
        na_values={c: [""] for c in header if c not in text},
        dtype=text,
        usecols=columns,
        encoding_errors="surrogateescape",  # file names that are not UTF-8 come back as given
        **exact,
    )


def read_table(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a table a job wrote (CSV or Parquet), with exact floats and text paths.

    ``path``, ``image``, ``error`` and ``digest`` stay text (a file named
    ``0001`` is not the number 1), and an empty ``error`` is ``""``.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv`` or ``.parquet`` file.
    columns : sequence of str or None, default=None
        Read only these columns.

    Returns
    -------
    table : pandas.DataFrame

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from audiosk._jobs import read_table
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> pd.DataFrame({"path": ["0001"], "x": [0.1]}).to_csv(path, index=False)
    >>> read_table(path)["path"].tolist()
    ['0001']
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path, columns=columns)
    frame = pd.read_csv(path, **_csv_options(path, columns))
    for column in TEXT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].fillna("")
    return frame


def iter_table(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a finished table, without loading it whole."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
            yield batch.to_pandas()
    else:
        for chunk in pd.read_csv(path, chunksize=rows, **_csv_options(path, None)):
            for column in TEXT_COLUMNS:
                if column in chunk.columns:
                    chunk[column] = chunk[column].fillna("")
            yield chunk


class TableWriter:
    """Append DataFrame chunks to a CSV or Parquet file, renamed into place by :meth:`close`.

    Used as a context manager: an error before :meth:`close` deletes the
    temporary file and leaves the target as it was.
    """

    def __init__(self, path: Path):
        self.path = path
        self.parquet = path.suffix.lower() == ".parquet"
        self.writer: Any = None
        self.schema: Any = None
        self.rows = 0
        self._atomic = write_atomic(path)
        self.tmp = Path()

    def __enter__(self) -> TableWriter:
        self.tmp = self._atomic.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self._finish()
        elif self.writer is not None:
            self.writer.close()
        self._atomic.__exit__(*exc)

    def write(self, frame: pd.DataFrame) -> None:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False, schema=self.schema)
            if self.writer is None:
                self.schema = table.schema
                self.writer = pq.ParquetWriter(self.tmp, self.schema)
            self.writer.write_table(table)
        else:
            frame.to_csv(
                self.tmp,
                mode="w" if self.rows == 0 else "a",
                header=self.rows == 0,
                index=False,
                errors="surrogateescape",
            )
        self.rows += len(frame)

    def _finish(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.rows == 0:  # every file failed: an empty table
            empty = pd.DataFrame({"path": pd.Series([], dtype=str)})
            if self.parquet:
                empty.to_parquet(self.tmp, index=False)
            else:
                empty.to_csv(self.tmp, index=False)


def run_batches(
    func: Callable[[list[Any]], pd.DataFrame],
    batches: list[list[Any]],
    n_jobs: int | None,
    crashed: Callable[[Any], pd.DataFrame],
) -> Iterator[pd.DataFrame]:
    """Yield ``func(batch)`` for each batch, in order, surviving workers that die.

    Batches always run in worker processes (with one job, in a single reused
    worker), so a file whose native decoder kills its process (a segfault)
    never kills the caller. When a worker dies, the batches in flight are run
    again one item per process: the culprit becomes ``crashed(item)``, and the
    rest goes on.
    """
    from concurrent.futures.process import BrokenProcessPool

    from joblib import effective_n_jobs
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    workers = max(1, effective_n_jobs(n_jobs))
    while batches:
        done = 0
        try:
            for frame in _map(func, batches, n_jobs, workers):
                done += 1
                yield frame
            return
        except (TerminatedWorkerError, BrokenProcessPool):
            suspects, batches = batches[done : done + workers], batches[done + workers :]
            for batch in suspects:
                yield pd.concat(
                    [_isolated(func, item, crashed) for item in batch], ignore_index=True
                )


def _map(func, batches, n_jobs, workers) -> Iterator[pd.DataFrame]:
    if workers == 1:  # joblib would run in this process: use one worker process instead
        from joblib.executor import get_memmapping_executor

        for batch in batches:
            yield get_memmapping_executor(1).submit(func, batch).result()
        return
    from joblib import Parallel, delayed

    yield from Parallel(n_jobs=n_jobs, return_as="generator")(delayed(func)(b) for b in batches)


def _isolated(func, item, crashed) -> pd.DataFrame:
    """Run ``func([item])`` in a process of its own; a crash becomes ``crashed(item)``."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(func, [item]).result()
        except BrokenProcessPool:
            return crashed(item)
