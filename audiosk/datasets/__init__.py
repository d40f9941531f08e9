"""Datasets: folder and pickle loaders, the embedded spoken digits, and fetchers of public datasets."""

from ._embedded import load_spoken_digits
from ._fetch import (
    fetch_esc50,
    fetch_fsdd,
    fetch_gtzan_features,
    fetch_panns_weights,
    get_data_home,
)
from ._folder import (
    AUDIO_EXTENSIONS,
    ClipPaths,
    load_audio_folder,
    load_pickle_folder,
)
from ._gtzan import gtzan_contiguous_folds, gtzan_fault_filtered_split, gtzan_table
from ._images import load_image_folder

__all__ = [
    "AUDIO_EXTENSIONS",
    "fetch_esc50",
    "fetch_fsdd",
    "fetch_gtzan_features",
    "fetch_panns_weights",
    "get_data_home",
    "gtzan_table",
    "gtzan_contiguous_folds",
    "gtzan_fault_filtered_split",
    "ClipPaths",
    "load_audio_folder",
    "load_image_folder",
    "load_pickle_folder",
    "load_spoken_digits",
]
