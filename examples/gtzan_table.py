"""Music genre from the GTZAN feature table (workflow 3): EDA, MLP grid and Bayesian search, baselines.

57 librosa features of 1,000 30 s tracks, 10 genres. Plots: correlation
heatmap, per-genre box plots, PCA in 2-D and 3-D. The MLP grid of workflow 3
(units, dropout, activation, weight initialiser, optimiser) and a Bayesian
search (learning rate, batch size, dropout) select nets on 3 folds; then every
model, classical baselines included, is scored in the same stratified 10-fold
cross-validation. The last net adds the workflow's improvements (noise and
mixup augmentation), alone and as a five-seed ensemble.

    python examples/gtzan_table.py            # 20-30 minutes on 2 cores
    python examples/gtzan_table.py --quick    # a smaller grid
"""

import argparse

import numpy as np
from _shared import output_dir, require, save
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from audiosk.datasets import gtzan_table
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
        max_epochs=60,
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
inner = StratifiedKFold(3, shuffle=True, random_state=1)
search = GridSearchCV(mlp(), grid, cv=inner, n_jobs=2).fit(X, y)
print(f"grid: {len(search.cv_results_['params'])} settings, best {search.best_score_:.3f} with")
for key, value in search.best_params_.items():
    print(f"  {key.split('__', 1)[1]} = {value}")

try:
    from skopt import BayesSearchCV
    from skopt.space import Integer, Real

    bayes = BayesSearchCV(
        mlp(max_epochs=100, module__hidden_layer_sizes=(512, 256, 128)),
        {
            "neuralclassifier__lr": Real(1e-4, 5e-3, prior="log-uniform"),
            "neuralclassifier__batch_size": Integer(16, 128),
            "neuralclassifier__module__dropout": Real(0.0, 0.6),
        },
        n_iter=6 if args.quick else 12,
        cv=inner,
        n_jobs=2,
        random_state=0,
    ).fit(X, y)
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
    max_epochs=200,
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
table = compare(models, X, y, cv=StratifiedKFold(10, shuffle=True, random_state=0), n_jobs=2)
print("\nStratified 10-fold cross-validation")
print(table.round(3).to_string())
table.to_csv(out / "comparison.csv")

import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 4))
ax.barh(table.index[::-1], table["accuracy_mean"][::-1], xerr=table["accuracy_std"][::-1])
ax.set_xlabel("accuracy (10-fold)")
save(fig, out / "comparison.png")
