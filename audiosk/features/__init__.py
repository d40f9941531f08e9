"""Feature steps: waveforms to spectrograms or tables, and steps on spectrograms."""

from ._spectra import Deltas, Flatten, SpectrogramImage, SpectrogramScaler, TemporalStats
from ._spectral import MFCC, MelSpectrogram, Spectrogram

__all__ = [
    "MFCC",
    "Deltas",
    "Flatten",
    "MelSpectrogram",
    "Spectrogram",
    "SpectrogramImage",
    "SpectrogramScaler",
    "TemporalStats",
]
