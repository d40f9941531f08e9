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
- Only then are the archive and its checksum recorded: an interrupted or
  failed fetch leaves nothing that a later one would trust, and no empty
  folder.
- Two fetches into one folder (threads or processes) take turns.
- File names read from metadata (ESC-50's csv) must stay inside the folder.
"""

# Past 400 lines because the safety checks every fetch shares (size, compression ratio, links,
# paths, checksums) live beside the five documented fetchers.

from __future__ import annotations

import os
import re
import shutil
import tarfile
import urllib.request
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._jobs import hash_file, write_atomic
from ..utils._base import AudioskWarning
from ..utils._lock import FileLock

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


#: Archives are refused when they would unpack to more than this many bytes ...
MAX_EXTRACTED_BYTES = 20 * 2**30
#: ... or, past 64 MiB unpacked, expand more than this many times their size.
MAX_COMPRESSION_RATIO = 200


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


def _check_size(archive: Path, total: int) -> None:
    size = max(1, archive.stat().st_size)
    if total > MAX_EXTRACTED_BYTES or (total > 64 * 2**20 and total / size > MAX_COMPRESSION_RATIO):
        raise OSError(
            f"'{archive.name}' would unpack to {total:,} bytes ({total / size:,.0f} times its "
            f"size); refusing it (limits: {MAX_EXTRACTED_BYTES:,} bytes, ratio "
            f"{MAX_COMPRESSION_RATIO})."
        )


def _copy_limited(src, destination: Path, declared: int, name: str) -> int:
    """Copy one member, refusing more bytes than its header declared."""
    written = 0
    with open(destination, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > declared:
                raise OSError(f"Archive member '{name}' is larger than its header says.")
            dst.write(chunk)
    return written


def _extract(archive: Path, folder: Path) -> Path:
    """Extract ``archive`` into ``folder`` completely (atomically) or not at all."""
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                members = zf.infolist()
                _check_size(archive, sum(m.file_size for m in members))
                for member in members:
                    destination = _safe_destination(tmp, member.filename)
                    if member.is_dir():
                        destination.mkdir(parents=True, exist_ok=True)
                        continue
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(member) as src:
                        _copy_limited(src, destination, member.file_size, member.filename)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                entries = tf.getmembers()
                _check_size(archive, sum(m.size for m in entries))
                for entry in entries:
                    destination = _safe_destination(tmp, entry.name)
                    if entry.issym() or entry.islnk():
                        raise OSError(
                            f"Archive member '{entry.name}' is a link; refusing the archive."
                        )
                    if entry.isdir():
                        destination.mkdir(parents=True, exist_ok=True)
                    elif entry.isfile():
                        destination.parent.mkdir(parents=True, exist_ok=True)
                        stream = tf.extractfile(entry)
                        if stream is None:
                            raise OSError(f"Archive member '{entry.name}' cannot be read.")
                        with stream:
                            _copy_limited(stream, destination, entry.size, entry.name)
        else:
            raise OSError(f"'{archive.name}' is neither a zip nor a tar archive.")
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OSError(
            f"The archive does not extract completely ({exc}); nothing was kept. Fetch it "
            "again (it may have been cut short), or check the url."
        ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


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
    root = Path(data_home or os.environ.get("AUDIOSK_DATA") or Path.home() / "audiosk_data")
    created = [d for d in (root.expanduser(), root.expanduser() / name) if not d.exists()]
    home = get_data_home(data_home) / name
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
        if archive.exists() and folder.exists() and known is not None:
            if expected != known or hash_file(archive) != expected:
                raise OSError(
                    f"'{archive}' does not match its checksum {expected}: delete '{home}' to "
                    "fetch it again."
                )
            return folder
        tmp = archive.with_name(archive.name + ".part")
        source = url or remote.url
        _download_to(source, tmp, verbose)
        try:
            actual = _verify(tmp, source, expected, None if sha256 else remote.md5, check)
            if remote.archive:
                _extract(tmp, folder)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, archive)
        with write_atomic(recorded) as tmp_digest:  # only now is the fetch complete
            tmp_digest.write_text(actual + "\n")
        if expected is None and remote.md5 is None:
            warnings.warn(
                f"No published checksum exists for {remote.filename}; recorded sha256 "
                f"{actual} in '{recorded}' and will verify it from now on.",
                AudioskWarning,
                stacklevel=4,
            )
    return folder


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


def fetch_fsdd(
    *, data_home=None, sha256: str | None = None, url: str | None = None, verbose: int = 1
):
    """Load the Free Spoken Digit Dataset (3,000 recordings, 6 speakers), downloaded once.

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
    *, data_home=None, sha256: str | None = None, url: str | None = None, verbose: int = 1
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
    meta["filename"] = [str(_safe_destination(root / "audio", f)) for f in meta["filename"]]
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
    window_seconds: int = 30,
    verbose: int = 1,
):
    """Load the GTZAN feature table (Kaggle "GTZAN Dataset - Music Genre Classification").

    Parameters
    ----------
    data_home, sha256, url, verbose
        As in :func:`fetch_fsdd`.
    window_seconds : {30, 3}, default=30
        The published table of whole 30 s tracks, ``features_30_sec.csv``
        (1,000 rows), or of their 3 s windows, ``features_3_sec.csv`` (ten per
        track; group by track when cross-validating).

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
    if window_seconds not in (3, 30):
        raise ValueError(
            f"fetch_gtzan_features: window_seconds must be 3 or 30; got {window_seconds!r}."
        )
    root = _fetch("gtzan_features", data_home, sha256, url, verbose)
    matches = sorted(root.rglob(f"features_{window_seconds}_sec.csv"))
    if not matches:
        raise OSError(f"features_{window_seconds}_sec.csv not found under '{root}'.")
    return gtzan_table(matches[0])


def gtzan_table(path: str | os.PathLike):
    r"""Read a GTZAN feature CSV into a Bunch (see :func:`fetch_gtzan_features`).

    GTZAN numbers each genre's tracks artist by artist, so shuffled folds put
    an artist on both sides and overstate accuracy. Evaluate with the
    artist-filtered ``split`` (:func:`gtzan_fault_filtered_split`) or with
    contiguous stratified folds (:func:`gtzan_contiguous_folds`).

    Parameters
    ----------
    path : str or os.PathLike
        ``features_30_sec.csv`` or ``features_3_sec.csv``; every ``filename``
        must be a GTZAN name (``blues.00000.au``, ``blues.00000.3.wav``).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``frame`` (the table), ``data`` (the features, a DataFrame of shape
        (n_rows, n_features)), ``target`` (genre index, shape (n_rows,)),
        ``target_names``, ``filenames``, ``groups`` (the track of each row,
        ``"blues.00000"``: keeps a track's 3 s windows together; GTZAN gives
        no artist per track), ``split`` (``"train"``, ``"valid"``,
        ``"test"`` in the fault-filtered split of Kereliuk, Sturm and Larsen
        2015, ``""`` for the 70 tracks it leaves out) and ``DESCR``; the
        arrays are aligned with the rows.

    Examples
    --------
    >>> import io, tempfile, os
    >>> from audiosk.datasets import gtzan_table
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("filename,length,tempo,label\nblues.00000.0.wav,66149,120.0,blues\n")
    >>> table = gtzan_table(path)
    >>> table.groups.tolist(), table.split.tolist()
    (['blues.00000'], ['valid'])
    """
    import pandas as pd

    from ._folder import encode_target
    from ._gtzan import gtzan_split_membership, gtzan_tracks

    frame = pd.read_csv(path)
    filenames = frame["filename"].astype(str).to_numpy()
    try:
        tracks = gtzan_tracks(filenames)
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)}: {error}") from None
    target, names = encode_target(frame["label"].to_numpy())
    return Bunch(
        frame=frame,
        data=frame.drop(columns=["filename", "length", "label"]),
        target=target,
        target_names=names,
        filenames=filenames,
        groups=tracks,
        split=gtzan_split_membership(filenames),
        DESCR=(
            "GTZAN features (librosa, 22,050 Hz), from the Kaggle GTZAN dataset; research use. "
            "split: the fault-filtered split of Kereliuk, Sturm and Larsen (2015)."
        ),
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
    downloaded by hand).

    Parameters
    ----------
    arch : {"cnn14", "cnn10"}, default="cnn14"
        ``Cnn14_mAP=0.431.pth`` (327 MB) or ``Cnn10_mAP=0.380.pth`` (20 MB).
    data_home, sha256, url, verbose
        As in :func:`fetch_fsdd`. Every download is checked against the MD5
        that Zenodo publishes (unless ``sha256`` is given) and must load with
        ``torch.load(weights_only=True)`` and fit the architecture, with
        finite values (``audiosk.nets._panns.verify_panns_checkpoint``),
        before its SHA-256 is recorded and checked on every later use.

    Returns
    -------
    path : pathlib.Path
        The checkpoint, a ``.pth`` file whose ``"model"`` entry is the state dict.

    Examples
    --------
    >>> from audiosk.datasets import fetch_panns_weights
    >>> path = fetch_panns_weights("cnn10")  # doctest: +SKIP
    """
    key = f"panns_{arch}"
    if key not in _REMOTES:
        raise ValueError(f"fetch_panns_weights: arch must be 'cnn14' or 'cnn10'; got {arch!r}.")

    def check(path: Path) -> None:
        from ..nets._panns import verify_panns_checkpoint

        verify_panns_checkpoint(path, arch)

    return _fetch(key, data_home, sha256, url, verbose, check=check)
