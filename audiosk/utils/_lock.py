"""A lock file that keeps two runs (threads, processes, hosts) from writing the same output."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

from ._hashing import fit_name

__all__ = ["FileLock"]


class FileLock:
    """Hold ``path`` while a block runs; a lock left by a dead process is taken over.

    The lock file names its holder by host, process and thread. A holder on
    this host whose process is gone is dead, and its lock is taken over; a
    holder on another host (a shared file system) cannot be checked from
    here, so it is taken to be alive and the error says which host to look
    at and which file to delete if nothing runs there any more.

    Parameters
    ----------
    path : str or os.PathLike[str]
        The lock file (created, and removed on exit).
    what : str
        What the lock protects, for the error message.
    wait : float, default=0.0
        Seconds to wait for another holder to finish; 0 refuses at once with
        :class:`RuntimeError`.

    Examples
    --------
    >>> import tempfile, os
    >>> from audiosk.utils._lock import FileLock
    >>> path = os.path.join(tempfile.mkdtemp(), "lock")
    >>> with FileLock(path, "the demo table"):
    ...     os.path.exists(path)
    True
    >>> os.path.exists(path)
    False
    """

    def __init__(self, path: str | os.PathLike[str], what: str, *, wait: float = 0.0):
        self.path = Path(path)
        self.what = what
        self.wait = wait

    def __enter__(self) -> FileLock:
        me = f"{_host()} {os.getpid()} {threading.get_ident()}"
        # the lock file appears with its content in one step (a hard link), so that a
        # competitor never reads it empty
        # (named after the lock, shortened by a hash when a long name leaves no room)
        tail = f".{_host()}.{os.getpid()}.{threading.get_ident()}"
        mine = self.path.with_name(fit_name(self.path.name, room=len(os.fsencode(tail))) + tail)
        mine.write_text(me)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                os.link(mine, self.path)
            except FileExistsError:
                seen, holder = _holder(self.path)
                if holder is None:  # left by a run that was killed
                    _remove_stale(self.path, seen, mine)
                    continue
                if time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                mine.unlink(missing_ok=True)
                raise RuntimeError(
                    f"Another run ({holder}) is writing {self.what}; wait for it to finish or "
                    f"write elsewhere. (Lock file: '{self.path}'; delete it only if that run "
                    "is gone.)"
                ) from None
            mine.unlink(missing_ok=True)
            return self

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _host() -> str:
    return socket.gethostname() or "unknown-host"


def _holder(path: Path) -> tuple[str, str | None]:
    """Read a lock file: its content, and a description of its live holder (None: gone).

    The content is ``"<host> <pid> <thread>"`` (``"<pid> [<thread>]"``, with
    no host, is taken to be of this host).
    """
    try:
        text = path.read_text()
    except OSError:
        return "", None
    fields = text.split()
    host = fields.pop(0) if len(fields) == 3 else _host()
    try:
        pid, thread = int(fields[0]), int(fields[1]) if len(fields) > 1 else 0
    except (ValueError, IndexError):
        return text, None
    if host != _host():  # its processes cannot be seen from here: taken to be alive
        return text, f"process {pid} on host {host}"
    if pid == os.getpid():
        alive = thread in {t.ident for t in threading.enumerate()}
        return text, f"thread {thread} of this process" if alive else None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return text, None
    except PermissionError:
        pass
    return text, f"process {pid}"


def _remove_stale(path: Path, seen: str, mine: Path) -> None:
    """Remove the lock file of a dead holder, never one a live run took in the meantime.

    Several runs may find the same dead holder. Only the one holding the
    takeover file (``<lock>.takeover``, linked like the lock itself) checks
    again and removes it; the others try again once it is done.
    """
    guard = path.with_name(fit_name(path.name, room=len(".takeover")) + ".takeover")
    try:
        os.link(mine, guard)
    except FileExistsError:
        if _holder(guard)[1] is None:  # a run died while taking over
            guard.unlink(missing_ok=True)
        return
    try:
        text, holder = _holder(path)
        if holder is None and text == seen:
            path.unlink(missing_ok=True)
    finally:
        guard.unlink(missing_ok=True)
