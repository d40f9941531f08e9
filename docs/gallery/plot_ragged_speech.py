"""
Speech of any length, without padding
=====================================

Spoken digits run from a fifth of a second to well over a second. Instead
of padding or trimming every recording to one length, the Mel spectrogram
keeps each clip's own frames (a :class:`~audiosk.containers.Spectra` list, one
``(n_mels, n_frames_i)`` array per clip);
:class:`~audiosk.features.TemporalStats` describes each clip whole, and the
default network trains on the spectra as they are. Every pipeline is
cross-validated with the speakers as groups, so every fold tests voices the
model never heard.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from audiosk.datasets import load_spoken_digits
from audiosk.features import MelSpectrogram, TemporalStats
from audiosk.io import AudioLoader

digits = load_spoken_digits()
waveforms = AudioLoader(sr=digits.sr).fit_transform(digits.filenames)
seconds = np.array([len(w) for w in waveforms]) / waveforms.sr

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.hist(seconds, bins=30, color="tab:blue")
for q, style in ((50, "--"), (90, ":")):
    ax.axvline(np.percentile(seconds, q), color="k", linestyle=style, label=f"{q}th percentile")
ax.set(xlabel="clip length (s)", ylabel="clips", title="600 spoken digits, 6 speakers")
ax.legend()
plt.show()

# %%
# Padding every clip to the longest would make most of each spectrogram
# silence; trimming to the 90th percentile would cut the end off one clip
# in ten. Each clip's Mel spectrogram has librosa's number of frames for its
# length:
mel = MelSpectrogram(n_mels=40, n_fft=256, hop_length=80, db=True)
spectra = mel.fit_transform(waveforms)
print(
    type(spectra).__name__,
    len(spectra),
    "clips, frames from",
    spectra.lengths.min(),
    "to",
    spectra.lengths.max(),
)

# %%
# The mean and standard deviation of each Mel band over the clip's own
# frames, then a linear model; speaker-grouped 6-fold cross-validation
# (one speaker held out per fold). No step pads or trims.
model = make_pipeline(
    MelSpectrogram(n_mels=40, n_fft=256, hop_length=80, db=True),
    TemporalStats(stats=("mean", "std")),
    StandardScaler(),
    LogisticRegression(max_iter=2000),
)
scores = cross_val_score(model, waveforms, digits.target, groups=digits.groups, cv=GroupKFold(6))
print("accuracy per held-out speaker:", np.round(scores, 3))
print(f"mean {scores.mean():.3f}")

# %%
# The same model behind :class:`~audiosk.preprocessing.PadTrim` at the 90th
# percentile, on the same folds. Its statistics also count the silence
# padded onto short clips (frames at the clip's dB floor, so they carry how
# much of the fixed length the word fills) and miss the ends cut off the
# longest clips. Which describes the data better is an empirical question:
# compare both on the same speaker-grouped folds, as here.
from audiosk.preprocessing import PadTrim  # noqa: E402

padded = make_pipeline(PadTrim(percentile=90), *[step for _, step in model.steps])
padded_scores = cross_val_score(
    padded, waveforms, digits.target, groups=digits.groups, cv=GroupKFold(6)
)
print(f"PadTrim(percentile=90): mean {padded_scores.mean():.3f}; whole clips: {scores.mean():.3f}")

# %%
# The default network reads the spectra as they are. ``NeuralClassifier()``
# takes its time-delay network for spectra and reads windows of each clip's
# sound: in training a random window of each clip (its length learned from
# the training clips: the 90th percentile of the lengths of their sound,
# silence at the ends trimmed), to predict ten evenly spaced windows whose
# probabilities are averaged. A word shorter than the window is read whole,
# with its length, so no padding reaches a prediction, and a clip's
# prediction does not depend on the clips it is batched with. Same
# speaker-grouped folds, two folds at a time.
from audiosk.nets import NeuralClassifier  # noqa: E402

net = make_pipeline(
    MelSpectrogram(n_mels=40, n_fft=256, hop_length=80, db=True),
    NeuralClassifier(random_state=0),
)
net_scores = cross_val_score(
    net, waveforms, digits.target, groups=digits.groups, cv=GroupKFold(6), n_jobs=2
)
print(f"default net on whole clips: mean {net_scores.mean():.3f}")

# %%
# And the same net behind ``PadTrim(percentile=90)``. On these single words
# the two have been close (``bench_defaults.py``, 64-band log-Mel, leave one
# speaker out: 0.778 on whole clips against 0.803 padded, within a held-out
# speaker's spread of 0.12-0.13). Whole clips need no length chosen in
# advance and lose no end of a long clip.
padded_net = make_pipeline(PadTrim(percentile=90), *[step for _, step in net.steps])
padded_net_scores = cross_val_score(
    padded_net, waveforms, digits.target, groups=digits.groups, cv=GroupKFold(6), n_jobs=2
)
print(f"default net, PadTrim(percentile=90): mean {padded_net_scores.mean():.3f}")

# %%
# Accuracy on each held-out speaker, the four pipelines side by side.
results = {
    "statistics, whole clips": scores,
    "statistics, PadTrim(90)": padded_scores,
    "default net, whole clips": net_scores,
    "default net, PadTrim(90)": padded_net_scores,
}
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
width = 0.8 / len(results)
for i, (name, values) in enumerate(results.items()):
    offset = (i - (len(results) - 1) / 2) * width
    ax.bar(np.arange(6) + offset, values, width, label=f"{name} ({values.mean():.2f})")
ax.set(xticks=np.arange(6), xlabel="held-out fold (one speaker)", ylabel="accuracy", ylim=(0, 1))
ax.set_title("Spoken digits, speaker-grouped 6-fold")
fig.legend(loc="outside lower center", ncols=2, fontsize="small")
plt.show()
