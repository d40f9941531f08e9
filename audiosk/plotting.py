"""Plots: confusion matrices, learning curves from a net's history, feature-table EDA.

matplotlib is an optional dependency (``pip install 'audiosk[plot]'``).
Every function draws on the axes it is given, or on a new figure, and returns
what it drew on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "plot_class_boxplots",
    "plot_confusion_matrix",
    "plot_correlation_heatmap",
    "plot_learning_curves",
    "plot_pca",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "audiosk.plotting needs matplotlib: pip install 'audiosk[plot]'."
        ) from exc
    return plt


def plot_confusion_matrix(
    y_true,
    y_pred,
    *,
    labels=None,
    normalize: str | None = None,
    ax=None,
    cmap: str = "Blues",
    title=None,
):
    """Draw the confusion matrix of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : array-like or None, default=None
        Label order (sorted labels present when None).
    normalize : {"true", "pred", "all"} or None, default=None
        Show proportions over rows, columns or all cells instead of counts.
    ax : matplotlib Axes or None, default=None
        Where to draw.
    cmap : str, default="Blues"
        Colormap.
    title : str or None, default=None
        Axes title.

    Returns
    -------
    ax : matplotlib Axes
        Holds one image of shape (n_labels, n_labels) and one text per cell.

    Examples
    --------
    >>> from audiosk.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"])
    >>> ax.images[0].get_array().shape
    (2, 2)
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        normalize=normalize,
        ax=ax,
        cmap=cmap,
        colorbar=False,
        values_format=".2f" if normalize else "d",
        xticks_rotation=45,
    )
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    if title:
        ax.set_title(title)
    return ax


def _history_of(net_or_pipeline):
    net = net_or_pipeline
    if hasattr(net, "steps"):
        net = net.steps[-1][1]
    for inner in ("best_estimator_", "regressor_"):  # a search; TransformedTargetRegressor
        if hasattr(net, inner):
            return _history_of(getattr(net, inner))
    history = getattr(net, "history", None)
    if history is None or not len(history):
        raise ValueError(
            f"{type(net).__name__} has no training history; fit a neural estimator first."
        )
    return history


def plot_learning_curves(net_or_pipeline, *, metric: str | None = None, axes=None):
    """Draw train and validation loss, and a metric, per epoch.

    Parameters
    ----------
    net_or_pipeline : NeuralClassifier, NeuralRegressor, Pipeline or search
        A fitted skorch net, a pipeline ending in one, a fitted search (its
        best estimator), or a ``TransformedTargetRegressor`` around one.
    metric : str or None, default=None
        History name without the ``train_``/``valid_`` prefix; ``None``
        takes ``acc`` or ``r2`` when recorded.
    axes : sequence of 2 matplotlib Axes or None, default=None
        Where to draw the loss and the metric.

    Returns
    -------
    axes : ndarray of 2 matplotlib Axes
        Loss (train and, when recorded, validation lines), then the metric.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralClassifier
    >>> from audiosk.plotting import plot_learning_curves
    >>> X = np.random.default_rng(0).normal(size=(40, 3)); y = (X[:, 0] > 0).astype(int)
    >>> axes = plot_learning_curves(NeuralClassifier(max_epochs=4, validation_fraction=0.25).fit(X, y))
    >>> [line.get_label() for line in axes[0].lines]
    ['train_loss', 'valid_loss']
    """
    history = _history_of(net_or_pipeline)
    plt = _pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    keys = set(history[-1])
    if metric is None:
        metric = next(
            (m for m in ("acc", "r2") if f"train_{m}" in keys or f"valid_{m}" in keys), None
        )
    epochs = history[:, "epoch"]
    for ax, name in zip(axes, ["loss", metric], strict=True):
        if name is None:
            ax.set_visible(False)
            continue
        for split in ("train", "valid"):
            key = f"{split}_{name}"
            if key in keys:
                ax.plot(epochs, history[:, key], marker="o", markersize=3, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.legend()
        ax.grid(alpha=0.3)
    return np.asarray(axes)


def _frame(X, feature_names=None):
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    X = np.asarray(X)
    names = feature_names if feature_names is not None else [f"x{i}" for i in range(X.shape[1])]
    return pd.DataFrame(X, columns=list(names))


def plot_correlation_heatmap(X, *, feature_names=None, ax=None, cmap: str = "coolwarm"):
    """Draw the Pearson correlation matrix of a feature table.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Features.
    feature_names : sequence of str or None, default=None
        Names for an array ``X``.
    ax : matplotlib Axes or None, default=None
        Where to draw.
    cmap : str, default="coolwarm"
        Diverging colormap, fixed to [-1, 1].

    Returns
    -------
    ax : matplotlib Axes
        Holds one (n_features, n_features) image.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.plotting import plot_correlation_heatmap
    >>> ax = plot_correlation_heatmap(np.random.default_rng(0).normal(size=(30, 4)))
    >>> ax.images[0].get_array().shape
    (4, 4)
    """
    plt = _pyplot()
    df = _frame(X, feature_names)
    corr = df.corr().to_numpy()
    if ax is None:
        size = min(4 + 0.18 * len(df.columns), 16)
        _, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(corr, cmap=cmap, vmin=-1, vmax=1)
    ticks = np.arange(len(df.columns))
    ax.set_xticks(ticks, df.columns, rotation=90, fontsize=7)
    ax.set_yticks(ticks, df.columns, fontsize=7)
    ax.figure.colorbar(image, ax=ax, fraction=0.046)
    return ax


def plot_class_boxplots(
    X, y, *, features: Sequence[str] | None = None, feature_names=None, ncols: int = 3
):
    """Draw one box plot per feature, a box per class.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Features.
    y : array-like of shape (n_samples,)
        Classes.
    features : sequence of str or None, default=None
        Features to show (all when None).
    feature_names : sequence of str or None, default=None
        Names for an array ``X``.
    ncols : int, default=3
        Panels per row.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        One visible panel per feature, each with one box per class.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.plotting import plot_class_boxplots
    >>> X = np.random.default_rng(0).normal(size=(30, 2))
    >>> axes = plot_class_boxplots(X, np.repeat(["a", "b", "c"], 10))
    >>> [t.get_text() for t in axes[0].get_xticklabels()]
    ['a', 'b', 'c']
    """
    plt = _pyplot()
    df = _frame(X, feature_names)
    features = list(features) if features is not None else list(df.columns)
    y = np.asarray(y)
    classes = np.unique(y)
    nrows = int(np.ceil(len(features) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3 * nrows), squeeze=False)
    axes = axes.ravel()
    for ax, name in zip(axes, features, strict=False):
        values = df[name].to_numpy()
        ax.boxplot([values[y == c] for c in classes], tick_labels=[str(c) for c in classes])
        ax.set_title(name)
        ax.tick_params(axis="x", rotation=45)
    for ax in axes[len(features) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return axes


def plot_pca(X, y=None, *, n_components: int = 2, ax=None, standardize: bool = True):
    """Scatter the samples on their first 2 or 3 principal components.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features.
    y : array-like of shape (n_samples,) or None, default=None
        Classes: one colour and legend entry each.
    n_components : {2, 3}, default=2
        2-D or 3-D scatter.
    ax : matplotlib Axes or None, default=None
        Where to draw (a 3-D axes for ``n_components=3``).
    standardize : bool, default=True
        Scale features to unit variance first.

    Returns
    -------
    ax : matplotlib Axes
        One scatter collection per class; axis labels give the explained
        variance of each component.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.plotting import plot_pca
    >>> X = np.random.default_rng(0).normal(size=(30, 5))
    >>> len(plot_pca(X, np.repeat([0, 1, 2], 10)).collections)
    3
    """
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    if n_components not in (2, 3):
        raise ValueError(f"n_components must be 2 or 3, got {n_components}.")
    plt = _pyplot()
    X = np.asarray(X, dtype=float)
    if standardize:
        X = StandardScaler().fit_transform(X)
    pca = PCA(n_components=n_components).fit(X)
    Z = pca.transform(X)
    if ax is None:
        fig = plt.figure(figsize=(6, 5))
        ax = fig.add_subplot(projection="3d" if n_components == 3 else None)
    y = np.zeros(len(Z), dtype=int) if y is None else np.asarray(y)
    for c in np.unique(y):
        ax.scatter(*Z[y == c].T, s=12, label=str(c))
    setters = [ax.set_xlabel, ax.set_ylabel] + ([ax.set_zlabel] if n_components == 3 else [])
    for i, set_label in enumerate(setters):
        set_label(f"PC{i + 1} ({100 * pca.explained_variance_ratio_[i]:.1f} %)")
    if len(np.unique(y)) > 1:
        ax.legend(fontsize=7, markerscale=1.5)
    return ax
