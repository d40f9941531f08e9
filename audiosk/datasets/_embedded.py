"""The spoken-digits subset embedded in the package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._folder import ClipPaths

DATA_DIR = Path(__file__).parent / "data" / "spoken_digits"


def load_spoken_digits(*, return_X_y: bool = False, as_frame: bool = False):
    """Load the embedded subset of the Free Spoken Digit Dataset.

    600 recordings (FLAC, mono, 8 kHz, 0.2-1.7 s): the digits 0-9 said by
    6 speakers, 10 takes each. Licensed CC BY-SA 4.0 (Zohar Jackson et al.,
    "Free Spoken Digit Dataset"); see ``README.txt`` beside the files.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Add ``frame``, the metadata as a pandas DataFrame.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``filenames`` (:class:`ClipPaths` of shape (600,), carrying the speakers), ``target`` (digit,
        int, shape (600,)), ``target_names`` (``'0'`` ... ``'9'``), ``groups``
        (speaker name per clip, for group-aware cross-validation), ``takes``,
        ``sr`` (8000), ``DESCR`` and, with ``as_frame``, ``frame``.

    See Also
    --------
    fetch_fsdd : The whole dataset (3,000 recordings), downloaded once.

    Examples
    --------
    >>> from audiosk.datasets import load_spoken_digits
    >>> digits = load_spoken_digits()
    >>> digits.filenames.shape, sorted(set(digits.groups.tolist()))[:2], digits.sr
    ((600,), ['george', 'jackson'], 8000)
    """
    import pandas as pd

    meta = pd.read_csv(DATA_DIR / "metadata.csv")
    speakers = meta["speaker"].to_numpy().astype(str)
    filenames = ClipPaths(
        [str(DATA_DIR / f) for f in meta["filename"]], groups=speakers, group_name="speaker"
    )
    target = meta["digit"].to_numpy()
    if return_X_y:
        return filenames, target
    bunch = Bunch(
        filenames=filenames,
        target=target,
        target_names=np.asarray([str(d) for d in range(10)]),
        groups=speakers,
        takes=meta["take"].to_numpy(),
        sr=8000,
        DESCR=(DATA_DIR / "README.txt").read_text(),
    )
    if as_frame:
        meta["filename"] = filenames
        bunch.frame = meta
    return bunch
