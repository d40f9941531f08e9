"""Spectra of clips of any length: a list of ``(n_bins, n_frames_i)`` arrays with the sample rate.

The spectral steps return a 3-D array ``(n_clips, n_bins, n_frames)`` when
every clip has one length and a :class:`Spectra` list otherwise, so that no
clip is padded or trimmed. The list indexes like an array under
scikit-learn's ``_safe_indexing`` (folds, searches), pickles, and reports the
frame count of every clip (:attr:`Spectra.lengths`), which is what a network
needs to build batches and masks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["Spectra", "select_rows"]


def select_rows(items: list[Any], index: Any, owner: str) -> list[Any] | Any:
    """Pick clips from a list the way NumPy picks rows of an array.

    Parameters
    ----------
    items : list
        The clips.
    index : int, slice, array-like of int or bool, or ``(rows, ...)``
        Rows, as scikit-learn's ``_safe_indexing`` passes them.
    owner : str
        Container name, for error messages.

    Returns
    -------
    clip or list
        One clip for an integer, else a plain list of the chosen clips.

    Examples
    --------
    >>> from audiosk.utils._ragged import select_rows
    >>> select_rows(["a", "b", "c"], [True, False, True], "Spectra")
    ['a', 'c']
    """
    if isinstance(index, tuple) and len(index) == 2 and index[1] is Ellipsis:
        index = index[0]  # scikit-learn's _safe_indexing asks for X[rows, ...]
    if isinstance(index, (int, np.integer)):
        return items[int(index)]
    if isinstance(index, slice):
        return items[index]
    rows = np.asarray(index)
    if rows.dtype == bool:
        if len(rows) != len(items):
            raise IndexError(f"boolean index of {len(rows)} for {len(items)} clips")
        rows = np.flatnonzero(rows)
    if rows.ndim != 1 or (len(rows) and rows.dtype.kind not in "iu"):
        raise IndexError(f"{owner} index with integers, slices or masks; got {index!r}")
    return [items[int(i)] for i in rows]


class Spectra(list[Any]):
    """A list of spectra ``(n_bins, n_frames_i)``, one per clip, of any lengths.

    What :class:`~audiosk.features.MelSpectrogram` and the other spectral
    steps return for clips of different lengths: each clip keeps its own
    frame count (librosa's for that clip), nothing is padded. All clips share
    the number of bins.

    Parameters
    ----------
    clips : iterable of ndarray of shape (n_bins, n_frames_i)
        The spectra (float32).
    sr : int or None, default=None
        Sample rate of the audio they were computed from, in Hz.

    Attributes
    ----------
    sr : int or None
        The rate.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.utils import Spectra
    >>> S = Spectra([np.zeros((64, 10), np.float32), np.zeros((64, 4), np.float32)], sr=8000)
    >>> S.shape, S.lengths.tolist(), S.n_bins
    ((2,), [10, 4], 64)
    >>> padded, lengths = S.padded()
    >>> padded.shape, lengths.tolist()
    ((2, 64, 10), [10, 4])
    >>> S[[1]].lengths.tolist(), S[[1]].sr
    ([4], 8000)
    """

    def __init__(self, clips: Iterable[Any] = (), sr: int | None = None) -> None:
        super().__init__(clips)
        self.sr = sr

    @property
    def shape(self) -> tuple[int]:
        """``(n_clips,)``: scikit-learn then indexes the list as an array, through ``[]``."""
        return (len(self),)

    @property
    def ndim(self) -> int:
        """1: a sequence of clips."""
        return 1

    @property
    def lengths(self) -> np.ndarray:
        """Frames of each clip, ``(n_clips,)`` int64."""
        return np.asarray([np.shape(s)[-1] for s in self], dtype=np.int64)

    @property
    def n_bins(self) -> int:
        """Bins (rows) of every clip."""
        if not self:
            raise ValueError("Spectra holds no clips, so it has no number of bins.")
        return int(np.shape(self[0])[0])

    def padded(self, n_frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Stack the clips into one array, zeros after each clip's last frame.

        Parameters
        ----------
        n_frames : int or None, default=None
            Frames of the output (the longest clip when None); a clip longer
            than this is an error, never trimmed.

        Returns
        -------
        X : ndarray of shape (n_clips, n_bins, n_frames), float32
            The spectra, left-aligned.
        lengths : ndarray of shape (n_clips,), int64
            Valid frames of each row of ``X``.
        """
        lengths = self.lengths
        longest = int(lengths.max()) if len(lengths) else 0
        n_frames = longest if n_frames is None else n_frames
        if longest > n_frames:
            raise ValueError(
                f"Spectra.padded(n_frames={n_frames}): a clip has {longest} frames; "
                "pass n_frames of at least the longest clip."
            )
        X = np.zeros((len(self), self.n_bins if self else 0, n_frames), dtype=np.float32)
        for row, (s, n) in enumerate(zip(self, lengths, strict=True)):
            X[row, :, :n] = s
        return X, lengths

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)):
            return list.__getitem__(self, int(index))
        rows = select_rows(list(self), index, "Spectra")
        if isinstance(rows, list):
            return Spectra(rows, sr=self.sr)
        return rows

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self), self.sr))

    def __repr__(self) -> str:
        return f"Spectra(n_clips={len(self)}, sr={self.sr})"
