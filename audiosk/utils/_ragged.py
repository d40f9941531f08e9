"""Spectra of clips of any length: a list of ``(n_bins, n_frames_i)`` arrays with the sample rate.

The spectral steps return a 3-D array ``(n_clips, n_bins, n_frames)`` when
every clip has one length and a :class:`Spectra` list otherwise, so that no
clip is padded or trimmed. The list indexes like an array under
scikit-learn's ``_safe_indexing`` (folds, searches), pickles, and reports the
frame count of every clip (:attr:`Spectra.lengths`), which is what a network
needs to build batches and masks.
"""

from __future__ import annotations

import numpy as np

from ._waveforms import _ClipList

__all__ = ["Spectra"]


class Spectra(_ClipList):
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
