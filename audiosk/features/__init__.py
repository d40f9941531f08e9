"""Feature steps: waveforms to spectrograms or tables, and steps on spectrograms."""

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
