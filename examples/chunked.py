"""Window-level training with clip-level voting versus whole-clip training (EmoDB, speaker-grouped).

Each 2 s utterance is cut into 0.5 s windows (hop 0.25 s); the classifier
learns from windows and votes back to one label per utterance. Folds are
grouped by speaker, so windows of a clip, and clips of a speaker, never sit on
both sides of a split. The last row shows what a careless window-level split
reports: windows of the same utterances in training and test. Finally a
model trained without one speaker labels each window of that speaker's
first utterance, with the window's start time (``predict_windows``).

    python examples/chunked.py
"""

import numpy as np
import pandas as pd
from _shared import output_dir, require
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from audiosk.chunking import ChunkedClassifier
from audiosk.containers import WaveformArray
from audiosk.features import MFCC, Deltas, TemporalStats
from audiosk.io import AudioLoader
from audiosk.model_selection import compare
from audiosk.preprocessing import split_windows

SR = 16000
root = require("emodb")
out = output_dir("chunked")
meta = pd.read_csv(root / "emodb_meta.csv")
X = np.stack(AudioLoader(sr=SR, n_jobs=2).fit_transform([str(root / f) for f in meta["filename"]]))
_, y = np.unique(meta["emotion"].to_numpy(str), return_inverse=True)
speakers = meta["speaker"].to_numpy()


def features(classifier):
    return make_pipeline(
        MFCC(sr=SR, n_mfcc=30, n_fft=512, hop_length=160),
        Deltas(order=1, stack=True, width=5),
        TemporalStats(stats=("mean", "std", "min", "max")),
        StandardScaler(),
        classifier,
    )


models = {
    "whole clip, SVM": features(SVC(C=3.0)),
    "0.5 s windows, SVM, mean probability": ChunkedClassifier(
        features(CalibratedClassifierCV(SVC(C=3.0), ensemble=False)),
        window_seconds=0.5,
        hop_seconds=0.25,
        sr=SR,
    ),
    "0.5 s windows, SVM, majority vote": ChunkedClassifier(
        features(SVC(C=3.0, random_state=0)),
        window_seconds=0.5,
        hop_seconds=0.25,
        sr=SR,
        aggregate="vote",
    ),
    "whole clip, logistic regression": features(LogisticRegression(C=0.1, max_iter=3000)),
    "0.5 s windows, logistic regression, mean probability": ChunkedClassifier(
        features(LogisticRegression(C=0.1, max_iter=3000)),
        window_seconds=0.5,
        hop_seconds=0.25,
        sr=SR,
    ),
}
table = compare(models, X, y, cv=GroupKFold(5), groups=speakers, n_jobs=2)

windows, clip, _ = split_windows(X, window_length=SR // 2, hop_length=SR // 4)
leaky = cross_val_score(
    features(SVC(C=3.0)),
    WaveformArray(windows, sr=SR),
    y[clip],
    cv=KFold(5, shuffle=True, random_state=0),
)
leaky_row = {"accuracy_mean": [leaky.mean()], "accuracy_std": [leaky.std()]}
table = pd.concat(
    [table, pd.DataFrame(leaky_row, index=["windows split at random (leaky, for contrast)"])]
)
print("EmoDB, 7 emotions, 5 speaker-grouped folds (chance 0.19)")
print(
    table[["accuracy_mean", "accuracy_std", "balanced_accuracy_mean", "f1_macro_mean", "fit_time"]]
    .round(3)
    .to_string()
)
table.to_csv(out / "results.csv")

held_out = speakers == speakers[0]
model = models["0.5 s windows, logistic regression, mean probability"]
model.fit(WaveformArray(X[~held_out], sr=SR), y[~held_out])
names = np.unique(meta["emotion"].to_numpy(str))
labels, _, start = model.predict_windows(WaveformArray(X[held_out][:1], sr=SR))
windows_table = pd.DataFrame({"start_s": start, "predicted": names[labels]})
print(f"\nWindows of one utterance of the held-out speaker (true: {names[y[held_out][0]]})")
print(windows_table.to_string(index=False))
windows_table.to_csv(out / "windows.csv", index=False)
