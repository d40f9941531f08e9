"""Datasets: folder and pickle loaders, and the embedded spoken digits."""

from ._embedded import load_spoken_digits
from ._folder import AUDIO_EXTENSIONS, ClipPaths, encode_target, load_audio_folder, load_pickle_folder

__all__ = [
    "AUDIO_EXTENSIONS",
    "ClipPaths",
    "encode_target",
    "load_audio_folder",
    "load_pickle_folder",
    "load_spoken_digits",
]
