"""
A search that decodes each file once per fold
==============================================

A grid search over a classifier's parameter refits the whole pipeline for
every candidate and fold: without help, every file is decoded and its MFCCs
computed again each time. A :class:`~audiosk.model_selection.CachedTransformer`
around the steps the search does not tune lets the candidates of a fold
share them. Here on the embedded spoken digits, speaker-grouped folds.
"""

import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import audiosk.io
from audiosk.datasets import load_spoken_digits
from audiosk.features import MFCC, TemporalStats
from audiosk.io import AudioLoader
from audiosk.model_selection import CachedTransformer
from audiosk.preprocessing import PadTrim

digits = load_spoken_digits()
front = make_pipeline(
    AudioLoader(sr=8000), PadTrim(percentile=90), MFCC(n_fft=256, hop_length=80), TemporalStats()
)
grid = {"svc__C": [0.3, 1.0, 3.0, 10.0]}

# count the files decoded, by wrapping the decoder
decoded = []
load_audio = audiosk.io.load_audio


def counting_load_audio(path, *args, **kwargs):
    decoded.append(path)
    return load_audio(path, *args, **kwargs)


audiosk.io.load_audio = counting_load_audio

seconds, decodes, scores = {}, {}, {}
with tempfile.TemporaryDirectory() as cache:
    for label, step in [
        ("front end in the pipeline", front),
        ("CachedTransformer", CachedTransformer(front, memory=cache)),
        ("CachedTransformer,\nsecond search", CachedTransformer(front, memory=cache)),
    ]:
        decoded.clear()
        search = GridSearchCV(
            make_pipeline(step, StandardScaler(), SVC()), grid, cv=GroupKFold(3), refit=False
        )
        start = time.perf_counter()
        search.fit(digits.filenames, digits.target, groups=digits.groups)
        seconds[label] = time.perf_counter() - start
        decodes[label] = len(decoded)
        scores[label] = search.cv_results_["mean_test_score"]
audiosk.io.load_audio = load_audio

for label in seconds:
    print(f"{label.replace(chr(10), ' '):35} {seconds[label]:5.1f} s  {decodes[label]:5d} decodes")
# the same scores: the cache changes what is computed, not the results
assert all(np.allclose(s, scores["front end in the pipeline"]) for s in scores.values())

# %%
# Each file is decoded 12 times without the cache (4 candidates x 3 folds),
# once per fold with it, and not at all when the same search runs again.
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
bars = ax.barh(list(seconds), list(seconds.values()), color=["C0", "C1", "C2"])
ax.bar_label(bars, labels=[f"{d} files decoded" for d in decodes.values()], padding=4)
ax.invert_yaxis()
ax.set_xlabel("seconds for 4 candidates x 3 folds (600 clips)")
ax.set_xlim(0, max(seconds.values()) * 1.6)
ax.set_title("GridSearchCV over SVC's C (MFCC statistics, spoken digits)", fontsize=10)
plt.show()
