"""Leak-free evaluation protocols for GTZAN: the fault-filtered split and contiguous folds.

GTZAN orders each genre's 100 tracks by artist (and often by album), so folds
drawn at random put tracks of one artist on both sides and score the artist,
not the genre. Two protocols avoid that:

- the fault-filtered split of Kereliuk, Sturm and Larsen (2015), shipped in
  ``data/gtzan_fault_filtered.csv``: 443 / 197 / 290 train / valid / test
  tracks, each artist on one side, 70 faulty tracks (repetitions,
  mislabelings, distortions) left out;
- contiguous stratified folds (``StratifiedKFold`` without shuffling, on the
  tracks in their GTZAN order), which keep runs of neighbouring tracks, hence
  mostly one artist, together. GTZAN publishes no artist per track, so this
  is the fallback for protocols with more than one fold.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SPLIT_FILE = Path(__file__).parent / "data" / "gtzan_fault_filtered.csv"
SPLITS = ("train", "valid", "test")
_TRACK = re.compile(r"([a-z]+\.\d{5})(?:\..*)?")


def gtzan_tracks(filenames: Sequence[str | os.PathLike]) -> np.ndarray:
    """Return the GTZAN track (``"blues.00029"``) of each file name; refuse any other name.

    Accepts the names of the original audio (``blues.00029.au`` or ``.wav``),
    of the Kaggle 30 s table (``blues.00029.au``) and of its 3 s table
    (``blues.00029.3.wav``), with or without folders.
    """
    names = [os.path.basename(os.fspath(f)) for f in filenames]
    tracks = []
    for i, name in enumerate(names):
        match = _TRACK.fullmatch(name)
        if match is None:
            raise ValueError(
                f"filenames[{i}] = {name!r} is not a GTZAN name such as 'blues.00029.au' "
                "(genre, dot, five-digit track number): pass the table's filename column."
            )
        tracks.append(match.group(1))
    return np.asarray(tracks, dtype=str)


def _split_table() -> dict[str, str]:
    import pandas as pd

    table = pd.read_csv(SPLIT_FILE, comment="#", dtype=str)
    return dict(zip(table["track"], table["split"], strict=True))


def gtzan_split_membership(filenames: Sequence[str | os.PathLike]) -> np.ndarray:
    """Return the side of the fault-filtered split of each file: "train", "valid", "test" or "".

    "" marks the 70 tracks that the split leaves out (the faulty ones); all
    3 s windows of a track share its track's side.
    """
    sides = _split_table()
    return np.asarray([sides.get(t, "") for t in gtzan_tracks(filenames)], dtype=str)


def gtzan_fault_filtered_split(
    filenames: Sequence[str | os.PathLike], *, held_out: str = "test"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return the fault-filtered GTZAN split of Kereliuk, Sturm and Larsen (2015) as one cv split.

    The split keeps each artist on one side and leaves out 70 faulty tracks
    (repetitions, mislabelings, distortions): 443 train, 197 valid and 290
    test tracks of the 1,000. The lists are those published with the
    paper's code (GitHub repository coreyker/dnn-mgr); see
    ``audiosk/datasets/data/gtzan_fault_filtered.csv`` for the source.

    Parameters
    ----------
    filenames : sequence of str or os.PathLike of shape (n_rows,)
        GTZAN names, one per row of ``X`` (the ``filenames`` of
        :func:`gtzan_table`, or paths of the audio files); the rows may be
        3 s windows, which follow their track.
    held_out : {"test", "valid"}, default="test"
        "test": fit on train and valid, score on test (the reported figure).
        "valid": fit on train, score on valid (for choosing settings without
        touching the test tracks).

    Returns
    -------
    cv : list of one (train, test) pair of int arrays
        Row indices, for ``cv=`` of :func:`~audiosk.model_selection.compare`,
        ``cross_validate`` or a search. Rows of tracks outside the split are
        in neither array.

    See Also
    --------
    gtzan_contiguous_folds : The fallback with several folds.

    Examples
    --------
    >>> from audiosk.datasets import gtzan_fault_filtered_split
    >>> names = ["blues.00000.au", "blues.00012.au", "blues.00029.au", "classical.00042.au"]
    >>> [(train.tolist(), test.tolist()) for train, test in gtzan_fault_filtered_split(names)]
    [([0, 2], [1])]
    """
    if held_out not in ("test", "valid"):
        raise ValueError(f'held_out must be "test" or "valid", got {held_out!r}.')
    side = gtzan_split_membership(filenames)
    fit_on = ("train", "valid") if held_out == "test" else ("train",)
    train = np.flatnonzero(np.isin(side, fit_on))
    test = np.flatnonzero(side == held_out)
    return [(train, test)]


def gtzan_contiguous_folds(
    filenames: Sequence[str | os.PathLike], *, n_splits: int = 10
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return contiguous stratified folds over GTZAN tracks: runs of neighbouring tracks per genre.

    GTZAN's tracks of one artist are numbered consecutively, so
    ``StratifiedKFold(n_splits)`` without shuffling, applied to the tracks in
    their GTZAN order, keeps most artists within one fold; shuffled folds put
    them on both sides. The folds are drawn over tracks, so every 3 s
    window of a track lands in its track's fold, whatever the order of the
    rows. Artists that straddle a fold boundary still leak a little; the
    fault-filtered split (:func:`gtzan_fault_filtered_split`) keeps every
    artist apart.

    Parameters
    ----------
    filenames : sequence of str or os.PathLike of shape (n_rows,)
        GTZAN names, one per row of ``X``; the genre is read from the name.
    n_splits : int, default=10
        Number of folds (at least 2, at most the tracks of the smallest genre).

    Returns
    -------
    cv : list of (train, test) pairs of int arrays
        Row indices, ``n_splits`` pairs.

    See Also
    --------
    gtzan_fault_filtered_split : The artist-filtered train / valid / test split.

    Examples
    --------
    >>> from audiosk.datasets import gtzan_contiguous_folds
    >>> names = [f"{genre}.{i:05d}.au" for genre in ("blues", "rock") for i in range(4)]
    >>> [test.tolist() for _, test in gtzan_contiguous_folds(names, n_splits=2)]
    [[0, 1, 4, 5], [2, 3, 6, 7]]
    """
    from sklearn.model_selection import StratifiedKFold

    tracks = gtzan_tracks(filenames)
    unique = np.unique(tracks)  # GTZAN order: genre, then track number
    genres = np.asarray([t.split(".")[0] for t in unique])
    folds = StratifiedKFold(n_splits=n_splits).split(unique, genres)
    splits = []
    for _, held in folds:
        in_test = np.isin(tracks, unique[held])
        splits.append((np.flatnonzero(~in_test), np.flatnonzero(in_test)))
    return splits
