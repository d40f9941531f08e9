"""Folders of spectrogram images, one PNG per file and kind, written as a resumable job.

Each kind's folder (``out/<kind>/``) records the settings it was drawn
with and, for every image, the file it was drawn from (its real path), a
hash of that file's bytes and the file's group (``job.json``). A later run
keeps an image only when the same file, with the same content, drew it
under the same settings; other settings are refused, naming the
difference. The folder holds exactly the images of the files of the last
run. Files are drawn in batches by the job layer's runner
(``audiosk._jobs.run_batches``), and the record is written after every
batch, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._jobs import (
    check_same_settings,
    current_umask,
    read_json,
    remove_stale_temporaries,
    run_batches,
    settings_record,
    write_atomic,
    write_json,
)
from .utils._hashing import NAME_MAX, file_digest
from .utils._lock import FileLock
from .utils._sklearn_compat import (
    IntInterval,
    PathSequence,
    RealInterval,
    validate_params,
)

#: The report's columns.
COLUMNS = ["path", "kind", "image", "status", "error"]

__all__ = ["write_spectrogram_images"]


def _image_steps(kinds, sr, n_fft, hop_length, n_mels, n_bins, fmin) -> dict[str, Any]:
    from .features import MFCC, MelSpectrogram, Spectrogram

    stft = dict(sr=sr, n_fft=n_fft, hop_length=hop_length)
    available = {
        "linear": lambda: Spectrogram(**stft, db=True, ref="max"),
        "log": lambda: Spectrogram(
            **stft, db=True, ref="max", frequency_scale="log", n_bins=n_bins, fmin=fmin
        ),
        "mel": lambda: MelSpectrogram(**stft, n_mels=n_mels, db=True, ref="max"),
        "mfcc": lambda: MFCC(**stft, n_mels=n_mels),
    }
    unknown = [k for k in kinds if k not in available]
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {sorted(available)}; got {kinds!r}.")
    return {kind: available[kind]() for kind in kinds}


@validate_params(
    {
        "paths": [PathSequence()],
        "out": [str, os.PathLike],
        "kinds": [list, tuple],
        "sr": [IntInterval(1, None, closed="left")],
        "n_fft": [IntInterval(1, None, closed="left")],
        "hop_length": [IntInterval(1, None, closed="left")],
        "n_mels": [IntInterval(1, None, closed="left")],
        "n_bins": [IntInterval(1, None, closed="left")],
        "fmin": [RealInterval(0, None, closed="neither")],
        "figsize": [tuple, list],
        "dpi": [IntInterval(1, None, closed="left")],
        "cmap": [str],
        "with_axes": ["boolean"],
        "n_jobs": [Integral, None],
        "batch_size": [IntInterval(1, None, closed="left")],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def write_spectrogram_images(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    kinds: Sequence[str] = ("linear", "log", "mel"),
    sr: int = 22050,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    n_bins: int = 128,
    fmin: float = 32.7,
    figsize: tuple[float, float] = (4.32, 2.88),
    dpi: int = 100,
    cmap: str = "magma",
    with_axes: bool = False,
    n_jobs: int | None = None,
    batch_size: int = 8,
    verbose: int = 0,
) -> pd.DataFrame:
    """Write one spectrogram PNG per file and kind into ``out/<kind>/<file stem>.png``.

    The images of reference workflow 4: linear, log-frequency and Mel
    spectrograms (and MFCCs) in dB, drawn by
    :func:`~audiosk.plotting.plot_spectrogram`. The job resumes: an image is
    kept when the same file (the same real path, however it is named), with
    the same bytes (a hash of its content, not its modification time), drew
    it under the same settings; otherwise it is drawn again. Each kind's
    folder records its settings, the versions of the libraries that change
    pixels, and its images with their source files and groups
    (``job.json``): a run with other settings is refused, naming the
    difference, and so is a file whose stem names an image another file drew
    (``train/001.wav`` and ``test/001.wav`` into one folder). Afterwards the
    folder holds exactly the images of ``paths``: those of files not asked
    this time are removed. Files are drawn in batches in worker processes
    (also with ``n_jobs=None``), and the record is written after each batch:
    a killed run resumes where it stopped. A file that cannot be read or
    drawn, or whose decoder kills its worker, is reported as "failed" (its
    old images are removed), the other files are still drawn, and the next
    run tries it again. Two runs into one folder at once: the second is
    refused. :func:`~audiosk.datasets.load_image_folder` reads the tree back.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Audio files; their stems name the images and must be unique. The
        groups of a :class:`~audiosk.datasets.ClipPaths` are recorded with
        the images.
    out : str or os.PathLike
        Root of the tree, created if missing.
    kinds : sequence of {"linear", "log", "mel", "mfcc"}, default=("linear", "log", "mel")
        Images per file, one folder each.
    sr : int, default=22050
        Rate the files are loaded at.
    n_fft : int, default=2048
        FFT size.
    hop_length : int, default=512
        Samples between frames.
    n_mels : int, default=128
        Mel bands (``"mel"`` and ``"mfcc"``).
    n_bins : int, default=128
        Bins of the log-frequency axis (``"log"``).
    fmin : float, default=32.7
        Lowest frequency of the log-frequency axis, in Hz.
    figsize : tuple of 2 float, default=(4.32, 2.88)
        Image size in inches (432 x 288 pixels at ``dpi=100``).
    dpi : int, default=100
        Pixels per inch.
    cmap : str, default="magma"
        Colormap.
    with_axes : bool, default=False
        Draw axes, title and colour bar (for people); without them the image
        is the spectrogram alone (for a network).
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): batches of files, in
        worker processes. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    batch_size : int, default=8
        Files per batch (the record is written after each).
    verbose : int, default=0
        Progress bar over files.

    Returns
    -------
    report : pandas.DataFrame of shape (n_files * n_kinds, 5)
        One row per file and kind, in the order of ``paths``: ``path`` (as
        given), ``kind``, ``image``, ``status`` ("written", "kept" or
        "failed") and ``error``.

    See Also
    --------
    audiosk.datasets.load_image_folder : Read the images back, with their groups.

    Examples
    --------
    >>> import tempfile
    >>> from audiosk.datasets import load_spoken_digits
    >>> from audiosk.images import write_spectrogram_images
    >>> paths, out = load_spoken_digits().filenames[:2], tempfile.mkdtemp()
    >>> report = write_spectrogram_images(paths, out, sr=8000, n_fft=256, hop_length=64)
    >>> report[["kind", "status"]].value_counts().sort_index().to_dict()
    {('linear', 'written'): 2, ('log', 'written'): 2, ('mel', 'written'): 2}
    >>> again = write_spectrogram_images(paths, out, sr=8000, n_fft=256, hop_length=64)
    >>> again["status"].unique().tolist()  # resumed: nothing redrawn
    ['kept']
    """
    steps = _image_steps(list(kinds), sr, n_fft, hop_length, n_mels, n_bins, fmin)
    if len(figsize) != 2 or not all(isinstance(v, (int, float)) and v > 0 for v in figsize):
        raise ValueError(f"figsize must be two positive numbers (inches); got {figsize!r}.")
    names = [os.fspath(f) for f in paths]
    stems = [Path(f).stem for f in names]
    duplicates = sorted(s for s, n in Counter(stems).items() if n > 1)
    if duplicates:
        raise ValueError(
            f"write_spectrogram_images names images by file stem; these stems repeat: "
            f"{duplicates[:5]}. Write each folder of sources into its own tree."
        )
    long = [n for n, s in zip(names, stems, strict=True) if len(os.fsencode(s)) + 4 > NAME_MAX]
    if long:
        raise ValueError(
            f"write_spectrogram_images names images '<file stem>.png', which for these files "
            f"is longer than a file name may be ({NAME_MAX} bytes): {long[:5]}. Rename them."
        )
    files = [
        _File(name, stem, os.path.realpath(name), file_digest(name), group)
        for name, stem, group in zip(names, stems, _groups(paths), strict=True)
    ]
    root = Path(out)
    drawing = {"figsize": list(figsize), "dpi": dpi, "cmap": cmap, "with_axes": with_axes}
    settings = {
        kind: settings_record({"step": step, "drawing": drawing}, libraries=_PIXEL_LIBRARIES)
        for kind, step in steps.items()
    }
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(root / ".lock", f"the images in '{root}'"):
        records = {kind: _open_kind(root / kind, settings[kind]) for kind in steps}
        todo = [_todo(root, records, f) for f in files]
        draw = functools.partial(
            _draw_batch,
            root=str(root),
            steps=steps,
            sr=sr,
            drawing=drawing,
            cwd=os.getcwd(),
            umask=current_umask(),
        )
        _record_before_drawing(root, records, files, todo)
        items = [(i, f.name, f.stem, todo[i]) for i, f in enumerate(files) if todo[i]]
        batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        done = _run(draw, batches, n_jobs, root, records, files, verbose, len(files))
        _keep_exactly(root, records, files)
    rows = []
    for i, f in enumerate(files):
        for kind in steps:
            rows.append(
                done.get((i, kind)) or [f.name, kind, str(_image(root, kind, f.stem)), "kept", ""]
            )
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


#: Libraries whose versions change the pixels (besides those that change the numbers).
_PIXEL_LIBRARIES = ("matplotlib", "Pillow")


@dataclass(frozen=True)
class _File:
    """One file of the job: as given, its stem, its real path, its bytes' hash, its group."""

    name: str
    stem: str
    source: str
    digest: str
    group: Any


def _groups(paths: Any) -> list[Any]:
    """Return the group of each file as a JSON value, from a ClipPaths (None for plain paths)."""
    groups = getattr(paths, "groups", None)
    if groups is None or len(groups) != len(paths):
        return [None] * len(paths)
    return [_json_value(g) for g in groups]


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _image(root: Path, kind: str, stem: str) -> Path:
    return root / kind / f"{stem}.png"


def _open_kind(folder: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Check or start one kind's record; remove what a killed run left.

    A folder that holds images but no record was not written by this job
    and is refused; images a record does not list (drawn by a run killed
    before it recorded them) are removed.
    """
    folder.mkdir(exist_ok=True)
    remove_stale_temporaries(folder)
    path = folder / "job.json"
    if not path.exists():
        if any(folder.glob("*.png")):
            raise ValueError(
                f"'{folder}' holds images that write_spectrogram_images did not record "
                f"(no '{path.name}'); write into another folder, or empty this one."
            )
        return {"settings": settings, "images": {}}  # recorded before any image is drawn
    record = read_json(path)
    check_same_settings(record["settings"], settings, folder, path)
    images = {s: e for s, e in record.get("images", {}).items() if isinstance(e, dict)}
    for image in folder.glob("*.png"):
        if image.stem not in images:
            image.unlink(missing_ok=True)
    return {"settings": record["settings"], "images": images}


def _todo(root: Path, records: dict[str, Any], file: _File) -> list[str]:
    """List the kinds to draw for ``file``; refuse an image another file drew."""
    kinds = []
    for kind, record in records.items():
        image = _image(root, kind, file.stem)
        entry = record["images"].get(file.stem)
        if entry is not None and entry["source"] != file.source and image.exists():
            raise ValueError(
                f"'{image}' was drawn from '{entry['source']}', not from '{file.source}' (the "
                "same stem). Write files whose stems repeat into separate folders, or delete "
                "that image."
            )
        same = entry is not None and (entry["source"], entry["sha256"]) == (
            file.source,
            file.digest,
        )
        if not (same and file.digest and image.exists()):
            kinds.append(kind)
    return kinds


def _record_before_drawing(root: Path, records: dict, files: list[_File], todo: list) -> None:
    """Write each new folder's record, and drop from the records the images to draw again.

    So every image lies beside a record (a run killed in its first batch
    resumes), and no entry vouches for an image being replaced (a run killed
    between replacing it and recording it would otherwise leave the new
    image under the old entry, kept if the file got its old bytes back).
    """
    changed = {kind for kind in records if not (root / kind / "job.json").exists()}
    for file, kinds in zip(files, todo, strict=True):
        for kind in kinds:
            if records[kind]["images"].pop(file.stem, None) is not None:
                changed.add(kind)
    for kind in sorted(changed):
        write_json(records[kind], root / kind / "job.json")


def _run(draw, batches, n_jobs, root, records, files, verbose, total) -> dict:
    """Draw the batches, recording each batch's images as it finishes; return its rows."""
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(
            total=total,
            initial=total - sum(len(b) for b in batches),
            desc="spectrogram images",
            unit="file",
        )
    done: dict[tuple[int, str], list[str]] = {}
    for frame in run_batches(draw, batches, n_jobs, _crashed):
        for index, kind, image, status, error in frame.itertuples(index=False):
            f = files[index]
            images = records[kind]["images"]
            if status == "written":
                images[f.stem] = {"source": f.source, "sha256": f.digest, "group": f.group}
            else:  # a fresh run would have no image of it
                images.pop(f.stem, None)
                _image(root, kind, f.stem).unlink(missing_ok=True)
            done[(index, kind)] = [f.name, kind, image, status, error]
        for kind in set(frame["kind"]):
            write_json(records[kind], root / kind / "job.json")
        if progress is not None:
            progress.update(frame["index"].nunique())
    if progress is not None:
        progress.close()
    return done


def _keep_exactly(root: Path, records: dict[str, Any], files: list[_File]) -> None:
    """Leave in each kind's folder exactly the images of ``files``, with their groups.

    Temporaries of workers killed mid-write (a crash breaks the whole pool)
    go too.
    """
    asked = {f.stem: f for f in files}
    for kind, record in records.items():
        remove_stale_temporaries(root / kind)
        images = record["images"]
        for stem in [s for s in images if s not in asked]:
            _image(root, kind, stem).unlink(missing_ok=True)
            del images[stem]
        for stem, entry in images.items():
            entry["group"] = asked[stem].group
        write_json(record, root / kind / "job.json")


def _draw_batch(items, root, steps, sr, drawing, cwd, umask) -> pd.DataFrame:
    """Draw the kinds of each item; a file that fails gives "failed" rows, never an exception.

    Relative paths are read from the caller's folder ``cwd``, and images
    written with the caller's ``umask`` (a reused worker may have started
    elsewhere, under another).
    """
    from .io import load_audio

    os.umask(umask)
    rows = []
    for index, path, stem, kinds in items:
        try:
            y, rate = load_audio(os.path.join(cwd, path), sr=sr)
        except Exception as exc:  # one bad file never stops the run
            rows += [[index, kind, "", "failed", _error(exc)] for kind in kinds]
            continue
        for kind in kinds:
            image = _image(Path(root), kind, stem)
            try:
                _draw(y, rate, steps[kind], image, stem, drawing)
            except Exception as exc:
                rows.append([index, kind, "", "failed", _error(exc)])
            else:
                rows.append([index, kind, str(image), "written", ""])
    return pd.DataFrame(rows, columns=["index", *COLUMNS[1:]], dtype=object)


def _crashed(item) -> pd.DataFrame:
    index, _, _, kinds = item
    error = "WorkerCrash: drawing this file killed the worker process"
    rows = [[index, kind, "", "failed", error] for kind in kinds]
    return pd.DataFrame(rows, columns=["index", *COLUMNS[1:]], dtype=object)


def _error(exc: Exception) -> str:
    from .io import AudioLoadError

    return str(exc) if isinstance(exc, AudioLoadError) else f"{type(exc).__name__}: {exc}"


def _draw(y, rate, step, image: Path, stem: str, drawing: dict[str, Any]) -> None:
    """Draw one spectrogram of ``y`` into the PNG ``image`` (complete or not at all)."""
    from matplotlib.figure import Figure

    from .containers import Waveforms
    from .plotting import plot_spectrogram

    S = step.fit_transform(Waveforms([y], sr=rate))[0]
    fig = Figure(figsize=drawing["figsize"], dpi=drawing["dpi"])
    if drawing["with_axes"]:
        plot_spectrogram(S, step, ax=fig.add_subplot(), cmap=drawing["cmap"], title=stem)
        fig.tight_layout()
    else:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        plot_spectrogram(S, step, ax=ax, cmap=drawing["cmap"], colorbar=False, title="")
        ax.set_axis_off()
    with write_atomic(image) as tmp:  # a PNG on disk is always complete
        fig.savefig(tmp, format="png", dpi=drawing["dpi"])
