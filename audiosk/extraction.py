"""Feature extraction of many files to a table: parallel, failure-tolerant, resumable.

The job's stages (settings check, parts, crash recovery, table assembly) are
small functions below :func:`extract_features`; what every job shares
(records, hashes, atomic writes, batches in worker processes) is in
``audiosk._jobs``.
"""

# Past 400 lines because the job's stages and the checks of its parameters sit beside
# extract_features, whose docstring says what each stage guarantees.

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from ._jobs import (
    TableWriter,
    check_out_folder,
    check_same_settings,
    iter_table,
    job_file,
    read_json,
    read_table,
    remove_stale_temporaries,
    run_batches,
    settings_record,
    write_csv,
    write_json,
)
from .utils._hashing import file_digest
from .utils._lock import FileLock
from .utils._sklearn_compat import (
    HasMethods,
    IntInterval,
    PathSequence,
    RealInterval,
    StrOptions,
    validate_params,
)

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
        f"Unknown extractor '{name}'; choose among {_EXTRACTORS} or pass a transformer."
    )


def _extract_batch(paths, extractor, sr, window_seconds, hop_seconds, cwd):
    """Load and describe each file; a failing file gives an error row, never an exception.

    BLAS runs on one thread here, in every worker alike, so that the values do
    not depend on ``n_jobs``. Relative paths are read from the caller's
    folder ``cwd`` (a reused worker may have started elsewhere).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _extract_files(paths, extractor, sr, window_seconds, hop_seconds, cwd)


def _extract_files(paths, extractor, sr, window_seconds, hop_seconds, cwd):
    from .containers import WaveformArray, Waveforms
    from .io import load_audio
    from .preprocessing import split_windows

    rows = []
    for path in paths:
        try:
            y, _ = load_audio(os.path.join(cwd, path), sr=sr)
            if window_seconds:
                window = int(round(window_seconds * sr))
                hop = int(round((hop_seconds or window_seconds) * sr))
                windows, _, start = split_windows([y], window_length=window, hop_length=hop)
                clips = WaveformArray(windows, sr=sr)
            else:
                clips = Waveforms([y], sr=sr)
            est = clone(extractor)
            table = np.asarray(est.fit_transform(clips), dtype=np.float64)
            # a pipeline's spectral steps have no column names: its last step names them
            namer = est.steps[-1][1] if hasattr(est, "steps") else est
            names = [str(n) for n in namer.get_feature_names_out()]
            frame = pd.DataFrame(table, columns=names)
            frame.insert(0, "path", str(path))
            if window_seconds:
                frame.insert(1, "window", np.arange(len(frame)))
                frame.insert(2, "start", start / sr)
            frame["error"] = ""
        except Exception as exc:  # one bad file never stops the run
            frame = _error_row(path, f"{type(exc).__name__}: {exc}")
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


@validate_params(
    {
        "paths": [PathSequence()],
        "extractor": [StrOptions(set(_EXTRACTORS)), HasMethods(["fit_transform", "get_params"])],
        "out": [str, os.PathLike],
        "sr": [RealInterval(0, None, closed="neither")],
        "window_seconds": [RealInterval(0, None, closed="neither"), None],
        "hop_seconds": [RealInterval(0, None, closed="neither"), None],
        "n_jobs": [Integral, None],
        "batch_size": [IntInterval(1, None, closed="left")],
        "verbose": ["verbose"],
        "return_table": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def extract_features(
    paths: Sequence[str | os.PathLike],
    extractor="gtzan",
    *,
    out: str | os.PathLike,
    sr: int = 22050,
    window_seconds: float | None = None,
    hop_seconds: float | None = None,
    n_jobs: int | None = None,
    batch_size: int = 8,
    verbose: int = 1,
    return_table: bool = True,
):
    """Describe many audio files in one table, surviving bad files and interruptions.

    The table holds exactly the rows of ``paths``, in their order, whatever
    ran before on the same output. Files are processed in batches in worker
    processes (``n_jobs`` of them, one with ``n_jobs=None``; joblib, so
    inside ``with joblib.parallel_backend("dask"):`` the batches run on a
    Dask cluster). Each finished batch is written at once to
    ``<out>.parts/``; a killed run started again with the same arguments
    skips every finished file, and the final table equals an uninterrupted
    run's. A file that fails (unreadable, empty, or whose decoder kills its
    process) is listed with its error in ``<out>.failures.csv`` and never
    stops the run; every later run tries it again. The table is assembled
    from the parts a few at a time, so memory stays bounded however many
    files there are (with ``return_table=False``).

    A later run on the same ``out`` reuses the rows of files whose bytes are
    unchanged (a SHA-256 of each file, recorded with the settings in
    ``<out>.job.json``) and computes the others. Other settings are refused
    with an error naming each difference: the extractor's parameters
    (compared by audiosk's one content key: values by content, a mapping
    whatever its order, a function by its name and source, a parameter that
    names a file by the file's bytes), ``sr``, the windows, and the versions
    of the libraries that change numbers (audiosk, numpy, scipy, librosa,
    soundfile and libsndfile, soxr). What only decides how the work runs is
    no setting: ``n_jobs``, ``batch_size`` and ``verbose``, and ``n_jobs``
    and ``verbose`` of the extractor's steps. ``t.csv`` and ``t.parquet``
    are two jobs. Files are written with the modes a plain write gives, and
    the worker processes end with the caller, also after ``kill -9``.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Audio files (a list, tuple, array or Series; one file is ``[path]``).
    extractor : "gtzan", "mfcc" or transformer, default="gtzan"
        ``"gtzan"`` is :class:`~audiosk.features.GTZANFeatures`; ``"mfcc"`` the mean and
        variance of 20 MFCCs; a transformer maps waveforms to a 2-D table
        and has ``get_feature_names_out`` (for a pipeline, its last step); it
        is cloned and fitted per file.
    out : str or os.PathLike
        The table: ``.csv`` or ``.parquet`` (needs pyarrow), in an existing
        folder. With ``extractor="gtzan"`` it has the layout of the published
        GTZAN tables, which :func:`~audiosk.datasets.gtzan_table` reads.
    sr : int, default=22050
        Rate the files are loaded at.
    window_seconds : float or None, default=None
        Describe each ``window_seconds`` window of every file (one row
        each, with its ``window`` index and its ``start`` in seconds;
        ``path`` is the group to use in cross-validation) instead of whole
        files. The last window ends at the file's end, so no audio is left
        out (but a remainder under 1 % of a window); a file shorter than a window is one window padded with
        silence (:func:`~audiosk.preprocessing.split_windows`).
    hop_seconds : float or None, default=None
        Step between windows, at most ``window_seconds``
        (``window_seconds``: no overlap).
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): batches of files, in
        worker processes. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    batch_size : int, default=8
        Files per batch (one part file each).
    verbose : int, default=1
        Progress bar over files.
    return_table : bool, default=True
        Read the finished table back and return it; ``False`` returns the
        path and keeps memory bounded.

    Returns
    -------
    table : pandas.DataFrame of shape (n_rows, n_features + 1) or pathlib.Path
        ``path``, ``window`` and ``start`` (with ``window_seconds``), then the features; the rows of
        ``paths`` in their order (one per window with ``window_seconds``); failed
        files have no row. The path of the table with ``return_table=False``.

    See Also
    --------
    audiosk.datasets.gtzan_table : Read a table of ``extractor="gtzan"`` back.
    audiosk.images.write_spectrogram_images : The same job for spectrogram images.

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
    _check_windows(window_seconds, hop_seconds)
    check_out_folder(out.parent, "out", out)
    files = [os.fspath(p) for p in paths]
    _check_once(files)
    settings = settings_record(_settings(extractor, sr, window_seconds, hop_seconds))
    estimator = _named_extractor(extractor, sr) if isinstance(extractor, str) else extractor
    job = _Job(out)
    with FileLock(job.lock, f"'{out}'"):
        remove_stale_temporaries(out.parent, out.name, job.record.name, job.failures.name)
        digests = {p: file_digest(p) for p in files}
        if not _finished(job, settings, files, digests, verbose):
            latest = _open_parts(job, settings)
            todo = [p for p in files if p not in latest or latest[p][1:] != ("", digests[p])]
            if verbose and len(todo) < len(files):
                print(
                    f"Resuming: {len(files) - len(todo)} of {len(files)} files already done.",
                    flush=True,
                )
            compute = functools.partial(
                _extract_batch,
                extractor=estimator,
                sr=sr,
                window_seconds=window_seconds,
                hop_seconds=hop_seconds,
                cwd=os.getcwd(),
            )
            _compute(job, todo, digests, latest, compute, n_jobs, batch_size, len(files), verbose)
            failures = _assemble(job, files, latest)
            _finish(job, settings, files, digests, failures, verbose)
        # the lock is held until the parts are gone, so no other run can start on them
        shutil.rmtree(job.parts, ignore_errors=True)
        return read_table(out) if return_table else out


@dataclass(frozen=True)
class _Job:
    """The files of the job writing ``out``, all named after its full file name."""

    out: Path

    @property
    def parts(self) -> Path:
        return job_file(self.out, ".parts")

    @property
    def record(self) -> Path:
        return job_file(self.out, ".job.json")

    @property
    def failures(self) -> Path:
        return job_file(self.out, ".failures.csv")

    @property
    def lock(self) -> Path:
        return job_file(self.out, ".lock")


def _finished(job: _Job, settings: dict, paths: list[str], digests: dict, verbose: int) -> bool:
    """Check a finished table's record; True when it holds exactly these files, unchanged.

    Raises when the table exists without a record, or was made with other
    settings (naming each difference).
    """
    if (job.parts / "settings.json").exists() or not job.out.exists():
        return False
    if not job.record.exists():
        raise ValueError(
            f"'{job.out}' exists but has no record of how it was made ('{job.record}'), so "
            "its rows cannot be trusted for these settings. Choose another output or delete it."
        )
    record = read_json(job.record)
    check_same_settings(record["settings"], settings, job.out, job.record)
    if record["rows"] != [[p, digests[p], ""] for p in paths]:
        return False
    if verbose:
        print(f"Resuming: {len(paths)} of {len(paths)} files already done.", flush=True)
    return True


def _open_parts(job: _Job, settings: dict) -> dict[str, tuple[Path, str, str]]:
    """Check or start the parts folder; return each file's latest attempt (part, error, digest).

    A finished table whose record matches the settings becomes parts first,
    so that its rows of unchanged files are reused. The settings are written
    before any part, so a part never lies in a folder without them: a folder
    without settings (a run killed before writing them) is emptied.
    """
    settings_path = job.parts / "settings.json"
    if settings_path.exists():
        check_same_settings(read_json(settings_path), settings, job.out, job.parts)
    else:
        job.parts.mkdir(parents=True, exist_ok=True)
        for stale in job.parts.glob("part-*.csv"):  # of settings nobody recorded
            stale.unlink()
        write_json(settings, settings_path)
        if job.out.exists():  # its settings were checked by _finished
            _table_to_parts(job)
    remove_stale_temporaries(job.parts)
    latest = {}
    for part in sorted(job.parts.glob("part-*.csv")):
        frame = read_table(part, columns=["path", "error", "digest"])
        for path, error, digest in zip(frame["path"], frame["error"], frame["digest"], strict=True):
            latest[path] = (part, error, digest)
    return latest


def _table_to_parts(job: _Job) -> None:
    """Turn a finished table into parts, so that its rows can be reused."""
    digests = {path: digest for path, digest, _ in read_json(job.record)["rows"]}
    first = _next_part(job.parts)
    for i, chunk in enumerate(iter_table(job.out, rows=4096)):
        # a list, not Series.map: a name that is not UTF-8 cannot be an Arrow string
        chunk = chunk.assign(error="", digest=[digests.get(p, "") for p in chunk["path"]])
        _write_part(chunk, _part_path(job.parts, first + i))


def _compute(job, todo, digests, latest, compute, n_jobs, batch_size, total, verbose) -> None:
    """Describe the files of ``todo`` in batches, writing one part per batch as it finishes."""
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=total, initial=total - len(todo), desc="extracting", unit="file")
    number = _next_part(job.parts)
    batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    for frame in run_batches(compute, batches, n_jobs, _crash_row):
        part = _part_path(job.parts, number)
        number += 1
        frame.insert(1, "digest", [digests[p] for p in frame["path"]])
        _write_part(frame, part)
        for path, error in zip(frame["path"], frame["error"], strict=True):
            latest[path] = (part, error, digests[path])
        if progress is not None:
            progress.update(frame["path"].nunique())
    if progress is not None:
        progress.close()


def _assemble(job: _Job, paths: list[str], latest: dict) -> list[tuple[str, str]]:
    """Write the table: the rows of ``paths`` in their order, a few parts in memory at a time.

    Returns the failed files with their errors.
    """
    cache: dict[Path, tuple[pd.DataFrame, dict[str, list[int]]]] = {}
    failures, buffer = [], []
    with TableWriter(job.out) as writer:
        for path in paths:
            part, error, _ = latest[path]
            if error:
                failures.append((path, error))
                continue
            if part not in cache:
                if len(cache) >= 4:
                    cache.pop(next(iter(cache)))
                frame = read_table(part)
                rows: dict[str, list[int]] = {}
                for i, name in enumerate(frame["path"]):
                    rows.setdefault(name, []).append(i)
                cache[part] = (frame, rows)
            frame, rows = cache[part]
            buffer.append(frame.iloc[rows[path]].drop(columns=["error", "digest"]))
            if sum(len(b) for b in buffer) >= 2048:
                writer.write(_tidy(pd.concat(buffer, ignore_index=True)))
                buffer = []
        if buffer:
            writer.write(_tidy(pd.concat(buffer, ignore_index=True)))
    return failures


def _finish(job, settings, paths, digests, failures, verbose) -> None:
    """Record how the table was made, and list the failed files beside it."""
    errors = dict(failures)
    write_json(
        {"settings": settings, "rows": [[p, digests[p], errors.get(p, "")] for p in paths]},
        job.record,
    )
    if failures:
        write_csv(pd.DataFrame(failures, columns=["path", "error"], dtype=object), job.failures)
        if verbose:
            print(f"{len(failures)} files failed; see {job.failures}", flush=True)
    else:
        job.failures.unlink(missing_ok=True)


def _error_row(path: str, error: str) -> pd.DataFrame:
    # object columns: a name that is not UTF-8 cannot be held by pandas' Arrow strings
    return pd.DataFrame({"path": [str(path)], "error": [error]}, dtype=object)


def _crash_row(path: str) -> pd.DataFrame:
    return _error_row(path, "WorkerCrash: decoding this file killed the worker process")


def _part_path(parts_dir: Path, number: int) -> Path:
    return parts_dir / f"part-{number:06d}.csv"


def _next_part(parts_dir: Path) -> int:
    numbers_ = [int(p.stem.split("-")[1]) for p in parts_dir.glob("part-*.csv")]
    return max(numbers_, default=-1) + 1


def _write_part(frame: pd.DataFrame, path: Path) -> None:
    """Write a part as CSV (exact floats, and nothing that runs code when read back)."""
    write_csv(frame, path)  # a killed run never leaves half a part


def _settings(extractor, sr, window_seconds, hop_seconds) -> dict[str, Any]:
    """Everything that decides a row's values, to refuse resuming under other settings."""
    from .utils._windows import TAIL_SHARE

    settings = {
        "extractor": extractor,
        "sr": float(sr),
        "window_seconds": None if window_seconds is None else float(window_seconds),
        "hop_seconds": None if hop_seconds is None else float(hop_seconds),
    }
    if window_seconds is not None:  # window tables written before this rule are not resumed
        settings["windows"] = f"the last ends at the file's end (tail share {TAIL_SHARE})"
    return settings


def _check_once(files: list[str]) -> None:
    """Refuse a file named twice, however it is spelled (``./a.wav`` and ``a.wav``)."""
    spellings: dict[str, list[str]] = {}
    for name in files:
        spellings.setdefault(os.path.realpath(name), []).append(name)
    repeated = [names for names in spellings.values() if len(names) > 1]
    if repeated:
        shown = "; ".join(" and ".join(repr(n) for n in names) for names in repeated[:5])
        raise ValueError(
            f"paths names these files more than once: {shown}; each file must appear once."
        )


def _check_windows(window_seconds, hop_seconds) -> None:
    """Check what the parameter constraints cannot: the windows' parameters together."""
    if hop_seconds is not None and window_seconds is None:
        raise ValueError("hop_seconds needs window_seconds.")
    if hop_seconds is not None and hop_seconds > window_seconds:
        raise ValueError(
            f"hop_seconds={hop_seconds} is longer than window_seconds={window_seconds}, so "
            "the audio between windows would be skipped. Use a hop of at most window_seconds."
        )


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    if "window" in frame.columns:  # parts that held failures made it float
        frame["window"] = frame["window"].astype(int)
    return frame
