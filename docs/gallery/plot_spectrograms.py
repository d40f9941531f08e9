"""
Spectrograms with real axes
===========================

One spoken digit seen by the four spectral steps: the linear and the
log-frequency spectrogram, the Mel spectrogram and the MFCCs.
:func:`~audiosk.plotting.plot_spectrogram` takes the axes from the step that
computed the values: time in seconds from ``hop_length`` and the rate, and
frequency in Hz on a linear, log or Mel scale, with a dB colour bar.
"""

import matplotlib.pyplot as plt

from audiosk.datasets import load_spoken_digits
from audiosk.features import MFCC, MelSpectrogram, Spectrogram
from audiosk.io import AudioLoader
from audiosk.plotting import plot_spectrogram

digits = load_spoken_digits()
waves = AudioLoader(sr=8000).fit_transform(digits.filenames[:1])  # carries sr=8000
print(
    f"'{digits.target_names[digits.target[0]]}' said by {digits.groups[0]}, {waves[0].size} samples"
)

stft = dict(n_fft=256, hop_length=64)
steps = [
    Spectrogram(**stft, db=True),
    Spectrogram(**stft, frequency_scale="log", n_bins=64, fmin=60.0, db=True),
    MelSpectrogram(**stft, n_mels=40, db=True),
    MFCC(**stft, n_mfcc=20, n_mels=40),
]
fig, axes = plt.subplots(2, 2, figsize=(11, 7), layout="constrained")
for ax, step in zip(axes.ravel(), steps, strict=True):
    S = step.fit_transform(waves)  # (1, n_bins, n_frames)
    plot_spectrogram(S[0], step, sr=waves.sr, ax=ax)
plt.show()
