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
from sklearn.utils import Bunch

from .._jobs import read_table
from ..utils._sklearn_compat import validate_params

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


@validate_params({"path": [str, os.PathLike]}, prefer_skip_nested_validation=True)
def gtzan_table(path: str | os.PathLike) -> Bunch:
    r"""Read a GTZAN feature table into a Bunch: the published one, or one audiosk wrote.

    The published tables (``features_30_sec.csv``, ``features_3_sec.csv``;
    see :func:`fetch_gtzan_features`) and those that
    :func:`~audiosk.extraction.extract_features` (``extractor="gtzan"``) or
    ``audiosk extract`` write from the GTZAN audio share one layout: the
    file's name (``filename`` in the published tables, ``path`` in
    audiosk's, with ``window`` and ``start`` for windows), ``length`` (in
    samples), the features, and ``label`` where the table has one (else the
    genre is read from the GTZAN name). ``data`` holds the features alone:
    the same 57 columns, in the same order, from either.

    GTZAN numbers each genre's tracks artist by artist, so shuffled folds put
    an artist on both sides and overstate accuracy. Evaluate with the
    artist-filtered ``split`` (:func:`gtzan_fault_filtered_split`) or with
    contiguous stratified folds (:func:`gtzan_contiguous_folds`).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv`` or ``.parquet`` table whose every name is a GTZAN name
        (``blues.00000.au``, ``blues.00000.3.wav``, ``genres/blues/blues.00000.wav``).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``frame`` (the table), ``data`` (the features, a DataFrame of shape
        (n_rows, n_features): every column but ``filename``, ``path``,
        ``window``, ``start``, ``length`` and ``label``), ``target`` (genre
        index, shape (n_rows,)), ``target_names``, ``filenames`` (the names
        as the table gives them), ``groups`` (the track of each row,
        ``"blues.00000"``: keeps a track's 3 s windows together; GTZAN gives
        no artist per track), ``split`` (``"train"``, ``"valid"``,
        ``"test"`` in the fault-filtered split of Kereliuk, Sturm and Larsen
        2015, ``""`` for the 70 tracks it leaves out) and ``DESCR``; the
        arrays are aligned with the rows.

    Raises
    ------
    ValueError
        When the table has neither a ``filename`` nor a ``path`` column, or
        names a file that is not a GTZAN file.

    See Also
    --------
    fetch_gtzan_features : Download the published table and read it with this.

    Examples
    --------
    >>> import tempfile, os
    >>> from audiosk.datasets import gtzan_table
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("filename,length,tempo,label\nblues.00000.0.wav,66149,120.0,blues\n")
    >>> table = gtzan_table(path)
    >>> table.groups.tolist(), table.split.tolist(), list(table.data.columns)
    (['blues.00000'], ['valid'], ['tempo'])
    """
    from ._folder import encode_target

    frame = read_table(path)
    names = [c for c in ("filename", "path") if c in frame.columns]
    if not names:
        raise ValueError(
            f"{os.fspath(path)}: a GTZAN table names its files in a 'filename' column (the "
            f"published tables) or a 'path' column (extract_features); its columns are "
            f"{list(frame.columns)[:6]}..."
        )
    filenames = frame[names[0]].astype(str).to_numpy()
    try:
        tracks = gtzan_tracks(filenames)
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)}: {error}") from None
    if "label" in frame.columns:
        labels = frame["label"].astype(str).to_numpy()
    else:  # a table of the audio: the genre is the first part of each GTZAN name
        labels = np.asarray([t.split(".")[0] for t in tracks])
    target, target_names = encode_target(labels)
    meta = [c for c in ("filename", "path", "window", "start", "length", "label") if c in frame]
    return Bunch(
        frame=frame,
        data=frame.drop(columns=meta),
        target=target,
        target_names=target_names,
        filenames=filenames,
        groups=tracks,
        split=gtzan_split_membership(filenames),
        DESCR=(
            f"GTZAN features from '{os.fspath(path)}' (librosa's features at 22,050 Hz in the "
            "published Kaggle tables); research use. split: the fault-filtered split of "
            "Kereliuk, Sturm and Larsen (2015)."
        ),
    )
