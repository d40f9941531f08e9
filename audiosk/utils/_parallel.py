"""Threads over the clips of one call, with an optional progress bar.

What :class:`~audiosk.io.AudioLoader`, :class:`~audiosk.features.GTZANFeatures`
and :class:`~audiosk.features.PANNsEmbedding` use within one ``transform``:
decoders and FFTs release the GIL, so threads need no copy of the audio.
Long jobs over many files (tables, image folders) do not run here but on the
job layer's runner, ``audiosk._jobs.run_batches``: batches in worker
processes that survive a crashing decoder and record their work as it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from joblib import Parallel, delayed, effective_n_jobs


def parallel_map(
    func: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    n_jobs: int | None = None,
    verbose: int = 0,
    desc: str = "",
) -> list[Any]:
    """Apply ``func`` to every item, in order, on ``n_jobs`` threads.

    Parameters
    ----------
    func : callable
        Function of one item.
    items : sequence
        Inputs; results keep their order.
    n_jobs : int or None, default=None
        Threads, as joblib reads ``n_jobs`` (``None`` is 1 unless in a
        ``joblib.parallel_config`` context, ``-1`` all cores).
    verbose : int, default=0
        ``> 0`` shows a tqdm progress bar.
    desc : str, default=""
        Label of the progress bar.

    Returns
    -------
    results : list
        ``[func(item) for item in items]``.

    Examples
    --------
    >>> from audiosk.utils._parallel import parallel_map
    >>> parallel_map(abs, [-1, 2, -3], n_jobs=2)
    [1, 2, 3]
    """
    items = list(items)
    if effective_n_jobs(n_jobs) == 1:
        iterator: Iterable[Any] = map(func, items)
    else:
        iterator = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
            delayed(func)(item) for item in items
        )
    if verbose:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=len(items), desc=desc, unit="file")
    return list(iterator)
