"""Utilities shared by audiosk's steps: waveform containers that carry their sample rate."""

from ._deprecation import moved_names
from ._disk import DiskArray
from ._ragged import Spectra
from ._waveforms import (
    WaveformArray,
    Waveforms,
    sample_rate_of,
    to_float,
    with_sample_rate,
)

__all__ = [
    "DiskArray",
    "Spectra",
    "WaveformArray",
    "Waveforms",
    "sample_rate_of",
    "to_float",
    "with_sample_rate",
]

# Names that left the public API in 0.2; they keep working, with a FutureWarning, until 0.3.
__getattr__ = moved_names(
    __name__,
    {
        "GroupLeakageWarning": "audiosk.model_selection",
        "check_audio": "audiosk.utils._waveforms",
        "check_waveforms": "audiosk.utils._waveforms",
        "parallel_map": "audiosk.utils._parallel",
        "resolve_sample_rate": "audiosk.utils._waveforms",
    },
    removed_in="0.3",
)
