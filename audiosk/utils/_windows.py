"""The one window rule: where the windows of a clip start.

:func:`~audiosk.preprocessing.split_windows`, the chunked estimators,
:class:`~audiosk.features.PANNsEmbedding` and window tables of
:func:`~audiosk.extraction.extract_features` all cut clips with it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TAIL_SHARE", "even_window_starts", "window_starts"]

#: Share of a window below which a clip's remainder gets no window of its own.
TAIL_SHARE = 0.01


def window_starts(n_samples: int, window_length: int, hop_length: int) -> np.ndarray:
    """Return where the windows of one clip start, in samples.

    Windows start every ``hop_length`` samples and one more ends at the
    clip's end when the last regular one stops short of it, so no sample is
    left out; a clip of at most ``window_length`` samples has one window,
    starting at 0. A remainder shorter than ``TAIL_SHARE`` (1 %) of a window
    gets no window of its own, which would repeat the last one almost whole:
    the 13 ms past 30 s of a GTZAN track, with 3 s windows, give no 11th
    window (Kaggle's ``features_3_sec.csv`` has 10 per track).

    Parameters
    ----------
    n_samples : int
        Length of the clip.
    window_length, hop_length : int
        Window length and hop, in samples (``hop_length <= window_length``).

    Returns
    -------
    starts : ndarray of shape (n_windows,), int64
        Increasing; the last is ``max(0, n_samples - window_length)`` unless the
        remainder past the last regular window is under ``TAIL_SHARE`` of a window.

    Examples
    --------
    >>> from audiosk.utils._windows import window_starts
    >>> window_starts(10, 4, 3).tolist()
    [0, 3, 6]
    >>> window_starts(11, 4, 3).tolist()
    [0, 3, 6, 7]
    >>> window_starts(30 * 22050 + 294, 3 * 22050, 3 * 22050).size  # a GTZAN track
    10
    """
    if n_samples <= window_length:
        return np.zeros(1, dtype=np.int64)
    starts = np.arange(0, n_samples - window_length + 1, hop_length, dtype=np.int64)
    if starts[-1] + window_length + TAIL_SHARE * window_length <= n_samples:
        starts = np.append(starts, n_samples - window_length)
    return starts


def even_window_starts(n_samples: int, window_length: int, count: int) -> np.ndarray:
    """Return where ``count`` evenly spaced windows of one clip start, the last at its end.

    The first window starts at 0 and the last ends at the clip's end, so the
    windows cover the whole clip when ``count`` is large enough; a clip of at
    most ``window_length`` has one window, starting at 0. Coinciding starts
    (more windows than positions) are given once.

    Parameters
    ----------
    n_samples : int
        Length of the clip.
    window_length : int
        Length of a window.
    count : int
        Windows wanted (at least 1; one is the centred window).

    Returns
    -------
    starts : ndarray of shape (n_windows,), int64
        Increasing.

    Examples
    --------
    >>> from audiosk.utils._windows import even_window_starts
    >>> even_window_starts(10, 4, 3).tolist(), even_window_starts(10, 4, 1).tolist()
    ([0, 3, 6], [3])
    >>> even_window_starts(3, 4, 5).tolist()
    [0]
    """
    if n_samples <= window_length:
        return np.zeros(1, dtype=np.int64)
    if count <= 1:
        return np.array([(n_samples - window_length) // 2], dtype=np.int64)
    starts = np.round(np.linspace(0, n_samples - window_length, count)).astype(np.int64)
    return np.unique(starts)
