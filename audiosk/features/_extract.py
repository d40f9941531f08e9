"""Feature extraction of many files to a table: parallel, failure-tolerant, resumable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd
from sklearn.base import clone

__all__ = ["extract_features"]

_EXTRACTORS = ("gtzan", "mfcc")


def _named_extractor(name: str, sr: int):
    from sklearn.pipeline import make_pipeline

    from ._gtzan import GTZANFeatures
    from ._spectra import TemporalStats
    from ._spectral import MFCC

    if name == "gtzan":
        return GTZANFeatures(sr=sr)
    if name == "mfcc":
        return make_pipeline(MFCC(sr=sr, n_mfcc=20), TemporalStats(stats=("mean", "var"), prefix="mfcc", start=1))
    raise ValueError(f"Unknown extractor {name!r}; choose among {_EXTRACTORS} or pass a transformer.")


def _extract_batch(paths, extractor, sr, segment_seconds, hop_seconds):
    """Load and describe each file; a failing file gives an error row, never an exception."""
    from ..io import load_audio
    from ..preprocessing import split_chunks
    from ..utils import WaveformArray, Waveforms

    rows = []
    for path in paths:
        try:
            y, _ = load_audio(path, sr=sr)
            if segment_seconds:
                chunk = int(round(segment_seconds * sr))
                hop = int(round((hop_seconds or segment_seconds) * sr))
                clips = WaveformArray(split_chunks([y], chunk_length=chunk, hop_length=hop)[0], sr=sr)
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


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    elif suffix == ".csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_pickle(tmp)
    os.replace(tmp, path)


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".csv":
        # pandas >= 3 parses floats round-trip by default (and deprecates the option)
        exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
        return pd.read_csv(path, keep_default_na=False, na_values=[""], **exact)
    return pd.read_pickle(path)


def extract_features(
    paths: Sequence[Union[str, os.PathLike]],
    extractor="gtzan",
    *,
    out: Union[str, os.PathLike],
    sr: int = 22050,
    segment_seconds: Optional[float] = None,
    hop_seconds: Optional[float] = None,
    n_jobs: Optional[int] = None,
    batch_size: int = 8,
    verbose: int = 1,
) -> pd.DataFrame:
    """Describe many audio files in one table, surviving bad files and interruptions.

    Files are processed in batches on ``n_jobs`` workers (joblib, so a
    ``joblib.parallel_backend("dask")`` context runs it on a Dask cluster).
    Each finished batch is written at once to ``<out>.parts/``; a killed run
    started again with the same arguments skips every finished file, and the
    final table equals an uninterrupted run's. A file that fails (unreadable,
    empty, ...) is listed with its error in ``<out stem>.failures.csv`` and
    never stops the run; the next run tries it again.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Audio files.
    extractor : "gtzan", "mfcc" or transformer, default="gtzan"
        ``"gtzan"`` is :class:`GTZANFeatures`; ``"mfcc"`` the mean and
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

    Returns
    -------
    table : pandas.DataFrame
        ``path``, ``segment`` (segment mode), then the features; rows in the
        order of ``paths``. Failed files have no row.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from audiosk.datasets import load_spoken_digits
    >>> from audiosk.features import extract_features
    >>> out = Path(tempfile.mkdtemp()) / "digits.csv"
    >>> table = extract_features(load_spoken_digits().filenames[:3], "mfcc", out=out, sr=8000, verbose=0)
    >>> table.shape, list(table.columns[:3])
    ((3, 41), ['path', 'mfcc1_mean', 'mfcc1_var'])
    """
    from joblib import Parallel, delayed

    out = Path(out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"out must end in .csv or .parquet, got '{out}'.")
    extractor = _named_extractor(extractor, sr) if isinstance(extractor, str) else extractor
    paths = [str(p) for p in paths]
    if len(set(paths)) != len(paths):
        raise ValueError("paths contains duplicates; each file must appear once.")
    parts_dir = out.with_name(out.name + ".parts")
    failures_path = out.with_name(out.stem + ".failures.csv")

    done = []
    if out.exists():
        done.append(_read_table(out).assign(error=""))
    if parts_dir.is_dir():
        done += [_read_table(p) for p in sorted(parts_dir.glob("part-*.pkl"))]
    previous = pd.concat(done, ignore_index=True) if done else pd.DataFrame(columns=["path", "error"])
    previous["error"] = previous["error"].fillna("")
    finished = set(previous.loc[previous["error"] == "", "path"])
    todo = [p for p in paths if p not in finished]
    if verbose and finished:
        print(f"Resuming: {len(paths) - len(todo)} of {len(paths)} files already done.", flush=True)

    parts_dir.mkdir(parents=True, exist_ok=True)
    first_part = len(list(parts_dir.glob("part-*.pkl")))
    batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_extract_batch)(batch, extractor, sr, segment_seconds, hop_seconds) for batch in batches
    )
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=len(paths), initial=len(paths) - len(todo), desc="extracting", unit="file")
    new = []
    for i, frame in enumerate(results):
        _write_atomic(frame, parts_dir / f"part-{first_part + i:06d}.pkl")
        new.append(frame)
        if progress is not None:
            progress.update(frame["path"].nunique())
    if progress is not None:
        progress.close()

    everything = pd.concat([previous] + new, ignore_index=True)
    # the latest attempt of each file wins (a failure retried successfully)
    order = {p: i for i, p in enumerate(paths)}
    everything = everything[everything["path"].isin(order)]
    latest_ok = everything[everything["error"] == ""]
    failures = everything[~everything["path"].isin(set(latest_ok["path"]))].drop_duplicates("path", keep="last")
    table = latest_ok.drop(columns="error")
    sort_keys = ["_order"] + (["segment"] if "segment" in table.columns else [])
    table = (
        table.assign(_order=table["path"].map(order))
        .sort_values(sort_keys, kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    if "segment" in table.columns:
        table["segment"] = table["segment"].astype(int)
    table = table.dropna(axis=1, how="all")
    _write_atomic(table, out)
    if len(failures):
        _write_atomic(failures[["path", "error"]].reset_index(drop=True), failures_path)
        if verbose:
            print(f"{len(failures)} files failed; see {failures_path}", flush=True)
    elif failures_path.exists():
        failures_path.unlink()
    shutil.rmtree(parts_dir, ignore_errors=True)
    return table
