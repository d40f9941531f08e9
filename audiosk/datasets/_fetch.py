"""Fetchers of public datasets: download once, verify, extract safely, cache.

Nothing is downloaded at import or by the tests: a fetcher downloads only
when its data is not in the cache folder yet (``data_home``, else the
``AUDIOSK_DATA`` environment variable, else ``~/audiosk_data``).

- Downloads go to a temporary file that is renamed into place only once
  complete and verified, so a killed download never counts as done.
- The SHA-256 of the archive is checked against ``sha256`` when one is
  given (or pinned in :data:`REMOTES`); otherwise the digest of the first
  download is recorded next to it and checked on every later use.
- Archives are extracted member by member into a temporary folder, refusing
  absolute paths, ``..`` components and links, and the folder is renamed
  into place when extraction is complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["REMOTES", "fetch_esc50", "fetch_fsdd", "fetch_gtzan_features", "get_data_home"]


@dataclass(frozen=True)
class Remote:
    """Where an archive lives and what it must hash to."""

    url: str
    filename: str
    sha256: str | None = None  # None: recorded on first download (trust on first use)


#: The archives the fetchers download. Their SHA-256 digests could not be pinned
#: offline; each is recorded on the first download and verified afterwards.
REMOTES = {
    "fsdd": Remote(
        "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/26eb9aaf.zip",
        "free-spoken-digit-dataset-26eb9aaf.zip",
    ),
    "esc50": Remote("https://github.com/karoldvl/ESC-50/archive/master.zip", "ESC-50-master.zip"),
    "gtzan_features": Remote(
        "https://www.kaggle.com/api/v1/datasets/download/andradaolteanu/gtzan-dataset-music-genre-classification",
        "gtzan-dataset-music-genre-classification.zip",
    ),
}


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the cache folder of the fetchers, created if missing.

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Folder to use; ``None`` reads ``AUDIOSK_DATA``, else ``~/audiosk_data``.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from audiosk.datasets import get_data_home
    >>> get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    home = Path(
        data_home or os.environ.get("AUDIOSK_DATA") or Path.home() / "audiosk_data"
    ).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(
    remote: Remote, folder: Path, *, sha256: str | None, url: str | None, verbose: bool
) -> Path:
    """Return the verified archive in ``folder``, downloaded if missing."""
    target = folder / remote.filename
    recorded = target.with_name(target.name + ".sha256")
    expected = (
        sha256 or remote.sha256 or (recorded.read_text().strip() if recorded.exists() else None)
    )
    if not target.exists():
        tmp = target.with_name(target.name + ".part")
        source = url or remote.url
        if verbose:
            print(f"Downloading {source} to {target}", flush=True)
        try:
            with urllib.request.urlopen(source, timeout=60) as response, open(tmp, "wb") as fh:
                shutil.copyfileobj(response, fh, length=1 << 20)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            raise OSError(
                f"Could not download {source} ({exc}). Download it by hand and put it at '{target}'."
            ) from exc
        actual = _sha256(tmp)
        if expected is not None and actual != expected:
            tmp.unlink()
            raise OSError(
                f"Checksum mismatch for {source}: got sha256 {actual}, expected {expected}."
            )
        os.replace(tmp, target)
        if expected is None:
            recorded.write_text(actual + "\n")
            warnings.warn(
                f"No published checksum is pinned for {remote.filename}; recorded sha256 {actual} "
                f"in '{recorded}' and will verify it from now on.",
                UserWarning,
                stacklevel=3,
            )
    elif expected is not None and _sha256(target) != expected:
        raise OSError(
            f"'{target}' does not match its checksum {expected}: delete it to download it again."
        )
    return target


def _safe_destination(root: Path, name: str) -> Path:
    destination = (root / name).resolve()
    if (
        name.startswith(("/", "\\"))
        or ".." in Path(name).parts
        or not destination.is_relative_to(root.resolve())
    ):
        raise OSError(
            f"Archive member '{name}' would be extracted outside '{root}'; refusing the archive."
        )
    return destination


def _extract(archive: Path, folder: Path) -> Path:
    """Extract ``archive`` into ``folder`` (atomically) and return it."""
    if folder.exists():
        return folder
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.infolist():
                    destination = _safe_destination(tmp, member.filename)
                    if member.is_dir():
                        destination.mkdir(parents=True, exist_ok=True)
                        continue
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(member) as src, open(destination, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    destination = _safe_destination(tmp, member.name)
                    if member.issym() or member.islnk():
                        raise OSError(
                            f"Archive member '{member.name}' is a link; refusing the archive."
                        )
                    if member.isdir():
                        destination.mkdir(parents=True, exist_ok=True)
                    elif member.isfile():
                        destination.parent.mkdir(parents=True, exist_ok=True)
                        with tf.extractfile(member) as src, open(destination, "wb") as dst:
                            shutil.copyfileobj(src, dst)
        else:
            raise OSError(f"'{archive}' is neither a zip nor a tar archive.")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.replace(tmp, folder)
    return folder


def _fetch(name, data_home, sha256, url, verbose) -> Path:
    home = get_data_home(data_home) / name
    home.mkdir(parents=True, exist_ok=True)
    archive = _download(REMOTES[name], home, sha256=sha256, url=url, verbose=verbose)
    return _extract(archive, home / "extracted")


def _single_top_folder(root: Path) -> Path:
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def fetch_fsdd(
    *, data_home=None, sha256: str | None = None, url: str | None = None, verbose: bool = True
):
    """Load the Free Spoken Digit Dataset (3,000 recordings, 6 speakers), downloaded once.

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Cache folder (see :func:`get_data_home`).
    sha256 : str or None, default=None
        Expected digest of the archive (overrides the recorded one).
    url : str or None, default=None
        Another location of the same archive (a mirror).
    verbose : bool, default=True
        Say when downloading.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``filenames``, ``target`` (digit), ``target_names``, ``groups``
        (speaker), ``takes`` (the upstream split uses takes 0-4 as test) and
        ``DESCR``. License: CC BY-SA 4.0.

    Examples
    --------
    >>> from audiosk.datasets import fetch_fsdd
    >>> digits = fetch_fsdd()  # doctest: +SKIP
    """
    root = _single_top_folder(_fetch("fsdd", data_home, sha256, url, verbose))
    files = sorted((root / "recordings").glob("*.wav"))
    if not files:
        raise OSError(f"No recordings found under '{root}'; the archive layout is not FSDD's.")
    parts = [f.stem.split("_") for f in files]
    from ._folder import ClipPaths

    speakers = np.asarray([p[1] for p in parts])
    return Bunch(
        filenames=ClipPaths([str(f) for f in files], groups=speakers, group_name="speaker"),
        target=np.asarray([int(p[0]) for p in parts]),
        target_names=np.asarray([str(d) for d in range(10)]),
        groups=speakers,
        takes=np.asarray([int(p[2]) for p in parts]),
        DESCR="Free Spoken Digit Dataset (Zohar Jackson et al.), CC BY-SA 4.0.",
    )


def fetch_esc50(
    *, data_home=None, sha256: str | None = None, url: str | None = None, verbose: bool = True
):
    """ESC-50: 2,000 five-second environmental sound clips in 50 classes and 5 folds.

    Parameters
    ----------
    data_home, sha256, url, verbose
        As in :func:`fetch_fsdd`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``filenames``, ``target`` (class index), ``target_names``,
        ``groups`` (the official fold, 1-5: cross-validate with
        ``PredefinedSplit`` or ``GroupKFold``), ``frame`` (the metadata) and
        ``DESCR``. License: CC BY-NC 3.0.

    Examples
    --------
    >>> from audiosk.datasets import fetch_esc50
    >>> sounds = fetch_esc50()  # doctest: +SKIP
    """
    import pandas as pd

    root = _single_top_folder(_fetch("esc50", data_home, sha256, url, verbose))
    meta = pd.read_csv(root / "meta" / "esc50.csv")
    from ._folder import ClipPaths

    folds = meta["fold"].to_numpy()
    names = meta.drop_duplicates("target").sort_values("target")["category"].to_numpy()
    meta["filename"] = [str(root / "audio" / f) for f in meta["filename"]]
    return Bunch(
        filenames=ClipPaths(meta["filename"].to_numpy(), groups=folds, group_name="fold"),
        target=meta["target"].to_numpy(),
        target_names=names,
        groups=folds,
        frame=meta,
        DESCR="ESC-50 (Karol J. Piczak), CC BY-NC 3.0.",
    )


def fetch_gtzan_features(
    *,
    data_home=None,
    sha256: str | None = None,
    url: str | None = None,
    seconds: int = 30,
    verbose: bool = True,
):
    """Load the GTZAN feature table (Kaggle "GTZAN Dataset - Music Genre Classification").

    Parameters
    ----------
    data_home, sha256, url, verbose
        As in :func:`fetch_fsdd`.
    seconds : {30, 3}, default=30
        ``features_30_sec.csv`` (1,000 tracks) or ``features_3_sec.csv``
        (ten 3 s segments per track; group by track when cross-validating).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``frame`` (the table), ``data`` (the 57 features, a DataFrame),
        ``target`` (genre index), ``target_names``, ``filenames``, ``groups``
        (the track of each row) and ``DESCR``.

    Examples
    --------
    >>> from audiosk.datasets import fetch_gtzan_features
    >>> table = fetch_gtzan_features()  # doctest: +SKIP
    """
    if seconds not in (3, 30):
        raise ValueError(f"seconds must be 3 or 30, got {seconds}.")
    root = _fetch("gtzan_features", data_home, sha256, url, verbose)
    matches = sorted(root.rglob(f"features_{seconds}_sec.csv"))
    if not matches:
        raise OSError(f"features_{seconds}_sec.csv not found under '{root}'.")
    return gtzan_table(matches[0])


def gtzan_table(path: str | os.PathLike):
    r"""Read a GTZAN feature CSV into a Bunch (see :func:`fetch_gtzan_features`).

    Parameters
    ----------
    path : str or os.PathLike
        ``features_30_sec.csv`` or ``features_3_sec.csv``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`

    Examples
    --------
    >>> import io, tempfile, os
    >>> from audiosk.datasets import gtzan_table
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("filename,length,tempo,label\nblues.00000.0.wav,66149,120.0,blues\n")
    >>> gtzan_table(path).groups.tolist()
    ['blues.00000']
    """
    import pandas as pd

    from ._folder import encode_target

    frame = pd.read_csv(path)
    tracks = frame["filename"].str.extract(r"^([a-z]+\.\d{5})", expand=False).to_numpy()
    target, names = encode_target(frame["label"].to_numpy())
    return Bunch(
        frame=frame,
        data=frame.drop(columns=["filename", "length", "label"]),
        target=target,
        target_names=names,
        filenames=frame["filename"].to_numpy(),
        groups=tracks,
        DESCR="GTZAN features (librosa, 22,050 Hz), from the Kaggle GTZAN dataset; research use.",
    )
