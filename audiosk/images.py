"""Folders of spectrogram images, one PNG per file and kind, written as a resumable job.

Each kind's folder (``out/<kind>/``) records the settings it was drawn
with and, for every image, the file it was drawn from and a hash of that
file's bytes (``job.json``). A later run keeps an image only when the same
file, with the same content, drew it under the same settings; other settings
are refused, naming the difference.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._jobs import (
    check_same_settings,
    file_digest,
    read_json,
    remove_stale_temporaries,
    settings_record,
    write_atomic,
    write_json,
)
from .utils._lock import FileLock
from .utils._parallel import parallel_map

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
    verbose: int = 0,
) -> pd.DataFrame:
    """Write one spectrogram PNG per file and kind into ``out/<kind>/<file stem>.png``.

    The images of reference workflow 4: linear, log-frequency and Mel
    spectrograms (and MFCCs) in dB, drawn by
    :func:`~audiosk.plotting.plot_spectrogram`. The job resumes: an image is
    kept when the same file, with the same bytes (a hash of its content, not
    its modification time), drew it under the same settings; otherwise it is
    drawn again. Each kind's folder records its settings and images
    (``job.json``): a run with other settings is refused, naming the
    difference, and so is a file whose stem names an image another file
    drew (``train/001.wav`` and ``test/001.wav`` into one folder). A file
    that cannot be read is reported in the returned table (its old images,
    if any, are removed), the other files are still drawn, and the next run
    tries it again. Two runs into one folder at once: the second is refused.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Audio files; their stems name the images and must be unique.
    out : str or os.PathLike
        Root of the tree, created if missing.
    kinds : sequence of {"linear", "log", "mel", "mfcc"}, default=("linear", "log", "mel")
        Images per file, one folder each.
    sr : int, default=22050
        Rate the files are loaded at.
    n_fft, hop_length : int, default=2048, 512
        STFT settings.
    n_mels, n_bins, fmin : int, int, float, default=128, 128, 32.7
        Mel bands; bins and lowest frequency of the log-frequency axis.
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
    verbose : int, default=0
        Progress bar over files.

    Returns
    -------
    report : pandas.DataFrame of shape (n_files * n_kinds, 5)
        One row per file and kind, in the order of ``paths``: ``path``,
        ``kind``, ``image``, ``status`` ("written", "kept" or "failed") and
        ``error``.

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
    from . import __version__

    steps = _image_steps(list(kinds), sr, n_fft, hop_length, n_mels, n_bins, fmin)
    names = [str(os.fspath(f)) for f in paths]
    stems = [Path(f).stem for f in names]
    duplicates = sorted({s for s in stems if stems.count(s) > 1})
    if duplicates:
        raise ValueError(
            f"write_spectrogram_images names images by file stem; these stems repeat: "
            f"{duplicates[:5]}. Write each folder of sources into its own tree."
        )
    root = Path(out)
    drawing = {"figsize": list(figsize), "dpi": dpi, "cmap": cmap, "with_axes": with_axes}
    settings = {
        kind: settings_record({"audiosk": __version__, "step": step, "drawing": drawing})
        for kind, step in steps.items()
    }
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(root / ".lock", f"the images in '{root}'"):
        records = {kind: _open_kind(root / kind, settings[kind]) for kind in steps}
        digests = [file_digest(f) for f in names]
        todo = [
            _todo(root, records, f, s, d) for f, s, d in zip(names, stems, digests, strict=True)
        ]

        def draw(index: int) -> list[dict[str, str]]:
            return _draw_file(names[index], stems[index], root, steps, sr, drawing, todo[index])

        drawn = parallel_map(
            draw,
            range(len(names)),
            n_jobs=n_jobs,
            verbose=verbose,
            desc="spectrogram images",
            prefer="processes",
        )
        rows = []
        for file, stem, digest, file_rows in zip(names, stems, digests, drawn, strict=True):
            done = {row["kind"]: row for row in file_rows}
            for kind in steps:
                row = done.get(kind) or _row(file, kind, root / kind / f"{stem}.png", "kept")
                images = records[kind]["images"]
                if row["status"] == "written":
                    images[stem] = [file, digest]
                elif row["status"] == "failed":  # a fresh run would have no image of it
                    images.pop(stem, None)
                    (root / kind / f"{stem}.png").unlink(missing_ok=True)
                rows.append(row)
        for kind in steps:
            write_json(records[kind], root / kind / "job.json")
    return pd.DataFrame(rows, columns=["path", "kind", "image", "status", "error"])


def _open_kind(folder: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Check or start one kind's record; remove temporaries a killed run left."""
    folder.mkdir(exist_ok=True)
    remove_stale_temporaries(folder)
    path = folder / "job.json"
    if not path.exists():
        return {"settings": settings, "images": {}}
    record = read_json(path)
    check_same_settings(record["settings"], settings, folder, path)
    return dict(record)


def _todo(root: Path, records: dict[str, Any], file: str, stem: str, digest: str) -> list[str]:
    """List the kinds to draw for ``file``; refuse an image another file drew."""
    kinds = []
    for kind, record in records.items():
        image = root / kind / f"{stem}.png"
        source = record["images"].get(stem)
        if source is not None and source[0] != file and image.exists():
            raise ValueError(
                f"'{image}' was drawn from '{source[0]}', not from '{file}' (the same stem). "
                "Write files whose stems repeat into separate folders, or delete that image."
            )
        if source != [file, digest] or not digest or not image.exists():
            kinds.append(kind)
    return kinds


def _row(file: str, kind: str, image: Path | str, status: str, error: str = "") -> dict[str, str]:
    return {"path": file, "kind": kind, "image": str(image), "status": status, "error": error}


def _draw_file(path, stem, root, steps, sr, drawing, kinds) -> list[dict[str, str]]:
    """Draw the ``kinds`` of one file; a file that cannot be read gives "failed" rows."""
    from matplotlib.figure import Figure

    from .containers import Waveforms
    from .io import AudioLoadError, load_audio
    from .plotting import plot_spectrogram

    if not kinds:
        return []
    try:
        y, rate = load_audio(path, sr=sr)
    except AudioLoadError as exc:
        return [_row(path, kind, "", "failed", str(exc)) for kind in kinds]
    rows = []
    for kind in kinds:
        step = steps[kind]
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
        image = root / kind / f"{stem}.png"
        with write_atomic(image) as tmp:  # a PNG on disk is always complete
            fig.savefig(tmp, format="png", dpi=drawing["dpi"])
        rows.append(_row(path, kind, image, "written"))
    return rows
