"""Datasets from folders of audio files or pickled utterances."""

from __future__ import annotations

import os
import pickle
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from ..containers import Waveforms, to_float
from ..utils._base import AudioskWarning
from ..utils._sklearn_compat import IntInterval, validate_params

AUDIO_EXTENSIONS = (
    "wav",
    "wave",
    "flac",
    "ogg",
    "oga",
    "aif",
    "aiff",
    "aifc",
    "au",
    "snd",
    "mp3",
    "m4a",
)

LabelSpec = None | str | Callable[[str], object]


class ClipPaths(np.ndarray):
    """File names that remember each clip's group (speaker, track, fold).

    Behaves as a 1-D array of str. :func:`audiosk.model_selection.compare`
    and the nets read ``groups`` to warn when clips are cross-validated
    without them. A selection (a slice, a mask, integer indices, a
    re-ordering, scikit-learn's ``_safe_indexing`` and ``np.take``) selects
    the same rows of ``groups``, so the groups stay aligned with the names;
    copies (``.copy()``, ``copy.copy``, ``copy.deepcopy``) and
    pickling (joblib's workers) keep them. Names re-ordered or changed in
    place (``np.sort``, ``.sort()``, ``rng.shuffle``, an assignment) keep
    their groups when each name has one group (the group of a name is looked
    up), and lose them otherwise: groups are never misaligned. Operations
    that make other arrays of the names (string functions) give no groups.

    Parameters
    ----------
    paths : sequence of str
        File names.
    groups : array-like of shape (n_files,) or None, default=None
        Group of each file.
    group_name : str, default="group"
        What a group is, for messages.

    Attributes
    ----------
    groups : ndarray of shape (n_files,) or None
        The group of each file, aligned with the names.
    group_name : str
        What a group is.

    See Also
    --------
    load_audio_folder : Lists a folder's files as ``ClipPaths``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.datasets import ClipPaths
    >>> paths = ClipPaths(["b.wav", "a.wav", "c.wav"], groups=["bob", "ann", "bob"], group_name="speaker")
    >>> paths[[2, 0]].groups.tolist(), paths[paths.groups == "bob"].tolist()
    (['bob', 'bob'], ['b.wav', 'c.wav'])
    >>> np.sort(paths).groups.tolist()
    ['ann', 'bob', 'bob']
    """

    group_name: str
    _groups: np.ndarray | None
    _names: np.ndarray | None  # the names as they were when the groups were set

    def __new__(cls, paths: Any, groups: Any = None, group_name: str = "group") -> ClipPaths:
        """View ``paths`` as file names carrying ``groups``."""
        obj = np.asarray(paths).view(cls)
        obj.group_name = group_name
        obj.groups = None if groups is None else np.asarray(groups)
        if obj.groups is not None and obj.groups.shape != obj.shape[:1]:
            raise ValueError(
                f"ClipPaths: {len(obj.groups)} groups for {len(obj)} paths; give one group per "
                "path."
            )
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self._groups = self._names = None  # set by the selections below, where rows are known
        self.group_name = getattr(obj, "group_name", "group")

    @property
    def groups(self) -> np.ndarray | None:
        """The group of each file, aligned with the names (None when unknown)."""
        if self._groups is None or self._names is None:
            return None
        names = self.view(np.ndarray)
        if names.shape == self._names.shape and np.array_equal(names, self._names):
            return self._groups
        # the names changed in place (sorted, shuffled, assigned): look each one's group up
        lookup: dict[Any, Any] = {}
        for name, group in zip(self._names.tolist(), self._groups.tolist(), strict=True):
            if lookup.setdefault(name, group) != group:  # a name of two groups
                lookup[name] = _AMBIGUOUS
        found = [lookup.get(name, _AMBIGUOUS) for name in names.tolist()]
        ambiguous = any(g is _AMBIGUOUS for g in found)
        self.groups = None if ambiguous else np.asarray(found, dtype=self._groups.dtype)
        return self._groups

    @groups.setter
    def groups(self, groups: np.ndarray | None) -> None:
        self._groups = groups
        self._names = None if groups is None else self.view(np.ndarray).copy()

    def __getitem__(self, key: Any) -> Any:
        out = super().__getitem__(key)
        if isinstance(out, ClipPaths):
            out.groups = self._select(key, out)
        return out

    def take(self, indices: Any, axis: Any = None, out: Any = None, mode: Any = "raise") -> Any:
        """Select names by position, as :meth:`numpy.ndarray.take`, with their groups.

        Parameters
        ----------
        indices : array-like of int
            Positions of the names to select.
        axis : int or None, default=None
            As in :meth:`numpy.ndarray.take`.
        out : ndarray or None, default=None
            As in :meth:`numpy.ndarray.take`.
        mode : {"raise", "wrap", "clip"}, default="raise"
            As in :meth:`numpy.ndarray.take`.

        Returns
        -------
        selected : ClipPaths
            The names at ``indices`` with their groups.
        """
        result = super().take(indices, axis=axis, out=out, mode=mode)
        if isinstance(result, ClipPaths) and self.ndim == 1:
            result.groups = self._select(np.take(np.arange(len(self)), indices, mode=mode), result)
        return result

    def copy(self, order: Any = "C") -> Any:
        """Copy the names, with their groups.

        Parameters
        ----------
        order : {"C", "F", "A", "K"}, default="C"
            Memory layout, as in :meth:`numpy.ndarray.copy`.

        Returns
        -------
        copied : ClipPaths
            The names and a copy of their groups.
        """
        result = super().copy(order=order)
        groups = self.groups
        result.groups = None if groups is None else groups.copy()
        return result

    def __copy__(self) -> ClipPaths:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> ClipPaths:
        return self.copy()

    def _select(self, key: Any, out: np.ndarray) -> np.ndarray | None:
        """Select the groups of the rows ``key`` selects (None if they cannot line up with ``out``)."""
        if self.groups is None or self.ndim != 1 or out.ndim != 1:
            return None
        try:
            groups = self.groups[key]
        except (IndexError, TypeError, ValueError):
            return None
        return groups if np.shape(groups) == out.shape else None

    def __reduce__(self) -> Any:
        reconstruct, args, state = super().__reduce__()  # type: ignore[str-unpack]
        return reconstruct, args, (state, self.groups, self.group_name)

    def __setstate__(self, state: Any) -> None:
        array_state, groups, self.group_name = state
        super().__setstate__(array_state)
        self.groups = groups  # once the names are back


#: A name whose group cannot be told (unknown, or two groups).
_AMBIGUOUS = object()


def _label_function(spec: LabelSpec, root: Path, what: str) -> Callable[[str], object] | None:
    """Turn ``"folder"``, a regex or a callable into a function of the path."""
    if spec is None:
        return None
    if callable(spec):
        return spec
    if spec == "folder":

        def from_folder(path):
            rel = Path(path).relative_to(root)
            if len(rel.parts) < 2:
                raise ValueError(
                    f"{what}='folder' needs files in sub-folders of {root}; "
                    f"'{path}' lies directly in it."
                )
            return rel.parts[0]

        return from_folder
    if isinstance(spec, str):
        pattern = re.compile(spec)

        def from_regex(path):
            match = pattern.search(os.path.basename(path))
            if match is None:
                raise ValueError(
                    f"{what} pattern '{spec}' does not match the file name of '{path}'."
                )
            return match.group(1) if pattern.groups else match.group(0)

        return from_regex
    raise TypeError(f"{what} must be None, 'folder', a regex string or a callable; got {spec!r}.")


def encode_target(values: Sequence) -> tuple:
    """Encode labels: strings become sorted class indices, numbers stay.

    Parameters
    ----------
    values : sequence
        One label or target per clip.

    Returns
    -------
    target : ndarray of shape (n_clips,)
        Integer class indices, or the numeric targets.
    target_names : ndarray of str or None
        Class names in index order; ``None`` for numeric targets.

    Examples
    --------
    >>> from audiosk.datasets._folder import encode_target
    >>> encode_target(["dog", "cat", "dog"])
    (array([1, 0, 1]), array(['cat', 'dog'], dtype='<U3'))
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr, None
    names, target = np.unique(arr.astype(str), return_inverse=True)
    return target, names


@validate_params(
    {
        "root": [str, os.PathLike],
        "labels": [str, callable, None],
        "groups": [str, callable, None],
        "extensions": [list, tuple, None],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_audio_folder(
    root: str | os.PathLike,
    *,
    labels: LabelSpec = "folder",
    groups: LabelSpec = None,
    extensions: Sequence[str] | None = AUDIO_EXTENSIONS,
    return_X_y: bool = False,
):
    r"""List the audio files under a folder, with labels and groups.

    Files are not decoded here (put :class:`~audiosk.io.AudioLoader` first in
    the pipeline); the result mirrors :func:`sklearn.datasets.load_files`.

    Parameters
    ----------
    root : str or os.PathLike
        Folder to walk, recursively; hidden files and folders are skipped.
    labels : "folder", str, callable or None, default="folder"
        The class of each file: ``"folder"`` takes the name of its top
        sub-folder under ``root``; a string is a regular expression searched
        in the file name (its first group, or the whole match); a callable
        maps the path to a label; ``None`` gives no target.
    groups : "folder", str, callable or None, default=None
        The group of each file (speaker, track, fold), specified like
        ``labels``, for group-aware cross-validation.
    extensions : sequence of str or None, default=AUDIO_EXTENSIONS
        File name endings to keep, case-insensitive. ``None`` keeps every
        file; the format is always recognised from the content.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``filenames`` (:class:`ClipPaths` of shape (n_clips,), sorted, carrying ``groups``),
        ``target`` (ndarray of shape (n_clips,) or None), ``target_names``
        (class names, or None for numeric labels), ``groups`` (ndarray or
        None) and ``DESCR``.

    See Also
    --------
    audiosk.io.AudioLoader : The pipeline step that decodes the files.
    load_pickle_folder : Utterances stored as pickles.

    Examples
    --------
    >>> from pathlib import Path
    >>> from audiosk.datasets import load_audio_folder, load_spoken_digits
    >>> root = Path(load_spoken_digits().filenames[0]).parent
    >>> data = load_audio_folder(root, labels=r"^(\d)_", groups=r"^\d_([a-z]+)_")
    >>> len(data.filenames), data.target_names[:3].tolist(), str(data.groups[0])
    (600, ['0', '1', '2'], 'george')
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"load_audio_folder: '{root}' is not a folder.")
    wanted = None if extensions is None else {"." + e.lower().lstrip(".") for e in extensions}
    filenames, unreadable, seen = [], [], set()

    def report(error: OSError) -> None:
        unreadable.append(f"'{error.filename}' ({error.strerror or error})")

    # symlinked folders are followed; a folder reached twice (a link loop) is read once
    for dirpath, dirnames, files in os.walk(root, followlinks=True, onerror=report):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            if wanted is not None and os.path.splitext(name)[1].lower() not in wanted:
                continue
            filenames.append(os.path.join(dirpath, name))
    if unreadable:
        warnings.warn(
            f"load_audio_folder could not read {len(unreadable)} folder(s) under '{root}', "
            f"whose files are not listed: {', '.join(unreadable[:5])}. Check their permissions.",
            AudioskWarning,
            stacklevel=2,
        )
    filenames.sort()
    if not filenames:
        raise ValueError(
            f"load_audio_folder found no files under '{root}' with extensions "
            f"{sorted(wanted) if wanted else 'any'}; pass extensions=None to keep every file."
        )
    label_of = _label_function(labels, root, "labels")
    group_of = _label_function(groups, root, "groups")
    target = target_names = group_values = None
    if label_of is not None:
        target, target_names = encode_target([label_of(f) for f in filenames])
    if group_of is not None:
        group_values = np.asarray([group_of(f) for f in filenames])
    clips = ClipPaths(filenames, groups=group_values)
    if return_X_y:
        return clips, target
    return Bunch(
        filenames=clips,
        target=target,
        target_names=target_names,
        groups=group_values,
        DESCR=f"Audio files under {root} ({len(clips)} files).",
    )


def _mix_down(audio: np.ndarray, path: str) -> np.ndarray:
    """Average a 2-D clip over its channel axis, the shorter one."""
    if audio.shape[0] == audio.shape[1]:
        raise ValueError(
            f"'{path}': audio of shape {audio.shape} has as many rows as columns, so its channel "
            "axis is unknown; store it as (n_channels, n_samples) or (n_samples, n_channels)."
        )
    channel_axis = int(np.argmin(audio.shape))
    mixed: np.ndarray = audio.mean(axis=channel_axis, dtype=np.float32)
    return mixed


@validate_params(
    {
        "root": [str, os.PathLike],
        "audio_key": [str],
        "sr_key": [str],
        "target_key": [str],
        "groups": [str, callable, None],
        "sr": [IntInterval(1, None, closed="left"), None],
        "mono": ["boolean"],
        "pattern": [str],
    },
    prefer_skip_nested_validation=True,
)
def load_pickle_folder(
    root: str | os.PathLike,
    *,
    audio_key: str = "audio",
    sr_key: str = "sr",
    target_key: str = "label",
    groups: LabelSpec = None,
    sr: int | None = None,
    mono: bool = True,
    pattern: str = "*.pkl",
):
    r"""Load a folder of pickled utterances.

    Each file holds one utterance: a dict with the audio array, its sample
    rate and its label or target, or a tuple ``(audio, sr, target)``. The
    audio is 1-D, or 2-D with one axis for the channels: ``(n_channels,
    n_samples)`` as :func:`librosa.load` gives it or ``(n_samples,
    n_channels)`` as ``soundfile.read`` does; the shorter axis is taken
    for the channels.

    .. warning::
       Unpickling runs code stored in the file. Only load pickles you
       created or trust; audio files (:func:`load_audio_folder`) or arrays
       saved with ``np.save`` and read with ``np.load(allow_pickle=False)``
       run none.

    Parameters
    ----------
    root : str or os.PathLike
        Folder searched recursively for ``pattern``.
    audio_key, sr_key, target_key : str, default="audio", "sr", "label"
        Keys of the dict entries. ``target_key`` may name a class label or a
        numeric target (regression).
    groups : "folder", str, callable or None, default=None
        Group of each file, as in :func:`load_audio_folder`.
    sr : int or None, default=None
        Resample every utterance to this rate; ``None`` keeps the stored
        rate, which must then be the same for every file.
    mono : bool, default=True
        Average the channels of multi-channel audio into one (as
        :func:`audiosk.io.load_audio` does); with ``False`` such audio is
        refused.
    pattern : str, default="\*.pkl"
        Glob of the files to read.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (:class:`~audiosk.containers.Waveforms`: 1-D float32 arrays that
        carry ``sr``), ``sr``, ``target``, ``target_names`` (None for numeric
        targets), ``groups``, ``filenames`` and ``DESCR``.

    See Also
    --------
    load_audio_folder : Folders of audio files, decoded in the pipeline.

    Examples
    --------
    >>> import pickle, tempfile, numpy as np
    >>> from pathlib import Path
    >>> from audiosk.datasets import load_pickle_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> for i, v in enumerate([0.5, -0.2]):
    ...     utt = {"audio": np.zeros(800 + i), "sr": 8000, "valence": v}
    ...     _ = (root / f"utt{i}.pkl").write_bytes(pickle.dumps(utt))
    >>> data = load_pickle_folder(root, target_key="valence")
    >>> data.target, data.sr
    (array([ 0.5, -0.2]), 8000)
    """
    root = Path(root)
    files = sorted(str(p) for p in root.rglob(pattern))
    if not files:
        raise ValueError(f"load_pickle_folder found no '{pattern}' files under '{root}'.")
    waves, rates, targets = [], [], []
    for path in files:
        with open(path, "rb") as fh:
            item = pickle.load(fh)
        if isinstance(item, dict):
            missing = [k for k in (audio_key, sr_key, target_key) if k not in item]
            if missing:
                raise KeyError(
                    f"'{path}' has no {missing} entries; its keys are {sorted(item)}. "
                    "Set audio_key, sr_key and target_key."
                )
            audio, rate, target = item[audio_key], item[sr_key], item[target_key]
        elif isinstance(item, (tuple, list)) and len(item) == 3:
            audio, rate, target = item
        else:
            raise TypeError(
                f"'{path}' holds a {type(item).__name__}; expected a dict or an "
                "(audio, sr, target) tuple."
            )
        audio = np.asarray(to_float(audio, owner=f"load_pickle_folder('{path}')"), np.float32)
        if mono and audio.ndim == 2:
            audio = _mix_down(audio, path)
        if audio.ndim != 1:
            hint = "" if mono or audio.ndim != 2 else "; pass mono=True to average its channels"
            raise ValueError(f"'{path}': audio must be 1-D (mono), got shape {audio.shape}{hint}.")
        if sr is not None and int(rate) != sr:
            import librosa

            audio = librosa.resample(audio, orig_sr=int(rate), target_sr=sr, res_type="soxr_hq")
            rate = sr
        waves.append(audio)
        rates.append(int(rate))
        targets.append(target)
    if len(set(rates)) > 1:
        raise ValueError(
            f"load_pickle_folder found rates {sorted(set(rates))} under '{root}'; "
            "pass sr= to resample every utterance to one rate."
        )
    target, target_names = encode_target(targets)
    group_of = _label_function(groups, root, "groups")
    return Bunch(
        data=Waveforms(waves, sr=rates[0]),
        sr=rates[0],
        target=target,
        target_names=target_names,
        groups=None if group_of is None else np.asarray([group_of(f) for f in files]),
        filenames=np.asarray(files),
        DESCR=f"Pickled utterances under {root} ({len(files)} files).",
    )
