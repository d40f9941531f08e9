"""Feature steps: waveforms to spectrograms or tables, and steps on spectrograms."""

from ._extract import extract_features
from ._gtzan import GTZAN_COLUMNS, GTZANFeatures
from ._spectra import Deltas, Flatten, SpectrogramImage, SpectrogramScaler, TemporalStats
from ._spectral import MFCC, MelSpectrogram, Spectrogram

__all__ = [
    "MFCC",
    "Deltas",
    "Flatten",
    "GTZANFeatures",
    "GTZAN_COLUMNS",
    "MelSpectrogram",
    "Spectrogram",
    "SpectrogramImage",
    "SpectrogramScaler",
    "TemporalStats",
    "extract_features",
]
