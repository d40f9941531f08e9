"""Utilities shared by audiosk's steps: sample-rate carriers, validation, parallelism."""

from ._base import GroupLeakageWarning
from ._disk import DiskArray
from ._parallel import parallel_map
from ._waveforms import (
    WaveformArray,
    Waveforms,
    check_audio,
    check_waveforms,
    resolve_sample_rate,
    sample_rate_of,
    to_float,
    with_sample_rate,
)

__all__ = [
    "DiskArray",
    "GroupLeakageWarning",
    "WaveformArray",
    "Waveforms",
    "check_audio",
    "check_waveforms",
    "parallel_map",
    "resolve_sample_rate",
    "sample_rate_of",
    "to_float",
    "with_sample_rate",
]
