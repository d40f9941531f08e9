"""Long work over many files: records keyed by content, settings by hash, atomic writes.

The pieces shared by :func:`~audiosk.extraction.extract_features`,
:func:`~audiosk.images.write_spectrogram_images` and the dataset fetchers:

- a job's files (record, failures, parts, lock) are named after the full name
  of its output (``t.csv`` and ``t.parquet`` are two jobs), shortened by a
  hash where it leaves them no room in a file name's 255 bytes;
- settings are identified by the content key of ``audiosk.utils._hashing``
  (the one of every cache and job), never by ``repr``;
- a file is identified by its path and a hash of its bytes;
- every write goes to a uniquely named temporary file in the target folder,
  with the mode a plain write would give the file, renamed into place when
  complete; temporaries left by a killed run are removed by the next run,
  under the job's lock (those of its own files only);
- batches run in worker processes (:func:`run_batches`) that end with the
  process that started them.
"""

# Past 400 lines because the records, the atomic writers and the batch runner are the one
# contract every job keeps, and are read together.

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd

from .utils._hashing import (
    EXECUTION_ONLY,
    NAME_MAX,
    canonical,
    file_digest,
    fit_name,
    library_versions,
)

__all__ = [
    "check_out_folder",
    "check_same_settings",
    "current_umask",
    "file_digest",  # the rows' key, from the one content key's module
    "job_file",
    "read_table",
    "run_batches",
    "settings_record",
    "write_atomic",
    "write_json",
]

#: Columns of a table that hold text, whatever their values look like (``0001``).
TEXT_COLUMNS = ("path", "image", "error", "digest")


def job_file(out: Path, suffix: str) -> Path:
    """Name a file of the job writing ``out``: ``t.csv`` -> ``t.csv<suffix>``.

    A name too long for ``<suffix>`` to fit in a file name is shortened by a
    hash (:func:`~audiosk.utils._hashing.fit_name`).
    """
    return out.with_name(fit_name(out.name, room=len(os.fsencode(suffix))) + suffix)


def _shown(value: Any, key: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    if isinstance(key, tuple) and len(key) == 3 and key[0] == "file":  # a file: which bytes
        text += f" (sha256 {key[2][:12] or 'unreadable'})"
    return text


def settings_record(
    settings: Mapping[str, Any], libraries: Sequence[str] = ()
) -> dict[str, dict[str, str]]:
    """Identify each setting by its content key, with a short text to name it by.

    An estimator among the values is expanded into its class and each of its
    parameters (``extractor``, ``extractor.n_mfcc``, ...), so that a
    difference is named down to the parameter; parameters that only decide
    how the work runs (``n_jobs``, ``verbose``) are left out. The versions
    of the libraries that change numbers (and of ``libraries``) are settings
    too.

    Parameters
    ----------
    settings : mapping of str to object
        Everything that decides the job's output.
    libraries : sequence of str, default=()
        Libraries besides :data:`~audiosk.utils._hashing.NUMERIC_LIBRARIES`
        whose versions change the output (``"matplotlib"`` for images).

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

    flat: dict[str, tuple[Any, str]] = {}
    for name, value in settings.items():
        if hasattr(value, "get_params") and not isinstance(value, type):
            cls = type(value)
            flat[name] = (cls, repr(f"{cls.__module__}.{cls.__qualname__}"))
            for key, param in sorted(value.get_params(deep=True).items()):
                if key.rpartition("__")[2] not in EXECUTION_ONLY:
                    flat[f"{name}.{key}"] = (param, "")
        else:
            flat[name] = (value, "")
    for library, version in library_versions(*libraries).items():
        flat[library] = (version, "")
    record = {}
    for name, (value, shown) in flat.items():
        try:
            key = canonical(value, name)
            digest = joblib.hash(key)
        except ValueError:
            raise
        except Exception as exc:  # an object pickling cannot describe
            raise ValueError(
                f"{name} ({_shown(value, None)}) cannot be hashed to identify the job's "
                f"settings ({type(exc).__name__}: {exc}); use values that pickle, or named "
                "functions."
            ) from None
        record[name] = {"hash": str(digest), "shown": shown or _shown(value, key)}
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


def check_out_folder(folder: Path, name: str, out: Any) -> None:
    """Refuse an output whose folder does not exist, or whose name is too long, naming the parameter.

    Called before any lock.
    """
    length = len(os.fsencode(Path(out).name))
    if length > NAME_MAX:
        raise ValueError(
            f"{name}='{out}' is named by {length} bytes, more than a file name may have "
            f"({NAME_MAX}); choose a shorter name."
        )
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{name}='{out}' lies in '{folder}', which is not an existing folder; create it "
            "first (or choose another output)."
        )


#: The tail of a temporary's name: a dot, 8 random hex digits, ``.tmp``.
_TEMPORARY = r"\.[0-9a-f]{8}\.tmp"


def _temporary_start(name: str) -> str:
    """Start of the names of ``name``'s temporaries: ``.<name>``, shortened to leave room."""
    return fit_name(f".{name}", room=len(".01234567.tmp"))


def remove_stale_temporaries(folder: Path, *names: str) -> None:
    """Delete temporaries a killed run left in ``folder`` (call it holding the job's lock).

    Only those of the files ``names``, so that the live temporaries of
    another job in the folder (``t.csv.v2.csv`` beside ``t.csv``) are left
    alone; with no names, every temporary (of a folder the job owns).
    """
    starts = "|".join(re.escape(_temporary_start(n)) for n in names)
    pattern = re.compile(f"(?:{starts}){_TEMPORARY}", re.DOTALL)
    for stale in folder.glob(".*.tmp"):
        if not names or pattern.fullmatch(stale.name):
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
    tmp = _new_temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_temporary(path: Path) -> Path:
    """Create an empty, uniquely named file beside ``path`` with the mode a plain write gives.

    That is the mode of ``path`` when it exists (rewriting a file keeps its
    mode), else ``0o666`` less the umask, as :func:`open` gives; never
    :func:`tempfile.mkstemp`'s ``0o600``, which others could not read.
    """
    while True:
        tmp = path.with_name(f"{_temporary_start(path.name)}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        with suppress(FileNotFoundError):  # a new file keeps 0o666 less the umask
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        return tmp


def current_umask() -> int:
    """Return this process's umask without changing it (Linux), else by setting it back at once.

    A job's workers are reused across calls, so they take the caller's umask
    with each batch (``os.umask(current_umask())`` in the worker) and write
    files with the modes a plain write in the caller would give.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
    """Yield ``func(batch)`` for every batch as it finishes, surviving workers that die.

    The one runner of audiosk's long jobs. Batches always run in worker
    processes (``n_jobs`` of them, one with ``n_jobs=None``), so a file whose
    native decoder kills its process (a segfault) never kills the caller;
    the batches of a dead worker are run again one item per process, the
    culprit becoming ``crashed(item)``. The workers end when the caller's
    process ends, also when it is killed (``kill -9``). Inside a joblib
    context with a backend of its own (``joblib.parallel_backend("dask")``)
    the batches run there, in order.

    Parameters
    ----------
    func : callable
        Maps a batch (a list of items) to a DataFrame; it must not raise for
        one bad item. Module-level (it is pickled to the workers).
    batches : list of list
        The work.
    n_jobs : int or None
        Worker processes, as joblib reads it.
    crashed : callable
        Maps an item whose process died to its DataFrame.

    Yields
    ------
    frame : pandas.DataFrame
        One per batch, in the order batches finish.
    """
    from joblib import effective_n_jobs

    if not batches:
        return
    workers = max(1, min(int(effective_n_jobs(n_jobs)), len(batches)))
    if _local_backend():
        yield from _run_local(func, batches, workers, crashed)
    else:
        yield from _run_remote(func, batches, n_jobs, workers, crashed)


def _local_backend() -> bool:
    """Whether joblib's active backend runs on this machine (its default, or threads)."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    local = {"LokyBackend", "MultiprocessingBackend", "ThreadingBackend", "SequentialBackend"}
    return type(backend).__name__ in local


def _run_local(func, batches, workers, crashed) -> Iterator[pd.DataFrame]:
    """Run batches in a reused pool of ``workers`` processes that end with this one."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    from joblib.executor import get_memmapping_executor
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    todo = list(range(len(batches)))[::-1]  # popped from the end: submitted in order
    while todo:
        pool = get_memmapping_executor(
            workers, initializer=_end_with_parent, initargs=(os.getpid(),)
        )
        running: dict[Any, int] = {}
        crashes: list[int] = []
        try:
            while todo or running:
                while todo and not crashes and len(running) < workers:
                    index = todo.pop()
                    running[pool.submit(func, batches[index])] = index
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    index = running.pop(future)
                    try:
                        frame = future.result()
                    except (TerminatedWorkerError, BrokenProcessPool):
                        crashes.append(index)  # the pool is broken: the others fail too
                        continue
                    yield frame
        finally:
            for future in running:
                future.cancel()
        for index in sorted(crashes):
            yield pd.concat(
                [_isolated(func, item, crashed) for item in batches[index]], ignore_index=True
            )


def _run_remote(func, batches, n_jobs, workers, crashed) -> Iterator[pd.DataFrame]:
    """Run batches on joblib's active backend (a cluster), in order."""
    from concurrent.futures.process import BrokenProcessPool

    from joblib import Parallel, delayed
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    while batches:
        done = 0
        try:
            parallel = Parallel(n_jobs=n_jobs, return_as="generator")
            for frame in parallel(delayed(func)(batch) for batch in batches):
                done += 1
                yield frame
            return
        except (TerminatedWorkerError, BrokenProcessPool):
            suspects, batches = batches[done : done + workers], batches[done + workers :]
            for batch in suspects:
                yield pd.concat(
                    [_isolated(func, item, crashed) for item in batch], ignore_index=True
                )


def _isolated(func, item, crashed) -> pd.DataFrame:
    """Run ``func([item])`` in a process of its own; a crash becomes ``crashed(item)``."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(
        max_workers=1, initializer=_end_with_parent, initargs=(os.getpid(),)
    ) as pool:
        try:
            return pool.submit(func, [item]).result()
        except BrokenProcessPool:
            return crashed(item)


def _end_with_parent(parent: int) -> None:
    """Worker initializer: end this process as soon as ``parent`` (the caller) is gone.

    An idle worker would otherwise wait for work for minutes after a
    ``kill -9`` of the caller, holding its terminal. A direct child sees its
    parent change (it is adopted); any other watches the caller's pid.
    """

    def direct_child_alive() -> bool:
        return os.getppid() == parent

    def caller_alive() -> bool:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    alive = direct_child_alive if os.getppid() == parent else caller_alive

    def watch() -> None:
        while alive():
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="audiosk-end-with-parent", daemon=True).start()
