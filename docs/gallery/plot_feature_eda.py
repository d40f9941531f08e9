"""
Exploring a feature table
=========================

Per-clip MFCC statistics of the embedded digits, looked at before any model:
the first principal components (in 2-D and 3-D, with the legend beside the
3-D box), one box plot per feature and class, and the correlation between
features.
"""

import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline

from audiosk.datasets import load_spoken_digits
from audiosk.features import MFCC, TemporalStats
from audiosk.io import AudioLoader
from audiosk.plotting import (
    plot_class_boxplots,
    plot_correlation_heatmap,
    plot_pca,
)
from audiosk.preprocessing import PadTrim

digits = load_spoken_digits()
steps = make_pipeline(
    AudioLoader(sr=8000),
    PadTrim(),
    MFCC(n_mfcc=13, n_fft=256, hop_length=80),
    TemporalStats(stats=("mean", "std"), prefix="mfcc"),
).set_output(transform="pandas")
table = steps.fit_transform(digits.filenames)  # a DataFrame with named columns
print(table.shape, list(table.columns[:4]))

fig = plt.figure(figsize=(13, 5), layout="constrained")
plot_pca(table, digits.target, ax=fig.add_subplot(1, 2, 1), title="2-D")
plot_pca(
    table, digits.target, n_components=3, ax=fig.add_subplot(1, 2, 2, projection="3d"), title="3-D"
)
plt.show()

# %%
plot_class_boxplots(
    table, digits.target, features=["mfcc1_mean", "mfcc2_mean", "mfcc3_mean"], title="By digit"
)
plt.show()

# %%
plot_correlation_heatmap(table, figsize=(9, 8))
plt.show()
