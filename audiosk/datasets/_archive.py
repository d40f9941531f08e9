"""Archives extracted safely: members inside the folder, sizes bounded, no links, all or nothing.

An archive is extracted member by member into a temporary folder, refusing
absolute paths, ``..`` components, links, more than
:data:`MAX_EXTRACTED_BYTES` or a compression ratio past
:data:`MAX_COMPRESSION_RATIO`; the folder is renamed into place when
extraction is complete, and the SHA-256 of every file is returned so that
the folder can be checked later (:func:`folder_problem`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

from ..utils._hashing import hash_file, stat_signature

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_EXTRACTED_BYTES",
    "extract",
    "folder_problem",
    "safe_destination",
]

#: Archives are refused when they would unpack to more than this many bytes ...
MAX_EXTRACTED_BYTES = 20 * 2**30
#: ... or, past 64 MiB unpacked, expand more than this many times their size.
MAX_COMPRESSION_RATIO = 200


def safe_destination(root: Path, name: str) -> Path:
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


def _copy_limited(src, destination: Path, declared: int, name: str) -> str:
    """Copy one member, refusing more bytes than its header declared; return its SHA-256."""
    written, digest = 0, hashlib.sha256()
    with open(destination, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > declared:
                raise OSError(f"Archive member '{name}' is larger than its header says.")
            dst.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def extract(archive: Path, folder: Path) -> dict[str, dict[str, Any]]:
    """Extract ``archive`` into ``folder`` completely (atomically) or not at all.

    Returns the record of the extracted files: each one's SHA-256 and
    :func:`~audiosk.utils._hashing.stat_signature`, by its path in ``folder``.
    """
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    digests: dict[str, str] = {}
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                members = zf.infolist()
                _check_size(archive, sum(m.file_size for m in members))
                for member in members:
                    destination = safe_destination(tmp, member.filename)
                    if member.is_dir():
                        destination.mkdir(parents=True, exist_ok=True)
                        continue
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(member) as src:
                        digests[destination.relative_to(tmp.resolve()).as_posix()] = _copy_limited(
                            src, destination, member.file_size, member.filename
                        )
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                entries = tf.getmembers()
                _check_size(archive, sum(m.size for m in entries))
                for entry in entries:
                    destination = safe_destination(tmp, entry.name)
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
                            digests[destination.relative_to(tmp.resolve()).as_posix()] = (
                                _copy_limited(stream, destination, entry.size, entry.name)
                            )
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
    return {
        name: {"sha256": digest, "stat": stat_signature(folder / name)}
        for name, digest in digests.items()
    }


def folder_problem(folder: Path, files: dict[str, dict[str, Any]] | None) -> str | None:
    """Say how ``folder`` differs from the record of its files (None: it does not).

    A file whose stat signature changed is hashed; when its bytes are still
    the recorded ones, its new signature is recorded (``files`` is updated).
    """
    if files is None:
        return "it has no record of its files"
    if not folder.is_dir():
        return "it is missing"
    found = {
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    }
    for what, names in (("is missing", set(files) - found), ("was added", found - set(files))):
        if names:
            return f"'{sorted(names)[0]}' {what}" + (
                f" (and {len(names) - 1} more)" if len(names) > 1 else ""
            )
    for name, entry in files.items():
        signature = stat_signature(folder / name)
        if signature != entry["stat"]:
            if hash_file(folder / name) != entry["sha256"]:
                return f"'{name}' changed"
            entry["stat"] = signature
    return None
