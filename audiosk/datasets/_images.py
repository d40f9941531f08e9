"""Folders of images, one sub-folder per class (the layout of torchvision's ImageFolder)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_image_folder"]


def load_image_folder(
    root: str | os.PathLike[str],
    *,
    kind: str | None = None,
    load_content: bool = True,
) -> Bunch:
    """Load PNG images from ``root/<class>/``, one class per sub-folder, as image-net input.

    With ``kind``, the images of ``root/<class>/<kind>/`` are read: the
    tree that :func:`~audiosk.images.write_spectrogram_images` writes when
    each class's files go into ``root/<class>``. Classes are the
    sub-folder names in sorted order; files are sorted within a class.

    Parameters
    ----------
    root : str or os.PathLike
        Root of the tree.
    kind : str or None, default=None
        Read ``<class>/<kind>/*.png`` ("linear", "log", "mel", "mfcc"); None
        reads ``<class>/*.png``.
    load_content : bool, default=True
        Read the pixels into ``data``; False returns the file names only.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (with ``load_content``): float32 array of shape
        ``(n_images, 3, height, width)`` with values in [0, 1] (RGB; an alpha
        channel is dropped, grey images are repeated on the three channels);
        ``filenames`` (n_images,); ``target`` (n_images,), the class index;
        ``target_names`` (n_classes,).

    Raises
    ------
    ValueError
        When no image is found, or when images differ in size (naming one).

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
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"load_image_folder: '{root}' is not a folder.")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    filenames, target = [], []
    for index, name in enumerate(classes):
        where = root / name / kind if kind is not None else root / name
        images = sorted(where.glob("*.png")) if where.is_dir() else []
        filenames += [str(p) for p in images]
        target += [index] * len(images)
    if not filenames:
        layout = f"<class>/{kind}/*.png" if kind is not None else "<class>/*.png"
        hint = "; pass kind= for a tree of write_spectrogram_images" if kind is None else ""
        raise ValueError(
            f"load_image_folder found no image under '{root}' laid out as {layout}{hint}."
        )
    used = sorted(set(target))
    bunch = Bunch(
        filenames=np.asarray(filenames),
        target=np.searchsorted(used, target),
        target_names=np.asarray([classes[i] for i in used]),
    )
    if load_content:
        bunch.data = _read_images(filenames)
    return bunch


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
