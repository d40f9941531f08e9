"""Feature steps: waveforms to spectrograms or tables, and steps on spectrograms."""

from ._descriptors import AudioDescriptors
from ._gtzan import GTZANFeatures
from ._image import SpectrogramImage
from ._opensmile import OpenSMILEFeatures
from ._panns import PANNsEmbedding
from ._spectra import Deltas, Flatten, SpectrogramScaler, TemporalStats
from ._spectral import MFCC, MelSpectrogram, Spectrogram
from ._warp import warp_frequency

__all__ = [
    "MFCC",
    "AudioDescriptors",
    "Deltas",
    "Flatten",
    "GTZANFeatures",
    "MelSpectrogram",
    "OpenSMILEFeatures",
    "PANNsEmbedding",
    "Spectrogram",
    "SpectrogramImage",
    "SpectrogramScaler",
    "TemporalStats",
    "warp_frequency",
]
