"""Plots: spectrograms, confusion matrices, learning curves, feature-table EDA.

matplotlib is an optional dependency (``pip install 'audiosk[plot]'``).
Every function draws on the axes it is given, or on a new figure of
``figsize``, titles what it drew and labels its axes with units, and returns
what it drew on. Folders of spectrogram images are written by
:func:`audiosk.images.write_spectrogram_images`.
"""

# Past 600 lines because every picture audiosk makes shares these helpers.

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np

from .utils._sklearn_compat import (
    IntInterval,
    Options,
    RealInterval,
    StrOptions,
    validate_params,
)

__all__ = [
    "plot_class_boxplots",
    "plot_confusion_matrix",
    "plot_correlation_heatmap",
    "plot_learning_curves",
    "plot_pca",
    "plot_spectrogram",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "audiosk.plotting needs matplotlib: pip install 'audiosk[plot]'."
        ) from exc
    return plt


def _new_axes(ax, figsize, **kwargs):
    """Return the given axes, or one on a new figure of ``figsize``."""
    if ax is not None:
        return ax
    fig = _pyplot().figure(figsize=figsize)
    return fig.add_subplot(**kwargs)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "labels": ["array-like", None],
        "display_labels": ["array-like", None],
        "normalize": [StrOptions({"true", "pred", "all"}), None],
        "ax": "no_validation",
        "figsize": [tuple],
        "cmap": [str],
        "title": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_confusion_matrix(
    y_true,
    y_pred,
    *,
    labels=None,
    display_labels=None,
    normalize: str | None = None,
    ax=None,
    figsize: tuple[float, float] = (5, 4.5),
    cmap: str = "Blues",
    title: str | None = "Confusion matrix",
):
    """Draw the confusion matrix of predictions.

    On a new figure the layout leaves room for long class names.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : array-like or None, default=None
        Label order (sorted labels present when None).
    display_labels : array-like of shape (n_labels,) or None, default=None
        Names shown on the axes, in the order of ``labels`` (for instance
        class names for integer labels: ``target_names``). None shows the
        labels themselves.
    normalize : {"true", "pred", "all"} or None, default=None
        Show proportions over rows, columns or all cells instead of counts.
    ax : matplotlib Axes or None, default=None
        Where to draw.
    figsize : tuple of 2 float, default=(5, 4.5)
        Size of a new figure (inches).
    cmap : str, default="Blues"
        Colormap.
    title : str or None, default="Confusion matrix"
        Axes title.

    Returns
    -------
    ax : matplotlib Axes
        Holds one image of shape (n_labels, n_labels) and one text per cell.

    See Also
    --------
    audiosk.model_selection.holdout_report : Scores of several estimators on a held-out set.
    plot_learning_curves : How the net that made the predictions trained.

    Examples
    --------
    >>> from audiosk.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"])
    >>> ax.images[0].get_array().shape
    (2, 2)
    >>> ax = plot_confusion_matrix([0, 1, 1], [0, 1, 0], display_labels=["cat", "dog"])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['cat', 'dog']
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    new_figure = ax is None
    ax = _new_axes(ax, figsize)
    if new_figure:  # room for long tick labels, which would otherwise leave the figure
        ax.figure.set_layout_engine("constrained")
    if display_labels is not None:
        from sklearn.utils.multiclass import unique_labels

        display_labels = np.asarray(display_labels).tolist()
        n_labels = len(unique_labels(y_true, y_pred) if labels is None else labels)
        if len(display_labels) != n_labels:
            raise ValueError(
                f"display_labels has {len(display_labels)} names for {n_labels} labels; give one "
                "name per label, in the order of labels (sorted labels when labels=None)."
            )
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=display_labels,
        normalize=normalize,
        ax=ax,
        cmap=cmap,
        colorbar=False,
        values_format=".2f" if normalize else "d",
        xticks_rotation=45,
    )
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
    if title:
        ax.set_title(title + (f" (normalised over {normalize})" if normalize else ""))
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


_METRIC_NAMES = {"loss": "Loss", "acc": "Accuracy", "r2": "R²", "lr": "Learning rate"}


@validate_params(
    {
        "net_or_pipeline": "no_validation",  # its own check names what has a history
        "metric": [str, None],
        "lr": ["boolean"],
        "axes": "no_validation",
        "figsize": [tuple, None],
        "title": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_learning_curves(
    net_or_pipeline,
    *,
    metric: str | None = None,
    lr: bool = False,
    axes=None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
):
    """Draw train and validation loss, a metric and optionally the learning rate, per epoch.

    The values are read from the net's skorch ``history``: one panel for the
    loss, one for the metric, one for the learning rate with ``lr``, with
    epochs on the x axis.

    Parameters
    ----------
    net_or_pipeline : NeuralClassifier, NeuralRegressor, Pipeline or search
        A fitted skorch net, a pipeline ending in one, a fitted search (its
        best estimator), or a ``TransformedTargetRegressor`` around one.
    metric : str or None, default=None
        History name without the ``train_``/``valid_`` prefix; ``None``
        takes ``acc`` or ``r2`` when recorded.
    lr : bool, default=False
        Add a panel with the learning rate of each epoch (log scale).
    axes : sequence of matplotlib Axes or None, default=None
        Where to draw the loss, the metric and (with ``lr``) the learning rate.
    figsize : tuple of 2 float or None, default=None
        Size of a new figure (inches); 5 x 4 per panel when None.
    title : str or None, default=None
        Figure title above the panels.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        Loss (train and, when recorded, validation lines), the metric, then
        the learning rate when asked.

    See Also
    --------
    audiosk.nets.NeuralClassifier : A net whose history is drawn.
    plot_confusion_matrix : The errors of the trained net.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralClassifier
    >>> from audiosk.plotting import plot_learning_curves
    >>> X = np.random.default_rng(0).normal(size=(40, 3)); y = (X[:, 0] > 0).astype(int)
    >>> net = NeuralClassifier(max_epochs=4, validation_fraction=0.25).fit(X, y)
    >>> axes = plot_learning_curves(net, lr=True)
    >>> [line.get_label() for line in axes[0].lines], axes[2].get_ylabel()
    (['train_loss', 'valid_loss'], 'learning rate')
    """
    history = _history_of(net_or_pipeline)
    keys = set(history[-1])
    lr_key = next((k for k in ("event_lr", "lr") if k in keys), None)
    if lr and lr_key is None:
        raise ValueError(
            "The net recorded no learning rate: skorch's LRScheduler records it as 'event_lr' "
            "(audiosk's nets schedule it unless lr_schedule=None)."
        )
    if metric is None:
        metric = next(
            (m for m in ("acc", "r2") if f"train_{m}" in keys or f"valid_{m}" in keys), None
        )
    panels = ["loss", metric] + (["lr"] if lr else [])
    if axes is None:
        plt = _pyplot()
        size = figsize or (5 * len(panels), 4)
        _, axes = plt.subplots(1, len(panels), figsize=size, squeeze=False, layout="constrained")
        axes = axes[0]
    if len(axes) < len(panels):
        raise ValueError(f"axes must hold {len(panels)} Axes for these panels; got {len(axes)}.")
    epochs = history[:, "epoch"]
    for ax, name in zip(axes, panels, strict=False):
        if name is None:
            ax.set_visible(False)
            continue
        if name == "lr":
            ax.plot(epochs, history[:, lr_key], marker="o", markersize=3, color="C2")
            ax.set_yscale("log")
            ax.set_ylabel("learning rate")
        else:
            for split in ("train", "valid"):
                key = f"{split}_{name}"
                if key in keys:
                    ax.plot(epochs, history[:, key], marker="o", markersize=3, label=key)
            ax.set_ylabel(name)
            ax.legend()
        ax.set_title(_METRIC_NAMES.get(name, name))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    if title:
        axes[0].figure.suptitle(title)
    return np.asarray(axes)


def _frame(X, feature_names=None):
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    X = np.asarray(X)
    names = feature_names if feature_names is not None else [f"x{i}" for i in range(X.shape[1])]
    return pd.DataFrame(X, columns=list(names))


@validate_params(
    {
        "X": ["array-like"],
        "feature_names": ["array-like", None],
        "ax": "no_validation",
        "figsize": [tuple, None],
        "cmap": [str],
        "title": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_correlation_heatmap(
    X,
    *,
    feature_names=None,
    ax=None,
    figsize: tuple[float, float] | None = None,
    cmap: str = "coolwarm",
    title: str | None = "Feature correlation",
):
    """Draw the Pearson correlation matrix of a feature table.

    Each feature is correlated with every other (``DataFrame.corr``) and the
    matrix is drawn as an image with the feature names on both axes, which
    shows the features that repeat each other.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Features.
    feature_names : sequence of str or None, default=None
        Names for an array ``X``.
    ax : matplotlib Axes or None, default=None
        Where to draw.
    figsize : tuple of 2 float or None, default=None
        Size of a new figure (inches); grows with the number of features when None.
    cmap : str, default="coolwarm"
        Diverging colormap, fixed to [-1, 1].
    title : str or None, default="Feature correlation"
        Axes title.

    Returns
    -------
    ax : matplotlib Axes
        Holds one (n_features, n_features) image and a colour bar of Pearson's r.

    See Also
    --------
    plot_class_boxplots : How each feature separates the classes.
    plot_pca : The samples on the table's principal components.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.plotting import plot_correlation_heatmap
    >>> ax = plot_correlation_heatmap(np.random.default_rng(0).normal(size=(30, 4)))
    >>> ax.images[0].get_array().shape
    (4, 4)
    """
    df = _frame(X, feature_names)
    corr = df.corr().to_numpy()
    size = min(4 + 0.18 * len(df.columns), 16)
    ax = _new_axes(ax, figsize or (size + 1, size))
    image = ax.imshow(corr, cmap=cmap, vmin=-1, vmax=1)
    ticks = np.arange(len(df.columns))
    ax.set_xticks(ticks, df.columns, rotation=90, fontsize=7)
    ax.set_yticks(ticks, df.columns, fontsize=7)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, label="Pearson r")
    if title:
        ax.set_title(title)
    return ax


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like"],
        "features": ["array-like", None],
        "feature_names": ["array-like", None],
        "ncols": [IntInterval(1, None, closed="left")],
        "axes": "no_validation",
        "figsize": [tuple, None],
        "title": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_class_boxplots(
    X,
    y,
    *,
    features: Sequence[str] | None = None,
    feature_names=None,
    ncols: int = 3,
    axes=None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
):
    """Draw one box plot per feature, a box per class.

    Each panel shows how one feature's values are spread within every
    class, so features that tell classes apart stand out.

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
        Panels per row of a new figure.
    axes : array-like of matplotlib Axes or None, default=None
        Where to draw, one per feature.
    figsize : tuple of 2 float or None, default=None
        Size of a new figure (inches); 4 x 3 per panel when None.
    title : str or None, default=None
        Figure title above the panels.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        One visible panel per feature, each with one box per class.

    See Also
    --------
    plot_correlation_heatmap : Which features repeat each other.
    plot_pca : The classes on the table's principal components.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.plotting import plot_class_boxplots
    >>> X = np.random.default_rng(0).normal(size=(30, 2))
    >>> axes = plot_class_boxplots(X, np.repeat(["a", "b", "c"], 10))
    >>> [t.get_text() for t in axes[0].get_xticklabels()]
    ['a', 'b', 'c']
    """
    df = _frame(X, feature_names)
    features = list(features) if features is not None else list(df.columns)
    y = np.asarray(y)
    classes = np.unique(y)
    if axes is None:
        plt = _pyplot()
        nrows = int(np.ceil(len(features) / ncols))
        size = figsize or (4 * ncols, 3 * nrows)
        _, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, layout="constrained")
    axes = np.asarray(axes).ravel()
    if len(axes) < len(features):
        raise ValueError(f"axes must hold one Axes per feature ({len(features)}); got {len(axes)}.")
    for ax, name in zip(axes, features, strict=False):
        values = df[name].to_numpy()
        ax.boxplot([values[y == c] for c in classes], tick_labels=[str(c) for c in classes])
        ax.set_title(name)
        ax.set_xlabel("class")
        ax.set_ylabel("value")
        ax.tick_params(axis="x", rotation=45)
    for ax in axes[len(features) :]:
        ax.set_visible(False)
    if title:
        axes[0].figure.suptitle(title)
    return axes


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like", None],
        "n_components": [Options(Integral, {2, 3})],
        "ax": "no_validation",
        "figsize": [tuple, None],
        "standardize": ["boolean"],
        "title": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_pca(
    X,
    y=None,
    *,
    n_components: int = 2,
    ax=None,
    figsize: tuple[float, float] | None = None,
    standardize: bool = True,
    title: str | None = "Principal components",
):
    """Scatter the samples on their first 2 or 3 principal components.

    The features are standardised (with ``standardize``), projected with
    scikit-learn's ``PCA``, and each class is drawn in its own colour.

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
    figsize : tuple of 2 float or None, default=None
        Size of a new figure (inches): (6, 5), or (8, 6) in 3-D.
    standardize : bool, default=True
        Scale features to unit variance first.
    title : str or None, default="Principal components"
        Axes title.

    Returns
    -------
    ax : matplotlib Axes
        One scatter collection per class; axis labels give the explained
        variance of each component. In 3-D the legend sits beside the axes,
        where it covers no axis label.

    See Also
    --------
    plot_class_boxplots : The classes feature by feature.
    plot_correlation_heatmap : Which features repeat each other.

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
    X = np.asarray(X, dtype=float)
    if standardize:
        X = StandardScaler().fit_transform(X)
    pca = PCA(n_components=n_components).fit(X)
    Z = pca.transform(X)
    three_d = n_components == 3
    ax = _new_axes(
        ax, figsize or ((8, 6) if three_d else (6, 5)), projection="3d" if three_d else None
    )
    y = np.zeros(len(Z), dtype=int) if y is None else np.asarray(y)
    for c in np.unique(y):
        ax.scatter(*Z[y == c].T, s=12, label=str(c))
    setters = [ax.set_xlabel, ax.set_ylabel] + ([ax.set_zlabel] if three_d else [])
    for i, set_label in enumerate(setters):
        set_label(f"PC{i + 1} ({100 * pca.explained_variance_ratio_[i]:.1f} % of variance)")
    if len(np.unique(y)) > 1:
        if three_d:  # beside the box: inside, it hides the z label
            ax.legend(
                fontsize=7,
                markerscale=1.5,
                title="class",
                loc="center left",
                bbox_to_anchor=(1.12, 0.5),
            )
            engine = getattr(ax.figure, "get_layout_engine", lambda: None)()
            if engine is None:  # a constrained or tight layout makes room by itself
                ax.figure.subplots_adjust(left=0.0, right=0.78)
        else:
            ax.legend(fontsize=7, markerscale=1.5, title="class")
    if title:
        ax.set_title(title)
    return ax


def _display_values(S, step):
    """Values and colour-bar label: MFCCs as they are, spectra in dB."""
    import librosa

    from .features import MFCC

    if isinstance(step, MFCC):
        return S, "MFCC value"
    if step.db:
        return S, "dB" if step.ref != "max" else "dB re clip maximum"
    power = float(step.power)  # |X| ** power; in dB: (20 / power) log10 S
    return librosa.power_to_db(S ** (2.0 / power), ref=np.max, top_db=80.0), "dB re maximum"


@validate_params(
    {
        "S": ["array-like"],
        "step": "no_validation",  # its own check names the steps it draws
        "sr": [RealInterval(0, None, closed="neither"), None],
        "ax": "no_validation",
        "figsize": [tuple],
        "cmap": [str, None],
        "colorbar": ["boolean"],
        "title": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_spectrogram(
    S,
    step,
    *,
    sr: float | None = None,
    ax=None,
    figsize: tuple[float, float] = (8, 4),
    cmap: str | None = None,
    colorbar: bool = True,
    title: str | None = None,
):
    """Draw one clip's spectrogram with time in seconds and frequency in Hz (or Mel bands).

    The axes come from the parameters of the audiosk step that computed
    ``S`` (rate, hop, FFT size, Mel or log-frequency settings), and the
    drawing is ``librosa.display.specshow``. Power or magnitude spectra are
    shown in dB (relative to their maximum unless the step already gave dB).

    Parameters
    ----------
    S : array-like of shape (n_bins, n_frames), or (1, n_bins, n_frames)
        One clip's output of ``step``.
    step : Spectrogram, MelSpectrogram or MFCC
        The step that computed ``S`` (fitted or not).
    sr : float or None, default=None
        Sample rate, when ``step.sr`` is None (the rate came with the waveforms).
    ax : matplotlib Axes or None, default=None
        Where to draw.
    figsize : tuple of 2 float, default=(8, 4)
        Size of a new figure (inches).
    cmap : str or None, default=None
        Colormap; "magma" for spectra, the diverging "coolwarm" for MFCCs.
    colorbar : bool, default=True
        Add a colour bar (dB, or MFCC values).
    title : str or None, default=None
        Axes title; the step's kind and rate when None.

    Returns
    -------
    ax : matplotlib Axes
        Holds the spectrogram as one mesh (``ax.collections[0]``).

    See Also
    --------
    audiosk.features.MelSpectrogram : A step whose output it draws.
    audiosk.images.write_spectrogram_images : Save spectrograms as image files.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import MelSpectrogram
    >>> from audiosk.plotting import plot_spectrogram
    >>> t = np.arange(8000) / 8000
    >>> step = MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=32, db=True)
    >>> S = step.fit_transform(np.sin(2 * np.pi * 440 * t)[None])[0]
    >>> ax = plot_spectrogram(S, step)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Time (s)', 'Frequency (Hz, Mel scale)')
    """
    import librosa.display

    from .features import MFCC, MelSpectrogram, Spectrogram

    S = np.asarray(S)
    if S.ndim == 3 and len(S) == 1:
        S = S[0]
    if S.ndim != 2:
        raise ValueError(
            f"plot_spectrogram draws one clip's spectrogram (n_bins, n_frames); got shape {S.shape}. "
            "Pass S[i] for clip i."
        )
    if not isinstance(step, (Spectrogram, MelSpectrogram)):
        raise TypeError(
            "plot_spectrogram needs the audiosk step that computed S (Spectrogram, "
            f"MelSpectrogram or MFCC) for its axes; got {type(step).__name__}."
        )
    rate = sr if sr is not None else step.sr
    if rate is None:
        raise ValueError(
            f"{type(step).__name__}(sr=None) took the rate from its input: pass "
            "plot_spectrogram(..., sr=RATE) to label the axes."
        )
    ax = _new_axes(ax, figsize)
    values, unit = _display_values(S, step)
    mfcc = isinstance(step, MFCC)
    cmap = cmap or ("coolwarm" if mfcc else "magma")
    kwargs = dict(sr=rate, hop_length=step.hop_length, x_axis="time", ax=ax, cmap=cmap)
    if mfcc:
        kind, ylabel = "MFCC", "MFCC coefficient"
    elif isinstance(step, MelSpectrogram):
        kind, ylabel = "Mel spectrogram", "Frequency (Hz, Mel scale)"
        kwargs.update(y_axis="mel", fmin=step.fmin, fmax=step.fmax or rate / 2, htk=step.htk)
    elif step.frequency_scale == "log":
        kind, ylabel = "Log-frequency spectrogram", "Frequency (Hz, log scale)"
        centres = np.geomspace(step.fmin, step.fmax or rate / 2, step.n_bins)
        kwargs.update(y_axis="log", y_coords=centres)
    else:
        kind, ylabel = "Spectrogram", "Frequency (Hz)"
        kwargs.update(y_axis="linear", n_fft=step.n_fft)
    mesh = librosa.display.specshow(values, **kwargs)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel(ylabel)
    if mfcc:
        ax.set_yticks(np.arange(0, len(values), max(1, len(values) // 5)) + 0.5)
        ax.set_yticklabels(np.arange(0, len(values), max(1, len(values) // 5)))
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=unit, format="%+.0f" if "dB" in unit else None)
    ax.set_title(title if title is not None else f"{kind} ({rate:g} Hz)")
    return ax
