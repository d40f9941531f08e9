"""Feature steps: waveforms to spectrograms or tables, and steps on spectrograms."""

from ..utils._deprecation import moved_names
from ._gtzan import GTZANFeatures
from ._image import SpectrogramImage
from ._panns import PANNsEmbedding
from ._spectra import Deltas, Flatten, SpectrogramScaler, TemporalStats
from ._spectral import MFCC, MelSpectrogram, Spectrogram
from ._warp import warp_frequency

__all__ = [
    "MFCC",
    "Deltas",
    "Flatten",
    "GTZANFeatures",
    "MelSpectrogram",
    "PANNsEmbedding",
    "Spectrogram",
    "SpectrogramImage",
    "SpectrogramScaler",
    "TemporalStats",
    "warp_frequency",
]

# Names that moved or left the public API; they keep working, with a FutureWarning, until 0.3.
__getattr__ = moved_names(
    __name__,
    {
        "GTZAN_COLUMNS": "audiosk.features._gtzan",
        "extract_features": "audiosk.extraction",
    },
    removed_in="0.3",
)
