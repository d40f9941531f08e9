"""Spoken digits (FSDD): files -> pad -> log-Mel -> CNN, on the upstream split and leave-one-speaker-out.

The upstream split holds out takes 0-4 of every speaker (the same speakers are
on both sides); leave-one-speaker-out tests on a voice the net never heard,
with two CNNs (clips padded, clips time-stretched to 1 s) voting.
Goals: >= 0.99 and >= 0.90 accuracy. About an hour on 2 cores.

    python examples/fsdd_digits.py
"""

import time

import numpy as np
import pandas as pd
from sklearn.ensemble import VotingClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import LeaveOneGroupOut, cross_validate
from sklearn.pipeline import make_pipeline

from _shared import output_dir, require, save
from audiosk.features import MelSpectrogram, SpectrogramScaler
from audiosk.io import AudioLoader
from audiosk.nets import NeuralClassifier
from audiosk.plotting import plot_confusion_matrix, plot_learning_curves
from audiosk.preprocessing import PadTrim

root = require("fsdd")
out = output_dir("fsdd")
meta = pd.read_csv(root / "metadata.csv")
paths = np.asarray([str(root / f) for f in meta["filename"]])
y, speakers, takes = meta["digit"].to_numpy(), meta["speaker"].to_numpy(), meta["take"].to_numpy()

# load once; the pipeline starts from waveforms so that folds do not reload the files
waves = AudioLoader(sr=8000, n_jobs=2).fit_transform(paths)


def model(speaker_independent=False, pad_mode="constant"):
    """A 4-block CNN; for unheard speakers a wider one trained on warped voices.

    Frequency warping (vocal tract length perturbation) and time stretching
    make new voices and speaking rates out of the five training speakers;
    SpecAugment masks and mixup regularise further. ``pad_mode="stretch"``
    brings every clip to 1 s by slowing it down or speeding it up instead of
    padding it with silence.
    """
    net = dict(module__channels=(16, 32, 64, 64), augment=None)
    if speaker_independent:
        net = dict(module__channels=(32, 64, 128, 128), augment=["warp", "stretch", "specaugment", "mixup"])
    return make_pipeline(
        PadTrim(duration=1.0, sr=8000, side="both", mode=pad_mode),
        MelSpectrogram(sr=8000, n_mels=40, n_fft=512, hop_length=128, db=True),
        SpectrogramScaler(per_clip=True),
        NeuralClassifier("cnn", module__dropout=0.2, lr=2e-3, max_epochs=40, batch_size=64,
                         early_stopping=True, patience=8, random_state=0, **net),
    )


rows = []
start = time.perf_counter()
test = takes < 5
official = model().fit([waves[i] for i in np.flatnonzero(~test)], y[~test])
pred = official.predict([waves[i] for i in np.flatnonzero(test)])
rows.append(("upstream split (takes 0-4 test)", accuracy_score(y[test], pred), 0.0, time.perf_counter() - start))
save(plot_confusion_matrix(y[test], pred, title="FSDD, upstream split"), out / "confusion_upstream.png")
save(plot_learning_curves(official), out / "learning_curves_upstream.png")

start = time.perf_counter()
logo = LeaveOneGroupOut()
# two views of each clip, padded and rate-normalised, whose errors differ from speaker to speaker; the
# vote averages their probabilities. One fold per process (joblib gives each worker one thread).
voices = VotingClassifier([("padded", model(True)), ("stretched", model(True, pad_mode="stretch"))], voting="soft")
folds = cross_validate(voices, waves, y, groups=speakers, cv=logo, n_jobs=2, return_estimator=True, return_indices=True)
per_speaker = {}
for fitted, held_out in zip(folds["estimator"], folds["indices"]["test"]):
    clips = [waves[i] for i in held_out]
    scores = {name: accuracy_score(y[held_out], fitted.le_.inverse_transform(member.predict(clips)))
              for name, member in fitted.named_estimators_.items()}
    scores["vote"] = accuracy_score(y[held_out], fitted.predict(clips))
    per_speaker[speakers[held_out][0]] = scores
per_speaker = pd.DataFrame(per_speaker).T
print("Leave-one-speaker-out accuracy per held-out speaker")
print(per_speaker.round(3).to_string())
per_speaker.to_csv(out / "leave_one_speaker_out.csv")
seconds = time.perf_counter() - start
for name in per_speaker:
    rows.append((f"leave-one-speaker-out, {name}", per_speaker[name].mean(), per_speaker[name].std(ddof=0), seconds))

table = pd.DataFrame(rows, columns=["evaluation", "accuracy", "std", "seconds"])
print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
table.to_csv(out / "results.csv", index=False)
