"""Feature extraction of many files to a table: parallel, failure-tolerant, resumable.

Past 400 lines because the parts, the settings record, the crash recovery and
the table assembly are one job's stages and are read together.
"""

from __future__ import annotations

import json
import numbers
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from .utils._lock import FileLock

__all__ = ["extract_features"]

_EXTRACTORS = ("gtzan", "mfcc")


def _named_extractor(name: str, sr: int):
    from sklearn.pipeline import make_pipeline

    from .features import MFCC, GTZANFeatures, TemporalStats

    if name == "gtzan":
        return GTZANFeatures(sr=sr)
    if name == "mfcc":
        return make_pipeline(
            MFCC(sr=sr, n_mfcc=20), TemporalStats(stats=("mean", "var"), prefix="mfcc", start=1)
        )
    raise ValueError(
        f"Unknown extractor {name!r}; choose among {_EXTRACTORS} or pass a transformer."
    )


def _extract_batch(paths, extractor, sr, segment_seconds, hop_seconds):
    """Load and describe each file; a failing file gives an error row, never an exception.

    BLAS runs on one thread here, in the main process and in every worker alike,
    so that the values do not depend on ``n_jobs``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _extract_files(paths, extractor, sr, segment_seconds, hop_seconds)


def _extract_files(paths, extractor, sr, segment_seconds, hop_seconds):
    from .io import load_audio
    from .preprocessing import split_chunks
    from .utils import WaveformArray, Waveforms

    rows = []
    for path in paths:
        try:
            y, _ = load_audio(path, sr=sr)
            if segment_seconds:
                chunk = int(round(segment_seconds * sr))
                hop = int(round((hop_seconds or segment_seconds) * sr))
                clips = WaveformArray(
                    split_chunks([y], chunk_length=chunk, hop_length=hop)[0], sr=sr
                )
            else:
                clips = Waveforms([y], sr=sr)
            est = clone(extractor)
            table = np.asarray(est.fit_transform(clips), dtype=np.float64)
            # a pipeline's spectral steps have no column names: its last step names them
            namer = est.steps[-1][1] if hasattr(est, "steps") else est
            names = [str(n) for n in namer.get_feature_names_out()]
            frame = pd.DataFrame(table, columns=names)
            frame.insert(0, "path", str(path))
            if segment_seconds:
                frame.insert(1, "segment", np.arange(len(frame)))
            frame["error"] = ""
        except Exception as exc:  # one bad file never stops the run
            frame = pd.DataFrame({"path": [str(path)], "error": [f"{type(exc).__name__}: {exc}"]})
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def _part_path(parts_dir: Path, number: int) -> Path:
    return parts_dir / f"part-{number:06d}.csv"


def _write_part(frame: pd.DataFrame, path: Path) -> None:
    """Write a part as CSV (exact floats, and nothing that runs code when read back)."""
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)  # a killed run never leaves half a part


def _read_part(path: Path) -> pd.DataFrame:
    frame = _read_table(path)
    frame["error"] = frame["error"].fillna("").astype(str)
    return frame


def _stamp(path: str | os.PathLike) -> str:
    """Identify a file's content by its size and modification time."""
    try:
        info = os.stat(path)
    except OSError:
        return "missing"
    return f"{info.st_size}:{info.st_mtime_ns}"


def _settings(extractor, sr, segment_seconds, hop_seconds) -> dict:
    """Everything that decides a row's values, to refuse resuming under other settings."""
    from . import __version__

    described: object
    if isinstance(extractor, str):
        described = extractor
    else:
        params = extractor.get_params(deep=True) if hasattr(extractor, "get_params") else {}
        described = {
            "class": f"{type(extractor).__module__}.{type(extractor).__qualname__}",
            "params": {k: repr(v) for k, v in sorted(params.items())},
        }
    return {
        "audiosk": __version__,
        "extractor": described,
        "sr": float(sr),
        "segment_seconds": None if segment_seconds is None else float(segment_seconds),
        "hop_seconds": None if hop_seconds is None else float(hop_seconds),
    }


def _check_same_settings(recorded: dict, settings: dict, out: Path, where: Path) -> None:
    changed = [k for k in settings if recorded.get(k) != settings[k]]
    if changed:
        said = "; ".join(f"{k}: {recorded.get(k)!r} then, {settings[k]!r} now" for k in changed)
        raise ValueError(
            f"'{out}' was started with other settings ({said}). Its rows cannot be reused: "
            f"choose another output, or delete '{out}' and '{where}' to start over."
        )


def _write_json(data, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)


def _read_table(path: Path, columns=None) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path, columns=columns)
    # pandas >= 3 parses floats round-trip by default (and deprecates the option)
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    return pd.read_csv(path, keep_default_na=False, na_values=[""], usecols=columns, **exact)


def _iter_table(path: Path, rows: int):
    """Chunks of a finished table, without loading it whole."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
            yield batch.to_pandas()
    else:
        exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
        yield from pd.read_csv(path, keep_default_na=False, na_values=[""], chunksize=rows, **exact)


class _TableWriter:
    """Append DataFrame chunks to a CSV or Parquet file (written under a temporary name)."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.parquet = path.suffix.lower() == ".parquet"
        self.writer: Any = None
        self.schema = None
        self.rows = 0

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
                self.tmp, mode="w" if self.rows == 0 else "a", header=self.rows == 0, index=False
            )
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.rows == 0:  # every file failed: an empty table
            empty = pd.DataFrame({"path": pd.Series([], dtype=str)})
            if self.parquet:
                empty.to_parquet(self.tmp, index=False)
            else:
                empty.to_csv(self.tmp, index=False)
        os.replace(self.tmp, self.path)


def extract_features(
    paths: Sequence[str | os.PathLike],
    extractor="gtzan",
    *,
    out: str | os.PathLike,
    sr: int = 22050,
    segment_seconds: float | None = None,
    hop_seconds: float | None = None,
    n_jobs: int | None = None,
    batch_size: int = 8,
    verbose: int = 1,
    return_table: bool = True,
):
    """Describe many audio files in one table, surviving bad files and interruptions.

    Files are processed in batches on ``n_jobs`` workers (joblib, so inside
    ``with joblib.parallel_backend("dask"):`` the batches run on a Dask
    cluster). Each finished batch is written at once to ``<out>.parts/``; a
    killed run started again with the same arguments skips every finished
    file, and the final table equals an uninterrupted run's. A file that
    fails (unreadable, empty, ...) is listed with its error in
    ``<out stem>.failures.csv`` and never stops the run; the next run tries
    it again. The table is assembled from the parts a few at a time, so
    memory stays bounded however many files there are (with
    ``return_table=False``).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Audio files.
    extractor : "gtzan", "mfcc" or transformer, default="gtzan"
        ``"gtzan"`` is :class:`~audiosk.features.GTZANFeatures`; ``"mfcc"`` the mean and
        variance of 20 MFCCs; a transformer maps waveforms to a 2-D table
        and has ``get_feature_names_out`` (for a pipeline, its last step); it
        is cloned and fitted per file.
    out : str or os.PathLike
        The table: ``.csv`` or ``.parquet`` (needs pyarrow).
    sr : int, default=22050
        Rate the files are loaded at.
    segment_seconds : float or None, default=None
        Describe each ``segment_seconds`` segment of every file (one row
        each, with its ``segment`` index; ``path`` is the group to use in
        cross-validation) instead of whole files.
    hop_seconds : float or None, default=None
        Step between segments (``segment_seconds``: no overlap).
    n_jobs : int or None, default=None
        Worker processes (``-1``: all cores).
    batch_size : int, default=8
        Files per batch (one part file each).
    verbose : int, default=1
        Progress bar over files.
    return_table : bool, default=True
        Read the finished table back and return it; ``False`` returns the
        path and keeps memory bounded.

    Returns
    -------
    table : pandas.DataFrame or pathlib.Path
        ``path``, ``segment`` (segment mode), then the features; rows in the
        order of ``paths``; failed files have no row. The path of the table
        with ``return_table=False``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from audiosk.datasets import load_spoken_digits
    >>> from audiosk.extraction import extract_features
    >>> out = Path(tempfile.mkdtemp()) / "digits.csv"
    >>> table = extract_features(load_spoken_digits().filenames[:3], "mfcc", out=out, sr=8000, verbose=0)
    >>> table.shape, list(table.columns[:3])
    ((3, 41), ['path', 'mfcc1_mean', 'mfcc1_var'])
    """
    out = Path(out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"out must end in .csv or .parquet, got '{out}'.")
    _check_extract_params(extractor, sr, segment_seconds, hop_seconds, batch_size)
    settings = _settings(extractor, sr, segment_seconds, hop_seconds)
    extractor = _named_extractor(extractor, sr) if isinstance(extractor, str) else extractor
    paths = [str(p) for p in paths]
    if len(set(paths)) != len(paths):
        raise ValueError("paths contains duplicates; each file must appear once.")
    parts_dir = out.with_name(out.name + ".parts")
    failures_path = out.with_name(out.stem + ".failures.csv")
    record_path = out.with_name(out.stem + ".extraction.json")
    parts_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(parts_dir / "lock", f"'{out}'"):
        stamps = {p: _stamp(p) for p in paths}
        settings_path = parts_dir / "settings.json"
        if settings_path.exists():
            _check_same_settings(json.loads(settings_path.read_text()), settings, out, parts_dir)
        elif out.exists():
            done = _reuse_finished_table(out, record_path, settings, stamps, paths, verbose)
            if done:
                return _read_table(out) if return_table else out
            if not any(parts_dir.glob("part-*.csv")):
                _table_to_parts(out, record_path, parts_dir)
        _write_json(settings, settings_path)

        # which part holds each file's latest attempt, read one part at a time
        latest = {}
        part_files = sorted(parts_dir.glob("part-*.csv"))
        for part in part_files:
            frame = _read_part(part)
            for path, error, stamp in zip(
                frame["path"], frame["error"], frame["stamp"].astype(str), strict=True
            ):
                latest[path] = (part, error, stamp)
        todo = [p for p in paths if latest.get(p, (None, "missing", ""))[1:] != ("", stamps[p])]
        if verbose and len(todo) < len(paths):
            print(
                f"Resuming: {len(paths) - len(todo)} of {len(paths)} files already done.",
                flush=True,
            )

        progress = None
        if verbose:
            from tqdm.auto import tqdm

            progress = tqdm(
                total=len(paths), initial=len(paths) - len(todo), desc="extracting", unit="file"
            )
        number = len(part_files)
        for frame in _run_batches(
            todo, batch_size, n_jobs, (extractor, sr, segment_seconds, hop_seconds)
        ):
            part = _part_path(parts_dir, number)
            number += 1
            frame["stamp"] = frame["path"].map(stamps)
            _write_part(frame, part)
            for path, error in zip(frame["path"], frame["error"], strict=True):
                latest[path] = (part, error, stamps[path])
            if progress is not None:
                progress.update(frame["path"].nunique())
        if progress is not None:
            progress.close()

        # assemble in input order, a few parts in memory at a time
        writer, buffer = _TableWriter(out), []
        cache: dict[Path, dict] = {}
        failures = []
        for path in paths:
            part, error, _ = latest[path]
            if error:
                failures.append((path, error))
                continue
            if part not in cache:
                if len(cache) >= 4:
                    cache.pop(next(iter(cache)))
                frame = _read_part(part)
                cache[part] = {p: rows for p, rows in frame.groupby("path", sort=False)}
            buffer.append(cache[part][path].drop(columns=["error", "stamp"]))
            if sum(len(b) for b in buffer) >= 2048:
                writer.write(_tidy(pd.concat(buffer, ignore_index=True)))
                buffer = []
        if buffer:
            writer.write(_tidy(pd.concat(buffer, ignore_index=True)))
        writer.close()
        _write_json({"settings": settings, "stamps": stamps}, record_path)
        if failures:
            pd.DataFrame(failures, columns=["path", "error"]).to_csv(failures_path, index=False)
            if verbose:
                print(f"{len(failures)} files failed; see {failures_path}", flush=True)
        elif failures_path.exists():
            failures_path.unlink()
    shutil.rmtree(parts_dir, ignore_errors=True)
    return _read_table(out) if return_table else out


def _run_batches(todo, batch_size, n_jobs, args):
    """Yield one table per batch of files, in order, surviving workers that die.

    A file whose decoder crashes its worker process (a native library's
    segfault) would stop joblib's pool. When that happens, the batches in
    flight are run again one file per process, so the culprit gets an error
    row, and the rest goes on in parallel.
    """
    from joblib import Parallel, delayed

    try:
        from joblib.externals.loky.process_executor import TerminatedWorkerError
    except ImportError:  # pragma: no cover - loky is vendored in every joblib we support
        TerminatedWorkerError = RuntimeError  # noqa: N806

    from concurrent.futures.process import BrokenProcessPool

    batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    while batches:
        done = 0
        try:
            results = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_extract_batch)(batch, *args) for batch in batches
            )
            for frame in results:
                done += 1
                yield frame
            return
        except (TerminatedWorkerError, BrokenProcessPool):
            workers = max(1, abs(n_jobs or 1))
            suspects, batches = batches[done : done + workers], batches[done + workers :]
            for batch in suspects:
                yield pd.concat([_isolated(path, args) for path in batch], ignore_index=True)


def _isolated(path, args) -> pd.DataFrame:
    """Describe one file in a process of its own; a crash becomes an error row."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(_extract_batch, [path], *args).result()
        except BrokenProcessPool:
            return pd.DataFrame(
                {
                    "path": [str(path)],
                    "error": ["WorkerCrash: decoding this file killed the worker process"],
                }
            )


def _check_extract_params(extractor, sr, segment_seconds, hop_seconds, batch_size) -> None:
    """Validate everything before any file is read."""
    if isinstance(extractor, str):
        if extractor not in _EXTRACTORS:
            raise ValueError(
                f"Unknown extractor {extractor!r}; choose among {_EXTRACTORS} or pass a "
                "transformer."
            )
    elif not (hasattr(extractor, "fit_transform") and hasattr(extractor, "get_params")):
        raise TypeError(
            f"extractor must be a name or a scikit-learn transformer (it is cloned per file); "
            f"got {extractor!r}."
        )
    if isinstance(sr, bool) or not (isinstance(sr, numbers.Real) and float(sr) > 0):
        raise ValueError(f"sr must be a positive number of Hz; got {sr!r}.")
    for name, value in (("segment_seconds", segment_seconds), ("hop_seconds", hop_seconds)):
        if value is not None and not (isinstance(value, numbers.Real) and float(value) > 0):
            raise ValueError(f"{name} must be None or a positive number of seconds; got {value!r}.")
    if hop_seconds is not None and segment_seconds is None:
        raise ValueError("hop_seconds needs segment_seconds.")
    if isinstance(batch_size, bool) or not (
        isinstance(batch_size, numbers.Integral) and int(batch_size) >= 1
    ):
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}.")


def _reuse_finished_table(out, record_path, settings, stamps, paths, verbose) -> bool:
    """Check a finished table's record; return True when it already holds every file."""
    if not record_path.exists():
        raise ValueError(
            f"'{out}' exists but has no record of how it was made ('{record_path}'), so its "
            "rows cannot be trusted for these settings. Choose another output or delete it."
        )
    record = json.loads(record_path.read_text())
    _check_same_settings(record["settings"], settings, out, record_path)
    recorded = record["stamps"]
    if all(recorded.get(p) == stamps[p] for p in paths):
        if verbose:
            print(f"Resuming: {len(paths)} of {len(paths)} files already done.", flush=True)
        return True
    return False


def _table_to_parts(out, record_path, parts_dir) -> None:
    """Turn a finished table into parts, so that new or changed files can be added."""
    recorded = json.loads(record_path.read_text())["stamps"]
    for i, chunk in enumerate(_iter_table(out, rows=4096)):
        chunk = chunk.assign(error="", stamp=chunk["path"].map(recorded))
        _write_part(chunk, _part_path(parts_dir, i))


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    if "segment" in frame.columns:  # parts that held failures made it float
        frame["segment"] = frame["segment"].astype(int)
    return frame
