"""How many BLAS and OpenMP threads a model gets: few enough never to wait for a busy core.

scikit-learn's models take every core by default (OpenBLAS for the matrix
products of ``MLPClassifier``, OpenMP for histogram gradient boosting and
k-NN). On small data their threads gain little even on an idle machine, and
when another process keeps a core busy each thread waits for the slowest at
every step: in ``audiosk demo`` (400 training rows of 40 numbers) on a
2-core machine with both cores busy, gradient boosting took 68 s per fold
on all cores and 2.8 s on one (``benchmarks/bench_threads.py``). audiosk
therefore fits and predicts the models it runs
itself (:func:`~audiosk.model_selection.compare`, the chunked estimators)
inside :func:`limited_threads`, with :func:`thread_count` threads:

- one thread on small data (fewer than :data:`SMALL_ROWS` training rows);
- otherwise the cores shared among the workers that run at once (all cores
  when folds run one after another, one each when there are as many
  workers as cores).

A limit already in force (the user's ``threadpool_limits``, joblib's limit
in its worker processes, ``OMP_NUM_THREADS``) is never raised.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import joblib
from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["SMALL_ROWS", "limited_threads", "thread_count"]

#: Below this many training rows every model runs on one thread.
SMALL_ROWS = 10_000

_lock = threading.Lock()
_process: dict[str, Any] = {"depth": 0, "limiter": None}  # BLAS: one limit per process
_thread = threading.local()  # OpenMP: one limit per thread (omp_set_num_threads is per thread)


def thread_count(n_rows: int, n_workers: int = 1) -> int:
    """BLAS/OpenMP threads for each of ``n_workers`` tasks fitting on ``n_rows`` rows at once.

    Parameters
    ----------
    n_rows : int
        Rows (clips, windows) a model is fitted on.
    n_workers : int, default=1
        Tasks running at the same time (joblib workers).

    Returns
    -------
    n_threads : int
        1 below :data:`SMALL_ROWS` rows, else the cores (``joblib.cpu_count()``,
        which counts the cores this process may use) divided among the
        workers, at least 1.

    Examples
    --------
    >>> from audiosk.utils._threads import thread_count
    >>> thread_count(400), thread_count(10**6, n_workers=10**6)
    (1, 1)
    """
    if n_rows < SMALL_ROWS:
        return 1
    cores: int = joblib.cpu_count()
    return max(1, cores // max(1, n_workers))


@contextmanager
def limited_threads(n_threads: int) -> Iterator[None]:
    """Run a block with every BLAS and OpenMP library on at most ``n_threads`` threads.

    A BLAS library's limit holds for the whole process, so blocks that overlap
    in one process (nested, or in the threads of a joblib threading backend)
    share the BLAS limit the first of them set, and the original limits come
    back when the last one ends. OpenMP's limit holds for the thread that
    sets it, so each thread sets its own. No library gets more threads than
    it had.

    Parameters
    ----------
    n_threads : int
        Most threads per library.

    Yields
    ------
    None

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> from audiosk.utils._threads import limited_threads
    >>> with limited_threads(1):
    ...     print(all(lib["num_threads"] == 1 for lib in threadpool_info()))
    True
    """
    with _lock:
        if _process["depth"] == 0:
            _process["limiter"] = _limit(n_threads, "blas")
        _process["depth"] += 1
    depth = getattr(_thread, "depth", 0)
    if depth == 0:
        _thread.limiter = _limit(n_threads, "openmp")
    _thread.depth = depth + 1
    try:
        yield
    finally:
        _thread.depth -= 1
        if _thread.depth == 0:
            _thread.limiter.restore_original_limits()
        with _lock:
            _process["depth"] -= 1
            if _process["depth"] == 0:
                _process["limiter"].restore_original_limits()


def _limit(n_threads: int, user_api: str) -> Any:
    """Limit the loaded libraries of one API ("blas" or "openmp"), never above their limit now."""
    limits: dict[str, int] = {}
    for library in threadpool_info():
        if library["user_api"] == user_api:
            prefix = library["prefix"]
            limits[prefix] = min(n_threads, library["num_threads"], limits.get(prefix, n_threads))
    return threadpool_limits(limits=limits)
