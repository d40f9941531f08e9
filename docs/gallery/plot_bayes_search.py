"""
Bayesian search over the learning rate and the batch size
=========================================================

scikit-optimize's ``BayesSearchCV`` takes an audiosk pipeline as it takes
any scikit-learn estimator. Here it searches the learning rate (1e-4 to
5e-3, log-uniform) and the batch size (16 to 128) of a small net on MFCC
statistics of the embedded digits, with folds grouped by speaker. Each
iteration fits the pipeline on 3 folds at the point the Gaussian-process
model of the score expects to be best. Needs ``pip install
'audiosk[search]'``; takes about 20 s on 2 cores (8 iterations of 3 fits of
15 epochs: tiny settings, to show the mechanics, not to tune).
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from skopt import BayesSearchCV
from skopt.space import Integer, Real

from audiosk.datasets import load_spoken_digits
from audiosk.features import MFCC, TemporalStats
from audiosk.io import AudioLoader
from audiosk.nets import NeuralClassifier
from audiosk.preprocessing import PadTrim

digits = load_spoken_digits()
# the audio front end has nothing to tune here: compute it once, (600, 40)
X = make_pipeline(
    AudioLoader(sr=8000),
    PadTrim(percentile=90),
    MFCC(n_mfcc=20, n_fft=256, hop_length=80),
    TemporalStats(stats=("mean", "std")),
).fit_transform(digits.filenames)

search = BayesSearchCV(
    NeuralClassifier(module__hidden_layer_sizes=(128,), max_epochs=15, random_state=0),
    {
        "lr": Real(1e-4, 5e-3, prior="log-uniform"),
        "batch_size": Integer(16, 128),
    },
    n_iter=8,
    cv=GroupKFold(3),
    random_state=0,
)
search.fit(X, digits.target, groups=digits.groups)
print(f"best accuracy {search.best_score_:.3f} with {dict(search.best_params_)}")

# %%
# The score of each iteration, in the order the search tried them, and the
# points it tried: the first ones are random, the later ones chosen by the
# model of the score.
results = search.cv_results_
scores = results["mean_test_score"]
lrs = np.asarray(results["param_lr"], dtype=float)
batch_sizes = np.asarray(results["param_batch_size"], dtype=float)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
iterations = np.arange(1, len(scores) + 1)
left.errorbar(iterations, scores, yerr=results["std_test_score"], fmt="o", label="iteration")
left.plot(iterations, np.maximum.accumulate(scores), "-", label="best so far")
left.set(xlabel="iteration", ylabel="accuracy (3 speaker-grouped folds)", title="Score")
left.legend(loc="lower right")
points = right.scatter(lrs, batch_sizes, c=scores, cmap="viridis")
right.set(xscale="log", xlabel="learning rate", ylabel="batch size", title="Points tried")
right.set(xlim=(0.9e-4, 5.5e-3), ylim=(10, 134))  # the search space
right.xaxis.set_minor_formatter(NullFormatter())  # decade labels only
fig.colorbar(points, ax=right, label="accuracy")
plt.show()
