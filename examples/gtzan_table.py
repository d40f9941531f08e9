"""Music genre from the GTZAN feature table (workflow 3): EDA, MLP grid and Bayesian search, baselines.

57 librosa features of 1,000 30 s tracks, 10 genres. Plots: correlation
heatmap, per-genre box plots, PCA in 2-D and 3-D.

GTZAN numbers each genre's tracks artist by artist, so shuffled folds put an
artist on both sides and overstate every model. This script evaluates on the
fault-filtered split of Kereliuk, Sturm and Larsen (2015), which keeps each
artist on one side and leaves out 70 faulty tracks: the MLP grid of workflow
3 (units, dropout, activation, weight initialiser, optimiser) and a Bayesian
search (learning rate, batch size, dropout) are fitted on its 443 train
tracks and choose on its 197 valid tracks; then every model, classical
baselines included, is fitted on train + valid and scored on the 290 test
tracks, and also in contiguous stratified 10-fold cross-validation
(StratifiedKFold without shuffling, the fallback protocol of several folds).
The last net adds the workflow's improvements (noise and mixup
augmentation), alone and as a five-seed ensemble.

    python examples/gtzan_table.py            # the full grid: longer than --quick
    python examples/gtzan_table.py --quick    # a smaller grid: over 50 minutes on 2 busy cores
"""

import argparse

import numpy as np
from _shared import output_dir, quick, require, save
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from audiosk.datasets import gtzan_contiguous_folds, gtzan_fault_filtered_split, gtzan_table
from audiosk.model_selection import compare
from audiosk.nets import AddNoise, Mixup, NeuralClassifier
from audiosk.plotting import plot_class_boxplots, plot_correlation_heatmap, plot_pca

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()

data = gtzan_table(require("gtzan/features_30_sec.csv"))
out = output_dir("gtzan")
X, y, genres = data.data.to_numpy(np.float32), data.target, data.target_names
print(f"{X.shape[0]} tracks x {X.shape[1]} features, genres: {', '.join(genres)}")

save(plot_correlation_heatmap(data.data), out / "correlation_heatmap.png")
save(
    plot_class_boxplots(
        data.data,
        genres[y],
        features=[
            "tempo",
            "spectral_centroid_mean",
            "rms_mean",
            "chroma_stft_mean",
            "zero_crossing_rate_mean",
            "mfcc1_mean",
        ],
    ),
    out / "boxplots.png",
)
save(plot_pca(X, genres[y]), out / "pca_2d.png")
save(plot_pca(X, genres[y], n_components=3), out / "pca_3d.png")


def mlp(**params):
    base = dict(
        module__hidden_layer_sizes=(256, 128, 64),
        max_epochs=quick(60, 2),
        lr=1e-3,
        batch_size=32,
        validation_fraction=None,
        random_state=0,
    )
    base.update(params)
    return make_pipeline(StandardScaler(), NeuralClassifier("mlp", **base))


grid = {
    "neuralclassifier__module__hidden_layer_sizes": [(256, 128, 64), (512, 256, 128)],
    "neuralclassifier__module__dropout": [0.2, 0.5],
    "neuralclassifier__module__activation": ["relu", "leaky_relu"],
    "neuralclassifier__module__init": ["glorot_uniform", "uniform"],
    "neuralclassifier__optimizer": ["adam", "sgd", "rmsprop"],
}
if args.quick:
    grid = {k: v[:1] if k.endswith(("activation", "init")) else v for k, v in grid.items()}
# settings are chosen on the split's train vs valid tracks; the test tracks stay unseen until the end
development = np.isin(data.split, ["train", "valid"])
X_dev, y_dev = X[development], y[development]
inner = gtzan_fault_filtered_split(data.filenames[development], held_out="valid")
search = GridSearchCV(mlp(), grid, cv=inner, n_jobs=2).fit(X_dev, y_dev)
print(f"grid: {len(search.cv_results_['params'])} settings, best {search.best_score_:.3f} with")
for key, value in search.best_params_.items():
    print(f"  {key.split('__', 1)[1]} = {value}")

try:
    from skopt import BayesSearchCV
    from skopt.space import Integer, Real

    bayes = BayesSearchCV(
        mlp(max_epochs=quick(100, 2), module__hidden_layer_sizes=(512, 256, 128)),
        {
            "neuralclassifier__lr": Real(1e-4, 5e-3, prior="log-uniform"),
            "neuralclassifier__batch_size": Integer(16, 128),
            "neuralclassifier__module__dropout": Real(0.0, 0.6),
        },
        n_iter=6 if args.quick else 12,
        cv=inner,
        n_jobs=2,
        random_state=0,
    ).fit(X_dev, y_dev)
    print(f"Bayesian search: best {bayes.best_score_:.3f} with {dict(bayes.best_params_)}")
    bayes_model = bayes.best_estimator_
except ImportError:
    print(
        "scikit-optimize is not installed (pip install 'audiosk[search]'): skipping the Bayesian search"
    )
    bayes_model = None

improved = mlp(
    module__hidden_layer_sizes=(512, 256),
    module__dropout=0.5,
    max_epochs=quick(200, 2),
    lr=5e-4,
    augment=[AddNoise((10, 30)), Mixup(0.4)],
)
models = {
    "logistic regression": make_pipeline(
        StandardScaler(), LogisticRegression(C=1.0, max_iter=5000)
    ),
    "random forest": RandomForestClassifier(n_estimators=500, random_state=0),
    "SVM (RBF)": make_pipeline(StandardScaler(), SVC(C=10.0)),
    "k-NN": make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)),
    "MLP, grid-selected": search.best_estimator_,
    "MLP 512-256, noise + mixup": improved,
    # five of those nets, each with its own seed (BaggingClassifier sets every member's random_state), all
    # trained on the whole fold; their probabilities are averaged
    "5 x MLP 512-256, noise + mixup": BaggingClassifier(
        improved, n_estimators=5, max_samples=1.0, bootstrap=False, random_state=0
    ),
}
if bayes_model is not None:
    models["MLP, Bayes-selected"] = bayes_model
split = compare(models, X, y, cv=gtzan_fault_filtered_split(data.filenames), n_jobs=2)
n_test = int((data.split == "test").sum())
split["accuracy_se"] = np.sqrt(split["accuracy_mean"] * (1 - split["accuracy_mean"]) / n_test)
print(f"\nFault-filtered split: fit on train + valid, scored on {n_test} test tracks")
print(split[["accuracy_mean", "accuracy_se", "f1_macro_mean", "fit_time"]].round(3).to_string())
split.to_csv(out / "comparison_split.csv")
folds = compare(models, X, y, cv=gtzan_contiguous_folds(data.filenames), n_jobs=2)
print("\nContiguous stratified 10-fold cross-validation (no shuffling)")
print(folds.round(3).to_string())
folds.to_csv(out / "comparison_contiguous.csv")

import matplotlib.pyplot as plt  # noqa: E402

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
order = split.index[::-1]
axes[0].barh(order, split.loc[order, "accuracy_mean"], xerr=split.loc[order, "accuracy_se"])
axes[0].set_xlabel(f"accuracy on the {n_test} test tracks (+- standard error)")
axes[1].barh(order, folds.loc[order, "accuracy_mean"], xerr=folds.loc[order, "accuracy_std"])
axes[1].set_xlabel("accuracy, contiguous 10-fold (+- std)")
save(fig, out / "comparison.png")
