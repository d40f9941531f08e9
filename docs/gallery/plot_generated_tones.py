"""
A network on generated audio
============================

Three classes of one-second sounds at 8 kHz, made here with noise: a rising
chirp, a falling chirp and a steady tone, each from a random start pitch.
``NeuralClassifier()`` with no arguments sees spectra ``(n, bins, frames)``
and builds its default TDNN; the Mel step takes the rate the
:class:`~audiosk.containers.Waveforms` carry.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from audiosk.containers import Waveforms
from audiosk.features import MelSpectrogram
from audiosk.nets import NeuralClassifier
from audiosk.plotting import plot_confusion_matrix, plot_spectrogram

rng = np.random.default_rng(0)
sr, n_per_class = 8000, 40
t = np.arange(sr) / sr
clips, labels = [], []
for label, slope in [("rising", 1.0), ("falling", -1.0), ("steady", 0.0)]:
    for _ in range(n_per_class):
        f0 = rng.uniform(400, 1200)
        phase = 2 * np.pi * (f0 * t + slope * 150 * t**2)  # +-300 Hz over the second
        clips.append((np.sin(phase) + 1.0 * rng.normal(size=sr)).astype(np.float32))
        labels.append(label)
X, y = Waveforms(clips, sr=sr), np.asarray(labels)

mel = MelSpectrogram(n_fft=256, hop_length=128, n_mels=32, db=True)
model = make_pipeline(mel, NeuralClassifier(max_epochs=15, random_state=0))
pred = cross_val_predict(model, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
print(f"3-fold accuracy: {np.mean(pred == y):.3f}")

# %%
# One clip of each class (the tone is faint under the noise), and the
# confusion matrix of the cross-validated predictions.
fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), layout="constrained")
for ax, label in zip(axes[:3], ["rising", "falling", "steady"], strict=True):
    i = int(np.flatnonzero(y == label)[0])
    plot_spectrogram(mel.fit_transform(X[i : i + 1])[0], mel, sr=sr, ax=ax, title=label)
plot_confusion_matrix(y, pred, ax=axes[3])
plt.show()
