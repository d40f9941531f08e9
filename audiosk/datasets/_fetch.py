"""Fetchers of public datasets: download once, verify, extract safely, cache.

Nothing is downloaded at import or by the tests: a fetcher downloads only
when its data is not in the cache folder yet (``data_home``, else the
``AUDIOSK_DATA`` environment variable, else ``~/audiosk_data``).

- Every remote names an immutable file: a commit of a GitHub repository, a
  version of a Kaggle dataset, a Zenodo record.
- Downloads go to a temporary file; one shorter than its Content-Length, a
  web page, an XML or JSON document instead of the file, is refused and
  deleted. A weights file must load safely and fit its architecture.
- The digest the publisher gives is checked where one exists (Zenodo's
  MD5); the SHA-256 is checked against ``sha256`` when one is given;
  otherwise the SHA-256 of the first download is recorded next to it and
  checked on every later use (trust on first use).
- Archives are extracted member by member into a temporary folder, refusing
  absolute paths, ``..`` components, links, more than
  :data:`MAX_EXTRACTED_BYTES` or a compression ratio past
  :data:`MAX_COMPRESSION_RATIO`; the folder is renamed into place when
  extraction is complete.
- Only then are the archive and its checksum recorded, with the SHA-256 of
  every extracted file: an interrupted or failed fetch leaves nothing that a
  later one would trust, and no empty folder.
- Every later call checks the archive and the extracted folder that callers
  read against those records without re-reading unchanged bytes (a file
  whose size, times and inode are those recorded right after hashing it is
  not hashed again: any write moves its change time); a folder that differs
  (a file missing, changed or added) is extracted again from the verified
  archive, with a warning.
- Two fetches into one folder (threads or processes, also on other hosts of
  a shared file system) take turns.
- File names read from metadata (ESC-50's csv) must stay inside the folder.
"""

# Past 400 lines because the safety checks every fetch shares (size, compression ratio, links,
# paths, checksums) live beside the five documented fetchers.

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from .._jobs import read_json, write_atomic, write_json
from ..utils._base import AudioskWarning
from ..utils._hashing import hash_file, stat_signature
from ..utils._lock import FileLock
from ..utils._sklearn_compat import Options, StrOptions, validate_params
from ._archive import (
    extract,
    folder_problem,
    safe_destination,
)

__all__ = [
    "fetch_esc50",
    "fetch_fsdd",
    "fetch_gtzan_features",
    "fetch_panns_weights",
    "get_data_home",
]


@dataclass(frozen=True)
class Remote:
    """Where an immutable file lives and what it must hash to."""

    url: str
    filename: str
    sha256: str | None = None  # None: recorded on first download (trust on first use)
    md5: str | None = None  # the digest the publisher gives, where it gives one
    archive: bool = True  # False: a single file, kept as downloaded


#: The files the fetchers download, each named by an immutable version. GitHub's and
#: Kaggle's archives are built on request and come with no published digest: their
#: SHA-256 is recorded on the first complete fetch and verified afterwards (trust on
#: first use). Zenodo publishes an MD5 per file: it is checked on every download.
_REMOTES = {
    # a commit of the repository
    "fsdd": Remote(
        "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/26eb9aaf.zip",
        "free-spoken-digit-dataset-26eb9aaf.zip",
    ),
    # a commit of the repository (the head of its master branch in November 2025)
    "esc50": Remote(
        "https://github.com/karolpiczak/ESC-50/archive/33c8ce9eb2cf0b1c2f8bcf322eb349b6be34dbb6.zip",
        "ESC-50-33c8ce9eb2cf0b1c2f8bcf322eb349b6be34dbb6.zip",
    ),
    # version 1 of the Kaggle dataset
    "gtzan_features": Remote(
        "https://www.kaggle.com/api/v1/datasets/download/andradaolteanu/"
        "gtzan-dataset-music-genre-classification?datasetVersionNumber=1",
        "gtzan-dataset-music-genre-classification-v1.zip",
    ),
    # PANNs checkpoints (Kong et al., 2020; CC BY 4.0), Zenodo record 3987831 (a record
    # is one immutable version) with the MD5 digests it publishes
    "panns_cnn14": Remote(
        "https://zenodo.org/record/3987831/files/Cnn14_mAP%3D0.431.pth?download=1",
        "Cnn14_mAP=0.431.pth",
        md5="541141fa2ee191a88f24a3219fff024e",
        archive=False,
    ),
    "panns_cnn10": Remote(
        "https://zenodo.org/record/3987831/files/Cnn10_mAP%3D0.380.pth?download=1",
        "Cnn10_mAP=0.380.pth",
        md5="bfb1f1f9968938fa8ef4012b8471f5f6",
        archive=False,
    ),
}


#: What every fetcher takes besides its own parameters.
_FETCH_CONSTRAINTS: dict[str, list[Any]] = {
    "data_home": [str, os.PathLike, None],
    "sha256": [str, None],
    "url": [str, None],
    "verbose": ["verbose"],
}


def _data_home(data_home: str | os.PathLike | None) -> Path:
    """Resolve the fetchers' folder, the one rule: ``data_home``, ``AUDIOSK_DATA``, or home."""
    return Path(
        data_home or os.environ.get("AUDIOSK_DATA") or Path.home() / "audiosk_data"
    ).expanduser()


@validate_params({"data_home": [str, os.PathLike, None]}, prefer_skip_nested_validation=True)
def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the cache folder of the fetchers, created if missing.

    Every fetcher resolves its folder by this one rule: ``data_home``, else
    the ``AUDIOSK_DATA`` environment variable, else ``~/audiosk_data``
    (``~`` expanded in each).

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Folder to use; ``None`` reads ``AUDIOSK_DATA``, else ``~/audiosk_data``.

    Returns
    -------
    path : pathlib.Path
        The folder, which exists.

    See Also
    --------
    fetch_fsdd : A fetcher that downloads into it.

    Examples
    --------
    >>> import tempfile
    >>> from audiosk.datasets import get_data_home
    >>> get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    home = _data_home(data_home)
    home.mkdir(parents=True, exist_ok=True)
    return home


#: Byte-order marks a text document may start with.
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _not_the_file(head: bytes, content_type: str) -> str | None:
    """Say what a response is when it is a document rather than the file (else None)."""
    text = head
    for bom in _BOMS:
        text = text.removeprefix(bom)
    text = text.replace(b"\x00", b"").lstrip().lower()  # UTF-16 pages too
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml") or text.startswith(
        (b"<!doctype", b"<html", b"<!--", b"<head", b"<body", b"<?xml")
    ):
        return "a web page (a login, consent or error page?)"
    if kind == "application/json" or re.match(rb"[\[{]\s*[\"\[{\]}]", text):
        return "a JSON document (an error message of an API?)"
    return None


def _download_to(source: str, tmp: Path, verbose: int) -> None:
    """Download ``source`` to ``tmp`` completely, or raise and leave nothing."""
    if verbose:
        print(f"Downloading {source}", flush=True)
    try:
        with urllib.request.urlopen(source, timeout=60) as response, open(tmp, "wb") as fh:
            declared = response.headers.get("Content-Length")
            head = response.read(512)
            sent = _not_the_file(head, response.headers.get("Content-Type", ""))
            if sent is not None:
                raise OSError(f"the server sent {sent}, not the file")
            fh.write(head)
            shutil.copyfileobj(response, fh, length=1 << 20)
            received = fh.tell()
        if declared is not None and received < int(declared):
            raise OSError(f"the download stopped after {received} of {declared} bytes")
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(
            f"Could not download {source}: {exc}. Nothing was kept; try again, or download it "
            "by hand and pass its location as url= (a local file:// URL works)."
        ) from exc


def _fetch(
    name: str,
    data_home,
    sha256: str | None,
    url: str | None,
    verbose: int,
    check: Callable[[Path], object] | None = None,
) -> Path:
    """Download, verify and extract a dataset once; record its checksum only when all succeeded.

    The state is complete when the archive, its recorded SHA-256 and the
    extracted folder are all there (for a single file, the file and its
    SHA-256; the file is returned); anything less is fetched again. A
    download is checked against the publisher's MD5 (unless ``sha256`` is
    given: a mirror of another build) and by ``check`` (which raises for a
    file that is not what it should be) before it is recorded. Two fetches
    into one folder (threads or processes) take turns. A failed fetch
    removes the folders it created.
    """
    remote = _REMOTES[name]
    home = _data_home(data_home) / name
    created = [d for d in (home.parent, home) if not d.exists()]
    home.mkdir(parents=True, exist_ok=True)
    try:
        return _fetch_locked(remote, home, sha256, url, verbose, check)
    except BaseException:
        for folder in reversed(created):  # nothing was kept: not even an empty folder
            try:
                folder.rmdir()
            except OSError:  # another fetch is using it, or it holds something
                break
        raise


def _fetch_locked(remote: Remote, home: Path, sha256, url, verbose, check) -> Path:
    archive = home / remote.filename
    folder = home / "extracted" if remote.archive else archive
    recorded = archive.with_name(archive.name + ".sha256")
    with FileLock(home / "fetch.lock", f"'{home}'", wait=3600):
        known = recorded.read_text().strip() if recorded.exists() else None
        expected = sha256 or remote.sha256 or known
        if archive.exists() and known is not None:
            if expected != known:
                raise OSError(
                    f"'{archive}' was recorded with sha256 {known}, not {expected}: delete "
                    f"'{home}' to fetch it again."
                )
            _check_cached(archive, folder, home, known, remote.archive)
            return folder
        tmp = archive.with_name(archive.name + ".part")
        source = url or remote.url
        _download_to(source, tmp, verbose)
        try:
            actual = _verify(tmp, source, expected, None if sha256 else remote.md5, check)
            files = extract(tmp, folder) if remote.archive else None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, archive)
        _write_record(home, archive, actual, files)
        with write_atomic(recorded) as tmp_digest:  # only now is the fetch complete
            tmp_digest.write_text(actual + "\n")
        if expected is None and remote.md5 is None:
            warnings.warn(
                f"No published checksum exists for {remote.filename}; recorded sha256 "
                f"{actual} in '{recorded}' and will verify it from now on.",
                AudioskWarning,
                stacklevel=5,
            )
    return folder


def _write_record(home: Path, archive: Path, digest: str, files: dict | None) -> None:
    """Record what was verified: the archive's digest and signature, the extracted files'."""
    archive_entry = {"sha256": digest, "stat": stat_signature(archive)}
    write_json({"archive": archive_entry, "files": files}, home / "fetch.json")


def _check_cached(archive: Path, folder: Path, home: Path, digest: str, extracts: bool) -> None:
    """Check a completed fetch: the archive by its digest, the extracted folder by its record.

    Bytes are read only where the file system says a file changed since it
    was hashed. A folder that differs from its record is extracted again from
    the (verified) archive; an archive that differs from its digest is an
    error.
    """
    try:
        record = read_json(home / "fetch.json")
    except ValueError:  # missing or damaged: everything is hashed again
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("archive"), dict):
        record = {"archive": {}, "files": None}
    before = json.dumps(record, sort_keys=True)
    signature = stat_signature(archive)
    if record["archive"].get("stat") != signature or record["archive"].get("sha256") != digest:
        if hash_file(archive) != digest:
            raise OSError(
                f"'{archive}' does not match its checksum {digest}: delete '{home}' to fetch it "
                "again."
            )
        record["archive"] = {"sha256": digest, "stat": signature}
    if extracts:
        problem = folder_problem(folder, record["files"])
        if problem is not None:
            if record["files"] is not None:
                warnings.warn(
                    f"'{folder}' differs from the archive it was extracted from ({problem}); "
                    "extracting it again.",
                    AudioskWarning,
                    stacklevel=6,
                )
            record["files"] = extract(archive, folder)
    if json.dumps(record, sort_keys=True) != before:
        write_json(record, home / "fetch.json")


def _verify(tmp: Path, source: str, sha256: str | None, md5: str | None, check) -> str:
    """Check a download against its digests and ``check``; return its SHA-256."""
    actual = hash_file(tmp)
    if sha256 is not None and actual != sha256:
        raise OSError(
            f"Checksum mismatch for {source}: got sha256 {actual}, expected {sha256}. "
            "Nothing was kept."
        )
    if md5 is not None and (got := hash_file(tmp, "md5")) != md5:
        raise OSError(
            f"Checksum mismatch for {source}: got md5 {got}, the publisher gives {md5} (a "
            "download cut short, or another file?). Nothing was kept."
        )
    if check is not None:
        try:
            check(tmp)
        except (ValueError, TypeError) as exc:
            raise OSError(
                f"The download from {source} is refused: {exc} Nothing was kept."
            ) from None
    return actual


def _single_top_folder(root: Path) -> Path:
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


@validate_params(_FETCH_CONSTRAINTS, prefer_skip_nested_validation=True)
def fetch_fsdd(
    *, data_home=None, sha256: str | None = None, url: str | None = None, verbose: int = 1
):
    """Load the Free Spoken Digit Dataset (3,000 recordings, 6 speakers), downloaded once.

    The archive of a fixed commit of the dataset's repository is downloaded
    into ``data_home`` once, its SHA-256 recorded and checked, and its
    files extracted safely; later calls check the archive and the
    extracted files against their records (see the module's notes).

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Cache folder (see :func:`get_data_home`).
    sha256 : str or None, default=None
        Expected SHA-256 of the archive (overrides the recorded one, and the
        publisher's digest: for a mirror of another build).
    url : str or None, default=None
        Another location of the same archive (a mirror).
    verbose : int, default=1
        Say when downloading (0: silent).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``filenames``, ``target`` (digit), ``target_names``, ``groups``
        (speaker), ``takes`` (the upstream split uses takes 0-4 as test) and
        ``DESCR``. License: CC BY-SA 4.0.

    See Also
    --------
    load_spoken_digits : The 600 recordings embedded in the package.

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


@validate_params(_FETCH_CONSTRAINTS, prefer_skip_nested_validation=True)
def fetch_esc50(
    *, data_home=None, sha256: str | None = None, url: str | None = None, verbose: int = 1
):
    """Load ESC-50: 2,000 five-second environmental sound clips in 50 classes and 5 folds.

    Downloaded, verified and cached as :func:`fetch_fsdd` does.

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Cache folder (see :func:`get_data_home`).
    sha256 : str or None, default=None
        Expected SHA-256 of the archive (overrides the recorded one, and the
        publisher's digest: for a mirror of another build).
    url : str or None, default=None
        Another location of the same archive (a mirror).
    verbose : int, default=1
        Say when downloading (0: silent).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``filenames``, ``target`` (class index), ``target_names``,
        ``groups`` (the official fold, 1-5: cross-validate with
        ``PredefinedSplit`` or ``GroupKFold``), ``frame`` (the metadata) and
        ``DESCR``. License: CC BY-NC 3.0.

    See Also
    --------
    fetch_fsdd : The same download, verification and cache.

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
    meta["filename"] = [str(safe_destination(root / "audio", f)) for f in meta["filename"]]
    return Bunch(
        filenames=ClipPaths(meta["filename"].to_numpy(), groups=folds, group_name="fold"),
        target=meta["target"].to_numpy(),
        target_names=names,
        groups=folds,
        frame=meta,
        DESCR="ESC-50 (Karol J. Piczak), CC BY-NC 3.0.",
    )


@validate_params(
    {**_FETCH_CONSTRAINTS, "window_seconds": [Options(Integral, {3, 30})]},
    prefer_skip_nested_validation=True,
)
def fetch_gtzan_features(
    *,
    data_home=None,
    sha256: str | None = None,
    url: str | None = None,
    window_seconds: int = 30,
    verbose: int = 1,
):
    """Load the GTZAN feature table (Kaggle "GTZAN Dataset - Music Genre Classification").

    Downloaded, verified and cached as :func:`fetch_fsdd` does, and read by
    :func:`gtzan_table`.

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Cache folder (see :func:`get_data_home`).
    sha256 : str or None, default=None
        Expected SHA-256 of the archive (overrides the recorded one, and the
        publisher's digest: for a mirror of another build).
    url : str or None, default=None
        Another location of the same archive (a mirror).
    window_seconds : {30, 3}, default=30
        The published table of whole 30 s tracks, ``features_30_sec.csv``
        (1,000 rows), or of their 3 s windows, ``features_3_sec.csv`` (ten per
        track; group by track when cross-validating).
    verbose : int, default=1
        Say when downloading (0: silent).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``frame`` (the table), ``data`` (the 57 features, a DataFrame),
        ``target`` (genre index), ``target_names``, ``filenames``, ``groups``
        (the track of each row), ``split`` and ``DESCR``.

    See Also
    --------
    gtzan_table : Read a table of the same layout, published or extracted.

    Examples
    --------
    >>> from audiosk.datasets import fetch_gtzan_features
    >>> table = fetch_gtzan_features()  # doctest: +SKIP
    """
    root = _fetch("gtzan_features", data_home, sha256, url, verbose)
    matches = sorted(root.rglob(f"features_{window_seconds}_sec.csv"))
    if not matches:
        raise OSError(f"features_{window_seconds}_sec.csv not found under '{root}'.")
    from ._gtzan import gtzan_table

    return gtzan_table(matches[0])


@validate_params(
    {**_FETCH_CONSTRAINTS, "arch": [StrOptions({"cnn14", "cnn10"})]},
    prefer_skip_nested_validation=True,
)
def fetch_panns_weights(
    arch: str = "cnn14",
    *,
    data_home=None,
    sha256: str | None = None,
    url: str | None = None,
    verbose: int = 1,
) -> Path:
    """Download a released PANNs checkpoint once (Zenodo record 3987831) and return its path.

    Nothing else in audiosk downloads weights: :class:`~audiosk.features.PANNsEmbedding`
    and :class:`~audiosk.nets.PANNs` read the file this returns (or one you
    downloaded by hand). Every download is checked against the MD5 that
    Zenodo publishes (unless ``sha256`` is given) and must load with
    ``torch.load(weights_only=True)`` and fit the architecture, with finite
    values, before its SHA-256 is recorded; later calls re-read the file only
    when the file system says it changed.

    Parameters
    ----------
    arch : {"cnn14", "cnn10"}, default="cnn14"
        ``Cnn14_mAP=0.431.pth`` (327 MB) or ``Cnn10_mAP=0.380.pth`` (20 MB).
    data_home : str, os.PathLike or None, default=None
        Cache folder (see :func:`get_data_home`).
    sha256 : str or None, default=None
        Expected SHA-256 of the archive (overrides the recorded one, and the
        publisher's digest: for a mirror of another build).
    url : str or None, default=None
        Another location of the same archive (a mirror).
    verbose : int, default=1
        Say when downloading (0: silent).

    Returns
    -------
    path : pathlib.Path
        The checkpoint, a ``.pth`` file whose ``"model"`` entry is the state dict.

    See Also
    --------
    audiosk.features.PANNsEmbedding : Embeddings from the checkpoint.

    Examples
    --------
    >>> from audiosk.datasets import fetch_panns_weights
    >>> path = fetch_panns_weights("cnn10")  # doctest: +SKIP
    """
    key = f"panns_{arch}"

    def check(path: Path) -> None:
        from ..nets._panns import verify_panns_checkpoint

        verify_panns_checkpoint(path, arch)

    return _fetch(key, data_home, sha256, url, verbose, check=check)
