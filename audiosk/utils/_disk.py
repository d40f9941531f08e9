"""Arrays on disk that scikit-learn can split and audiosk's nets read batch by batch."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["DiskArray"]


class DiskArray:
    """Rows of a ``.npy`` file, read only when a batch needs them.

    scikit-learn's cross-validation and searches select rows with
    ``X[indices, ...]``; on a ``DiskArray`` that gives another ``DiskArray``
    (a list of row numbers), not a copy, so a search over
    :class:`~audiosk.nets.NeuralClassifier` never holds the whole training
    set in memory: the net reads each mini-batch from the memory-mapped file.
    It pickles as a path and row numbers, so Dask or joblib workers open the
    file themselves. ``np.asarray`` loads the selected rows.

    Parameters
    ----------
    path : str or os.PathLike[str]
        A ``.npy`` file (e.g. spectrograms ``(n_clips, n_bins, n_frames)``,
        float32 so that nothing needs converting).
    rows : array-like of int or None, default=None
        Row numbers this view selects (all rows when None).

    Attributes
    ----------
    shape : tuple of int
        ``(len(rows),) + row shape``.
    dtype : numpy dtype
        The file's dtype.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from audiosk.utils import DiskArray
    >>> path = os.path.join(tempfile.mkdtemp(), "spectra.npy")
    >>> np.save(path, np.arange(24, dtype=np.float32).reshape(4, 2, 3))
    >>> X = DiskArray(path)
    >>> X.shape, X[[3, 1]].shape, X[[3, 1]].rows.tolist()
    ((4, 2, 3), (2, 2, 3), [3, 1])
    >>> np.asarray(X[[3]])[0, 0]
    array([18., 19., 20.], dtype=float32)
    """

    def __init__(self, path: str | os.PathLike[str], rows: np.ndarray | None = None):
        self.path = os.fspath(path)
        self._memmap: np.ndarray | None = None
        head = self._file()
        self._row_shape = head.shape[1:]
        self.dtype = head.dtype
        self.rows = np.arange(len(head)) if rows is None else np.asarray(rows, dtype=np.int64)

    def _file(self) -> np.ndarray:
        if self._memmap is None:
            self._memmap = np.load(self.path, mmap_mode="r")
        return self._memmap

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.rows),) + self._row_shape

    @property
    def ndim(self) -> int:
        return 1 + len(self._row_shape)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):
            if len(key) > 2 or (len(key) == 2 and key[1] is not Ellipsis):
                raise IndexError("DiskArray selects rows only: X[rows] or X[rows, ...].")
            key = key[0]
        if isinstance(key, (int, np.integer)):
            return np.asarray(self._file()[self.rows[key]])
        return DiskArray(self.path, self.rows[key])

    def read(self, index: Any) -> np.ndarray:
        """Load the rows at positions ``index`` of this view (in that order).

        Parameters
        ----------
        index : array-like of int
            Positions within this view.

        Returns
        -------
        rows : ndarray of shape (len(index),) + row shape
        """
        rows = self.rows[np.asarray(index)]
        order = np.argsort(rows, kind="stable")  # read the file forwards
        out = np.empty((len(rows),) + self._row_shape, dtype=self.dtype)
        out[order] = self._file()[rows[order]]
        return out

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        out = self.read(np.arange(len(self)))
        return out if dtype is None else out.astype(dtype, copy=False)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "rows": self.rows,
            "_row_shape": self._row_shape,
            "dtype": self.dtype,
            "_memmap": None,
        }

    def __repr__(self) -> str:
        return f"DiskArray('{self.path}', shape={self.shape}, dtype={self.dtype})"
