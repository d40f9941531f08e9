"""Bad input gets a clear error that names the step or file and what to do."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from audiosk.adaptation import VTLNClassifier
from audiosk.chunking import ChunkedClassifier
from audiosk.containers import WaveformArray
from audiosk.datasets import load_audio_folder, load_spoken_digits
from audiosk.features import (
    MFCC,
    Deltas,
    Flatten,
    MelSpectrogram,
    Spectrogram,
    SpectrogramImage,
    TemporalStats,
    warp_frequency,
)
from audiosk.io import AudioLoader, load_audio
from audiosk.nets import NeuralClassifier
from audiosk.preprocessing import PadTrim, split_windows

WAVES = WaveformArray(np.zeros((2, 800), np.float32), sr=8000)
SPECTRA = np.zeros((2, 4, 20), np.float32)

CASES = {
    "n_mfcc above n_mels": (
        lambda: MFCC(n_mfcc=40, n_mels=20).fit_transform(WAVES),
        "n_mfcc=40 coefficients need at least as many Mel bands; got n_mels=20",
    ),
    "window longer than the frame": (
        lambda: Spectrogram(n_fft=256, win_length=512).fit_transform(WAVES),
        "win_length=512 is longer than n_fft=256",
    ),
    "one 1-D clip": (
        lambda: MelSpectrogram(sr=8000).fit_transform(np.zeros(800)),
        r"one 1-D array of 800 samples.*pass \[clip\]",
    ),
    "one 1-D clip to PadTrim": (
        lambda: PadTrim(length=10).fit_transform(np.zeros(800)),
        "PadTrim expects several clips",
    ),
    "deltas order": (
        lambda: Deltas(order=5, width=3).fit_transform(SPECTRA),
        r"Deltas\(order=5, width=3\): width must be odd and larger than order",
    ),
    "ragged spectra": (
        lambda: Flatten().fit_transform([np.zeros((4, 5)), np.zeros((4, 6))]),
        "Flatten needs spectra of one shape.*TemporalStats.*PadTrim",
    ),
    "no clips": (lambda: Flatten().fit_transform([]), r"Flatten got no clips"),
    "numpy strings in messages": (
        lambda: TemporalStats(stats=[np.str_("mean"), np.str_("peak")]).fit(SPECTRA),
        r"unknown stats \['peak'\]",
    ),
    "zero frames to Deltas": (
        lambda: Deltas(mode="nearest", width=3).fit_transform(np.zeros((2, 4, 0))),
        "empty axis",
    ),
    "zero bins in clips of different lengths": (
        lambda: TemporalStats().fit_transform([np.zeros((0, 5)), np.zeros((0, 7))]),
        r"empty axis \(no bins or no frames, clip 0\)",
    ),
    "zero frames in the second of two clips": (
        lambda: TemporalStats().fit_transform([np.zeros((3, 5)), np.zeros((3, 0))]),
        r"empty axis \(no bins or no frames, clip 1\)",
    ),
    "zero bins to SpectrogramImage": (
        lambda: SpectrogramImage(height=4, width=4).fit_transform(np.zeros((2, 0, 5))),
        "empty axis",
    ),
    "cmap without RGB": (
        lambda: SpectrogramImage(cmap="magma").fit_transform(SPECTRA),
        r"cmap=\.\.\.\) gives RGB images: set channels=3",
    ),
    "windows shorter than a sample": (
        lambda: ChunkedClassifier(LogisticRegression(), window_seconds=1e-6).fit(WAVES, [0, 1]),
        "must each span at least one sample at 8000 Hz",
    ),
    "validation on two samples": (
        lambda: NeuralClassifier(early_stopping=True).fit(np.zeros((2, 3)), [0, 1]),
        r"could not hold out 20% of its 2 training samples for validation \(asked for by "
        r"early_stopping\).*validation_fraction=None",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_raises_a_clear_error(case):
    call, message = CASES[case]
    with pytest.raises((ValueError, TypeError), match=message):
        call()


NUMPY_NAMES = {
    "a single path from an array of paths": (
        lambda: MelSpectrogram(sr=8000).fit_transform(load_spoken_digits().filenames[0]),
        r"got a single path '[^']+0_george_0\.flac'\. Put",
    ),
    "an activation from an array": (
        lambda: NeuralClassifier(module__activation=np.array(["swish"])[0], max_epochs=1).fit(
            np.zeros((4, 3), np.float32), [0, 1, 0, 1]
        ),
        r"Unknown activation 'swish'; choose",
    ),
    "an augmentation from an array": (
        lambda: NeuralClassifier(augment=[np.array(["jitter"])[0]], max_epochs=1).fit(
            np.zeros((4, 3), np.float32), [0, 1, 0, 1]
        ),
        r"Unknown augmentation 'jitter'",
    ),
    "a label pattern from an array": (
        lambda: load_audio_folder(
            Path(load_spoken_digits().filenames[0]).parent, labels=np.array([r"^x(\d)"])[0]
        ),
        r"labels pattern '\^x\(\\d\)' does not match",
    ),
}


@pytest.mark.parametrize("case", list(NUMPY_NAMES))
def test_numpy_strings_read_as_plain_text_in_messages(case):
    call, message = NUMPY_NAMES[case]
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert "np.str_" not in str(info.value) and "numpy" not in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)


def test_predict_before_fit_is_not_fitted_error():
    with pytest.raises(NotFittedError):
        VTLNClassifier(LogisticRegression()).predict(SPECTRA)


def test_offset_past_the_end_names_the_file_and_its_length():
    path = load_spoken_digits().filenames[0]
    with pytest.raises(OSError, match=r"offset=100 s is past its end \(it lasts 0\.\d+ s\)"):
        AudioLoader(sr=8000, offset=100).fit_transform([path])


def test_a_series_of_clips_is_a_list_of_clips():
    clips = [np.sin(np.arange(800) / 5.0), np.cos(np.arange(800) / 7.0)]
    mel = MelSpectrogram(sr=8000, n_fft=256, hop_length=128)
    np.testing.assert_array_equal(mel.fit_transform(pd.Series(clips)), mel.fit_transform(clips))


@pytest.mark.parametrize(
    "make",
    [
        lambda: MelSpectrogram(sr=8000),
        lambda: MFCC(sr=8000),
        lambda: Spectrogram(sr=8000),
        lambda: PadTrim(length=100, sr=8000),
        lambda: ChunkedClassifier(LogisticRegression(), window_seconds=0.01, sr=8000),
    ],
    ids=["MelSpectrogram", "MFCC", "Spectrogram", "PadTrim", "ChunkedClassifier"],
)
def test_an_empty_clip_is_refused_by_name(make):
    from audiosk.containers import Waveforms
    from audiosk.features import GTZANFeatures

    step = make()
    ragged = Waveforms([np.ones(800, np.float32), np.zeros(0, np.float32)], sr=8000)
    name = type(step).__name__
    with pytest.raises(ValueError, match=rf"^{name}: clip \[1\] of X has 0 samples"):
        step.fit(ragged, [0, 1])
    with pytest.raises(ValueError, match=rf"^{name}: found array with 0 feature.*every clip"):
        step.fit(np.zeros((2, 0), np.float32), [0, 1])
    with pytest.raises(ValueError, match=r"^GTZANFeatures: clip \[1\] of X has 0 samples"):
        GTZANFeatures(sr=8000).fit_transform(ragged)


@pytest.mark.parametrize("sizes", [0, (64, 0), -3, "256-0", (8.5,), True])
def test_layer_sizes_of_no_unit_are_refused_before_training(sizes):
    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    net = NeuralClassifier(module__hidden_layer_sizes=sizes, max_epochs=1)
    with pytest.raises(ValueError, match=r"every layer needs at least 1 unit.*module__hidden"):
        net.fit(X, np.arange(20) % 2)
    from audiosk.nets import CNN, TDNN

    with pytest.raises(ValueError, match=r"^channels=0: every layer needs at least 1 unit"):
        CNN((8, 8), 2, channels=0)
    with pytest.raises(ValueError, match=r"^embedding=0: every layer needs at least 1 unit"):
        TDNN((8, 8), 2, embedding=0)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: load_audio(3), "path"),
        (lambda: load_audio("x.wav", offset=-1.0), "offset"),
        (lambda: load_audio("x.wav", sr=True), "sr"),
        (lambda: warp_frequency(SPECTRA, 0), "factor"),
        (lambda: split_windows(WAVES, window_length=4, hop_length=0), "hop_length"),
    ],
)
def test_public_functions_name_the_parameter_they_refuse(call, name):
    with pytest.raises(ValueError, match=rf"The '{name}' parameter of \w+ must be"):
        call()
