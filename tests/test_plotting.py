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


def test_confusion_matrix_names_classes_and_keeps_long_names_inside_the_figure():
    from audiosk.plotting import plot_confusion_matrix

    names = np.array(["a very long class name indeed", "short", "another rather long name"])
    ax = plot_confusion_matrix([0, 1, 2, 2], [0, 1, 2, 1], display_labels=names)
    ax.figure.canvas.draw()
    for ticks in (ax.get_xticklabels(), ax.get_yticklabels()):
        assert [t.get_text() for t in ticks] == names.tolist()
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
    figure_box = ax.figure.bbox
    renderer = ax.figure.canvas.get_renderer()
    for text in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        box = text.get_window_extent(renderer)
        assert box.x0 >= figure_box.x0 and box.x1 <= figure_box.x1, text.get_text()
        assert box.y0 >= figure_box.y0 and box.y1 <= figure_box.y1, text.get_text()
    with pytest.raises(ValueError, match="display_labels has 2 names for 3 labels"):
        plot_confusion_matrix([0, 1, 2], [0, 1, 2], display_labels=["x", "y"])


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


def _chirp(sr=8000, seconds=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return np.sin(2 * np.pi * (300 + 2000 * t) * t).astype(np.float32)[None]


@pytest.mark.parametrize("kind", ["linear", "log", "mel", "mfcc"])
def test_spectrogram_axes_come_from_the_step(kind):
    import librosa

    from audiosk.features import MFCC, MelSpectrogram, Spectrogram
    from audiosk.plotting import plot_spectrogram

    stft = dict(n_fft=256, hop_length=100)
    step = {
        "linear": Spectrogram(**stft),
        "log": Spectrogram(**stft, frequency_scale="log", n_bins=40, fmin=100.0, db=True),
        "mel": MelSpectrogram(**stft, n_mels=32, fmax=3000.0, db=True),
        "mfcc": MFCC(**stft, n_mfcc=13, n_mels=32),
    }[kind]
    S = step.set_params(sr=8000).fit_transform(_chirp())
    ax = plot_spectrogram(S, step, figsize=(6, 3))
    assert ax.figure.get_size_inches().tolist() == [6, 3]
    assert ax.get_xlabel() == "Time (s)"
    n_frames = S.shape[2]
    assert ax.get_xlim()[1] == pytest.approx(n_frames * 100 / 8000, rel=0.02)  # seconds
    shown = ax.collections[0].get_array().reshape(S.shape[1:])
    colorbar = ax.figure.axes[-1]
    if kind == "linear":  # power shown in dB re its maximum, frequency up to Nyquist in Hz
        assert ax.get_ylim()[1] == pytest.approx(4000, rel=0.02)
        expected = librosa.power_to_db(S[0], ref=np.max, top_db=80.0)
        np.testing.assert_allclose(shown, expected, rtol=1e-5, atol=1e-4)
        assert colorbar.get_ylabel() == "dB re maximum"
    elif kind == "log":
        assert ax.get_yscale() == "symlog"  # librosa's log frequency axis
        assert ax.get_ylim()[0] < 100 and ax.get_ylim()[1] == pytest.approx(4000, rel=0.1)
        np.testing.assert_allclose(shown, S[0])  # already in dB
    elif kind == "mel":
        assert ax.get_ylabel() == "Frequency (Hz, Mel scale)" and colorbar.get_ylabel() == "dB"
    else:
        assert ax.get_ylabel() == "MFCC coefficient" and colorbar.get_ylabel() == "MFCC value"
        np.testing.assert_allclose(shown, S[0])


def test_spectrogram_plot_errors_say_what_to_pass():
    from audiosk.containers import Waveforms
    from audiosk.features import MelSpectrogram
    from audiosk.plotting import plot_spectrogram

    step = MelSpectrogram(n_fft=256, hop_length=100, n_mels=16)
    S = step.fit_transform(Waveforms(list(np.repeat(_chirp(), 2, axis=0)), sr=8000))
    with pytest.raises(ValueError, match=r"one clip's spectrogram.*S\[i\]"):
        plot_spectrogram(S, step)
    with pytest.raises(ValueError, match="sr=RATE"):
        plot_spectrogram(S[0], step)
    ax = plot_spectrogram(S[0], step, sr=8000)
    assert ax.get_title() == "Mel spectrogram (8000 Hz)"
    with pytest.raises(TypeError, match="Spectrogram, MelSpectrogram or MFCC"):
        plot_spectrogram(S[0], object(), sr=8000)


def test_learning_rate_panel_shows_the_schedule():
    from audiosk.plotting import plot_learning_curves

    X, y = make_classification(n_samples=60, random_state=0)
    net = NeuralClassifier(max_epochs=6, random_state=0).fit(X, y)
    axes = plot_learning_curves(net, lr=True, title="demo", figsize=(9, 3))
    assert len(axes) == 3 and axes[0].figure.get_size_inches().tolist() == [9, 3]
    np.testing.assert_allclose(axes[2].lines[0].get_ydata(), net.history[:, "event_lr"])
    assert axes[2].get_yscale() == "log" and axes[0].figure.get_suptitle() == "demo"
    fixed = NeuralClassifier(max_epochs=2, lr_schedule=None, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="no learning rate"):
        plot_learning_curves(fixed, lr=True)


def test_every_plot_draws_on_given_axes_and_the_3d_legend_hides_nothing():
    import matplotlib.pyplot as plt

    from audiosk.plotting import (
        plot_class_boxplots,
        plot_confusion_matrix,
        plot_correlation_heatmap,
        plot_pca,
    )

    X, y = make_classification(
        n_samples=60, n_features=4, n_informative=3, n_redundant=1, random_state=0
    )
    fig, axes = plt.subplots(1, 3)
    assert plot_confusion_matrix(y, y, ax=axes[0]) is axes[0]
    assert plot_correlation_heatmap(X, ax=axes[1]) is axes[1]
    assert plot_pca(X, y, ax=axes[2]) is axes[2]
    _, box_axes = plt.subplots(2, 2)
    drawn = plot_class_boxplots(X, y, axes=box_axes, title="by class")
    assert list(drawn) == list(box_axes.ravel()) and drawn[0].get_xlabel() == "class"
    with pytest.raises(ValueError, match="one Axes per feature"):
        plot_class_boxplots(X, y, axes=box_axes[0])
    ax = plot_pca(X, y, n_components=3, figsize=(8, 6))
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    box = ax.get_window_extent()
    assert legend.x0 > box.x1 * 0.95  # beside the 3-D box, not over its z label
    assert ax.get_zlabel().startswith("PC3")
