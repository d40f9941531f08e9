"""The plotting module: each figure holds the numbers it shows."""

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline

from audiosk.nets import NeuralClassifier, NeuralRegressor

matplotlib.use("Agg")


def test_confusion_matrix_plot_holds_the_counts():
    from audiosk.plotting import plot_confusion_matrix

    ax = plot_confusion_matrix(["a", "a", "b", "c"], ["a", "b", "b", "c"], title="demo")
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    assert ax.get_title() == "demo" and len(ax.texts) == 9
    normalized = plot_confusion_matrix(["a", "a", "b"], ["a", "b", "b"], normalize="true")
    np.testing.assert_allclose(normalized.images[0].get_array(), [[0.5, 0.5], [0, 1]])


def test_learning_curves_follow_the_history():
    from audiosk.plotting import plot_learning_curves

    X, y = make_classification(n_samples=60, random_state=0)
    net = NeuralClassifier(max_epochs=5, validation_fraction=0.2, random_state=0)
    pipe = make_pipeline(net).fit(X, y)
    loss_ax, metric_ax = plot_learning_curves(pipe)
    lines = {line.get_label(): line.get_ydata() for line in loss_ax.lines}
    np.testing.assert_allclose(lines["train_loss"], pipe[-1].history[:, "train_loss"])
    np.testing.assert_allclose(lines["valid_loss"], pipe[-1].history[:, "valid_loss"])
    assert [line.get_label() for line in metric_ax.lines] == ["train_acc", "valid_acc"]

    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    scaled = TransformedTargetRegressor(
        make_pipeline(NeuralRegressor(max_epochs=3, random_state=0)), transformer=StandardScaler()
    ).fit(X, 100 + 10 * y)
    loss_ax, _ = plot_learning_curves(scaled)
    np.testing.assert_allclose(
        loss_ax.lines[0].get_ydata(), scaled.regressor_[-1].history[:, "train_loss"]
    )
    with pytest.raises(ValueError, match="no training history"):
        plot_learning_curves(NeuralClassifier())


def test_eda_plots():
    import pandas as pd

    from audiosk.plotting import plot_class_boxplots, plot_correlation_heatmap, plot_pca

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(40, 3)), columns=["rms_mean", "tempo", "mfcc1_mean"])
    df["tempo_copy"] = 2 * df["tempo"]
    ax = plot_correlation_heatmap(df)
    corr = ax.images[0].get_array()
    assert corr.shape == (4, 4) and corr[1, 3] == pytest.approx(1.0)
    y = np.repeat(["blues", "metal"], 20)
    axes = plot_class_boxplots(df, y, features=["rms_mean", "tempo"], ncols=3)
    assert axes[0].get_title() == "rms_mean" and not axes[2].get_visible()
    assert len(axes[0].lines) == 2 * 7  # per box: box, median, 2 whiskers, 2 caps, fliers
    ax2 = plot_pca(df, y)
    assert len(ax2.collections) == 2 and ax2.get_xlabel().startswith("PC1")
    offsets = np.concatenate([c.get_offsets() for c in ax2.collections])
    assert offsets.shape == (40, 2)
    ax3 = plot_pca(df, y, n_components=3)
    assert ax3.name == "3d" and len(ax3.collections) == 2
