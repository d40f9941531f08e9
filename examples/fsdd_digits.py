"""Spoken digits (FSDD): files -> pad -> log-Mel -> CNN, on the upstream split and leave-one-speaker-out.

The upstream split holds out takes 0-4 of every speaker (the same speakers are
on both sides); leave-one-speaker-out tests on a voice the net never heard.
Goals: >= 0.99 and >= 0.90 accuracy.

    python examples/fsdd_digits.py
"""

import time

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score
from sklearn.model_selection import LeaveOneGroupOut, cross_val_score
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


def model(speaker_independent=False):
    """A 4-block CNN; for unheard speakers a wider one trained on warped voices.

    Frequency warping (vocal tract length perturbation) and time stretching
    make new voices and speaking rates out of the five training speakers;
    SpecAugment masks and mixup regularise further.
    """
    net = dict(module__channels=(16, 32, 64, 64), augment=None)
    if speaker_independent:
        net = dict(module__channels=(32, 64, 128, 128), augment=["warp", "stretch", "specaugment", "mixup"])
    return make_pipeline(
        PadTrim(duration=1.0, sr=8000, side="both"),
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
# one fold per process on 2 cores (joblib limits each worker to one thread)
scores = cross_val_score(model(speaker_independent=True), waves, y, groups=speakers, cv=logo, n_jobs=2)
for (_, held_out), score in zip(logo.split(paths, y, speakers), scores):
    print(f"  held-out speaker {speakers[held_out][0]:<10} accuracy {score:.3f}")
rows.append(("leave-one-speaker-out (6 folds)", np.mean(scores), np.std(scores), time.perf_counter() - start))

table = pd.DataFrame(rows, columns=["evaluation", "accuracy", "std", "seconds"])
print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
table.to_csv(out / "results.csv", index=False)
