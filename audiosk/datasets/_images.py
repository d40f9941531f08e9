"""Folders of images, one sub-folder per class (the layout of torchvision's ImageFolder)."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from .._jobs import read_json
from ..utils._base import AudioskWarning
from ..utils._sklearn_compat import validate_params
from ._folder import ClipPaths

__all__ = ["load_image_folder"]


@validate_params(
    {
        "root": [str, os.PathLike],
        "kind": [str, None],
        "groups": [str, callable, None],
        "load_content": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_image_folder(
    root: str | os.PathLike[str],
    *,
    kind: str | None = None,
    groups: str | Callable[[str], Any] | None = None,
    load_content: bool = True,
) -> Bunch:
    """Load PNG images from ``root/<class>/``, one class per sub-folder, as image-net input.

    With ``kind``, the images of ``root/<class>/<kind>/`` are read: the
    tree that :func:`~audiosk.images.write_spectrogram_images` writes when
    each class's files go into ``root/<class>``. Classes are the
    sub-folder names in sorted order; images are sorted by name within a
    class. A folder that the job wrote (it holds the job's record,
    ``job.json``) gives exactly the images the record lists, with the audio
    file each was drawn from and its group; a recorded image that is
    missing is an error, and an image the record does not list is left out
    with a warning. Any other folder gives its ``*.png`` files.

    Parameters
    ----------
    root : str or os.PathLike
        Root of the tree.
    kind : str or None, default=None
        Read ``<class>/<kind>/*.png`` ("linear", "log", "mel", "mfcc"); None
        reads ``<class>/*.png``.
    groups : str, callable or None, default=None
        The group of each image (speaker, track), for group-aware
        cross-validation. None: the groups the job recorded (those of the
        :class:`~audiosk.datasets.ClipPaths` it drew), if every image has
        one. A string is a regular expression searched in the name of the
        image's source file (its first group, or the whole match); a
        callable maps the source file's path to a group. Without a record,
        the image's own path stands for its source.
    load_content : bool, default=True
        Read the pixels into ``data``; False returns the file names only.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (with ``load_content``): float32 array of shape
        ``(n_images, 3, height, width)`` with values in [0, 1] (RGB; an alpha
        channel is dropped, grey images are repeated on the three channels);
        ``filenames`` (:class:`~audiosk.datasets.ClipPaths` of shape
        (n_images,), carrying ``groups``); ``target`` (n_images,), the class
        index; ``target_names`` (n_classes,); ``groups`` (n_images,) or None;
        ``sources`` (n_images,), the audio file of each image.

    Raises
    ------
    ValueError
        When no image is found, a recorded image is missing, a ``groups``
        pattern does not match, or images differ in size (naming one).

    See Also
    --------
    audiosk.images.write_spectrogram_images : Write the tree.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from audiosk.datasets import load_image_folder, load_spoken_digits
    >>> from audiosk.images import write_spectrogram_images
    >>> digits, root = load_spoken_digits(), Path(tempfile.mkdtemp())
    >>> for digit in (0, 1):
    ...     files = digits.filenames[digits.target == digit][:2]
    ...     _ = write_spectrogram_images(files, root / str(digit), kinds=["mel"], sr=8000,
    ...                                  n_fft=256, hop_length=64, figsize=(1.28, 1.28))
    >>> images = load_image_folder(root, kind="mel")
    >>> images.data.shape, images.target.tolist(), images.target_names.tolist()
    ((4, 3, 128, 128), [0, 0, 1, 1], ['0', '1'])
    >>> images.groups.tolist()  # the speakers the digits' ClipPaths carry
    ['george', 'george', 'george', 'george']
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"load_image_folder: '{root}' is not a folder.")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    filenames, target, sources, recorded = [], [], [], []
    for index, name in enumerate(classes):
        where = root / name / kind if kind is not None else root / name
        for image, source, group in _listed(where):
            filenames.append(str(image))
            target.append(index)
            sources.append(source)
            recorded.append(group)
    if not filenames:
        layout = f"<class>/{kind}/*.png" if kind is not None else "<class>/*.png"
        hint = "; pass kind= for a tree of write_spectrogram_images" if kind is None else ""
        raise ValueError(
            f"load_image_folder found no image under '{root}' laid out as {layout}{hint}."
        )
    group_values = _groups(groups, sources, recorded)
    used = sorted(set(target))
    bunch = Bunch(
        filenames=ClipPaths(filenames, groups=group_values),
        target=np.searchsorted(used, target),
        target_names=np.asarray([classes[i] for i in used]),
        groups=group_values,
        sources=np.asarray(sources),
    )
    if load_content:
        bunch.data = _read_images(filenames)
    return bunch


def _listed(folder: Path) -> list[tuple[Path, str, Any]]:
    """List a folder's images with their source files and groups, as its job recorded them."""
    if not folder.is_dir():
        return []
    found = sorted(folder.glob("*.png"))
    record_path = folder / "job.json"
    if not record_path.exists():
        return [(image, str(image), None) for image in found]
    entries = read_json(record_path).get("images", {})
    listed = []
    for stem in sorted(entries, key=lambda s: s + ".png"):
        image = folder / f"{stem}.png"
        if not image.exists():
            raise ValueError(
                f"'{image}' is recorded in '{record_path}' but missing; run "
                "write_spectrogram_images again to draw it."
            )
        entry = entries[stem]
        listed.append((image, entry["source"], entry.get("group")))
    extra = [image.name for image in found if image.stem not in entries]
    if extra:
        warnings.warn(
            f"load_image_folder leaves out {len(extra)} image(s) in '{folder}' that its job "
            f"record does not list (not written by write_spectrogram_images): {extra[:5]}.",
            AudioskWarning,
            stacklevel=4,
        )
    return listed


def _groups(spec: Any, sources: list[str], recorded: list[Any]) -> np.ndarray | None:
    """Return the recorded groups, or ``spec`` applied to each source file."""
    if spec is None:
        return None if any(g is None for g in recorded) else np.asarray(recorded)
    if callable(spec):
        return np.asarray([spec(source) for source in sources])
    pattern = re.compile(spec)
    values = []
    for source in sources:
        match = pattern.search(os.path.basename(source))
        if match is None:
            raise ValueError(
                f"groups pattern '{spec}' does not match the name of '{source}', the source "
                "of an image."
            )
        values.append(match.group(1) if pattern.groups else match.group(0))
    return np.asarray(values)


def _read_images(filenames: list[str]) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError as exc:  # Pillow comes with matplotlib
        raise ImportError(
            "load_image_folder needs Pillow to read the pixels: pip install 'audiosk[plot]' "
            "(or pass load_content=False for the file names)."
        ) from exc

    data = None
    for i, path in enumerate(filenames):
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        if data is None:
            data = np.empty((len(filenames), 3, *pixels.shape[:2]), dtype=np.float32)
        elif pixels.shape[:2] != data.shape[2:]:
            raise ValueError(
                f"'{path}' is {pixels.shape[1]}x{pixels.shape[0]} pixels, '{filenames[0]}' "
                f"{data.shape[3]}x{data.shape[2]}; the images of one folder must share a size "
                "(write them with one figsize and dpi, or resize them)."
            )
        data[i] = pixels.transpose(2, 0, 1)
    assert data is not None
    return data
