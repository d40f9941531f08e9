"""
Does the net earn its place?
============================

:func:`~audiosk.model_selection.compare` cross-validates a net and the
classical panel (``baselines="auto"``: logistic regression, random forest,
gradient boosting, SVC, k-NN and scikit-learn's MLP) on the same folds. Here
on MFCC statistics of the embedded digits, with folds grouped by speaker, so
every score is for voices the models never heard. Under a minute on 2 cores: the
net trains 40 epochs per fold and the panel fits 18 models.
"""

import matplotlib.pyplot as plt
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline

from audiosk.datasets import load_spoken_digits
from audiosk.features import MFCC, TemporalStats
from audiosk.io import AudioLoader
from audiosk.model_selection import compare
from audiosk.nets import NeuralClassifier
from audiosk.preprocessing import PadTrim

digits = load_spoken_digits()
table_steps = make_pipeline(
    AudioLoader(sr=8000),
    PadTrim(),
    MFCC(n_mfcc=20, n_fft=256, hop_length=80),
    TemporalStats(stats=("mean", "std")),
)
X = table_steps.fit_transform(digits.filenames)  # (600, 40): one row per clip
table = compare(
    {"default net (MLP)": NeuralClassifier(max_epochs=40, random_state=0)},
    X,
    digits.target,
    cv=GroupKFold(3),
    groups=digits.groups,
    baselines="auto",
    n_jobs=2,  # one fold per process, one thread each: gradient boosting's threads do not compete
)
print(table[["accuracy_mean", "accuracy_std", "baseline", "best"]].round(3).to_string())

# %%
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
colors = ["C1" if b else "C0" for b in table["baseline"]]
ax.barh(table.index, table["accuracy_mean"], xerr=table["accuracy_std"], color=colors)
ax.invert_yaxis()
ax.set_xlabel("accuracy (mean ± std over 3 speaker-grouped folds)")
ax.set_title("Embedded digits, MFCC statistics")
ax.set_xlim(0, 1)
ax.legend(
    handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in ("C0", "C1")],
    labels=["net", "classical baseline"],
    loc="lower right",
)
plt.show()
