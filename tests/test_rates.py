"""A fitted step remembers the sample rate it was fitted at and refuses waveforms at another.

Every public estimator is accounted for: it uses the rate (a case below, fitted at 8 kHz and
then given the same clips labelled 16 kHz) or it is listed with the reason it does not.
"""

import importlib
import importlib.util
import inspect
import pkgutil

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline

import audiosk
from audiosk.chunking import ChunkedClassifier, ChunkedRegressor
from audiosk.containers import WaveformArray, Waveforms
from audiosk.features import (
    MFCC,
    AudioDescriptors,
    Flatten,
    GTZANFeatures,
    MelSpectrogram,
    OpenSMILEFeatures,
    PANNsEmbedding,
    Spectrogram,
    TemporalStats,
)
from audiosk.io import AudioLoader
from audiosk.nets import NeuralClassifier, NeuralRegressor
from audiosk.preprocessing import PadTrim

from .test_panns import released_checkpoint

SR = 8000
OTHER = 16000

#: Public estimators that take no waveforms, or whose rate is not a fitted state, and why.
NO_FITTED_RATE = {
    "AudioLoader": "takes file paths; its sr is the rate it loads at, carried by its output",
    "CachedTransformer": "wraps a front end whose own steps record and check the rate",
    "Deltas": "spectra in, spectra out: frames, not samples",
    "Flatten": "spectra or tables in, rows out",
    "SpectrogramImage": "spectra in, images out",
    "SpectrogramScaler": "spectra in, spectra out",
    "TemporalStats": "spectra in, statistics out",
    "VTLNClassifier": "spectra in (warps frequency bins, not Hz)",
    "Augmentation": "a net's training-time augmentation, applied by the net that owns the rate",
    "AddNoise": "a net's training-time augmentation, applied by the net that owns the rate",
    "FrequencyWarp": "a net's training-time augmentation, applied by the net that owns the rate",
    "Mixup": "a net's training-time augmentation, applied by the net that owns the rate",
    "BetweenClassMix": "a net's training-time augmentation, applied by the net that owns the rate",
    "Gain": "a net's training-time augmentation, applied by the net that owns the rate",
    "SpecAugment": "a net's training-time augmentation, applied by the net that owns the rate",
    "TimeShift": "a net's training-time augmentation, applied by the net that owns the rate",
    "TimeStretch": "a net's training-time augmentation, applied by the net that owns the rate",
}


def public_estimators():
    """Every estimator class named in the ``__all__`` of a public audiosk module."""
    found = {}
    for info in pkgutil.walk_packages(audiosk.__path__, "audiosk."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[obj.__name__] = obj
    return found


def clips(n=4, seconds=1.0):
    """Fixed-length noise clips (class = louder or quieter) and their labels."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, int(seconds * SR))).astype(np.float32)
    X *= np.where(np.arange(n) % 2, 0.5, 0.05)[:, None].astype(np.float32)
    return X, np.arange(n) % 2


@pytest.fixture(scope="module")
def cnn10_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("rates") / "Cnn10_mAP=0.380.pth"
    released_checkpoint(path, "cnn10")
    return path


def cases(weights):
    """Each rate-using step, configured to fit on 1 s clips at 8 kHz: name -> (step, method)."""
    mlp = {"module__hidden_layer_sizes": (8,), "max_epochs": 1, "random_state": 0}
    return {
        "PadTrim": (PadTrim(duration=0.5), "transform"),
        "Spectrogram": (Spectrogram(n_fft=256, hop_length=128), "transform"),
        "MelSpectrogram": (MelSpectrogram(n_fft=256, hop_length=128, n_mels=20), "transform"),
        "MFCC": (MFCC(n_fft=256, hop_length=128, n_mels=20, n_mfcc=5), "transform"),
        "GTZANFeatures": (GTZANFeatures(), "transform"),
        "AudioDescriptors": (AudioDescriptors(), "transform"),
        "OpenSMILEFeatures": (OpenSMILEFeatures(), "transform"),
        "PANNsEmbedding": (PANNsEmbedding(weights, arch="cnn10", device="cpu"), "transform"),
        "ChunkedClassifier": (
            ChunkedClassifier(LogisticRegression(), window_seconds=0.25),
            "predict",
        ),
        "ChunkedRegressor": (ChunkedRegressor(Ridge(), window_seconds=0.25), "predict"),
        "NeuralClassifier": (NeuralClassifier(**mlp), "predict"),
        "NeuralRegressor": (NeuralRegressor(**mlp), "predict"),
    }


def test_every_public_estimator_is_accounted_for():
    names = set(public_estimators())
    covered = set(cases("unused.pth")) | set(NO_FITTED_RATE)
    assert names - covered == set(), "add a case to tests/test_rates.py"
    with_sr = {
        n for n, cls in public_estimators().items() if "sr" in inspect.signature(cls).parameters
    }
    assert with_sr <= set(cases("unused.pth")) | {"AudioLoader"}


@pytest.mark.parametrize(
    "name",
    [
        "PadTrim",
        "Spectrogram",
        "MelSpectrogram",
        "MFCC",
        "GTZANFeatures",
        "AudioDescriptors",
        pytest.param(
            "OpenSMILEFeatures",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("opensmile") is None,
                reason="the opensmile package is not installed (pip install audiosk[opensmile])",
            ),
        ),
        "PANNsEmbedding",
        "ChunkedClassifier",
        "ChunkedRegressor",
        pytest.param("NeuralClassifier", marks=pytest.mark.slow),  # the first net fit: 6 s
        "NeuralRegressor",
    ],
)
def test_a_fitted_step_refuses_another_rate(name, cnn10_path):
    step, method = cases(cnn10_path)[name]
    X, y = clips()
    step.fit(WaveformArray(X, sr=SR), y)
    assert step.sample_rate_ == SR
    apply = getattr(step, method)
    with pytest.raises(ValueError, match=rf"{name} was fitted .* at {SR} Hz.*{OTHER} Hz"):
        apply(WaveformArray(X, sr=OTHER))
    # a plain array carries no rate: it is taken at the fitted rate
    np.testing.assert_allclose(
        np.asarray(apply(X), dtype=float),
        np.asarray(apply(WaveformArray(X, sr=SR)), dtype=float),
        rtol=1e-6,
    )


def test_a_step_given_sr_records_it_and_passes_it_on():
    X, _ = clips()
    pad = PadTrim(duration=0.5, sr=SR).fit(X)
    assert pad.sample_rate_ == SR and pad.length_ == SR // 2
    out = pad.transform(X)
    assert out.sr == SR and out.shape == (4, SR // 2)
    with pytest.raises(ValueError, match=rf"PadTrim was fitted .* at {SR} Hz.*{OTHER} Hz"):
        pad.transform(Waveforms(list(X), sr=OTHER))
    # a rate changed after fit asks for a new fit instead of mixing two rates
    mel = MelSpectrogram(sr=SR, n_fft=256, n_mels=20).fit(X)
    with pytest.raises(ValueError, match=rf"fitted at {SR} Hz and its sr is now {OTHER}"):
        mel.set_params(sr=OTHER).transform(X)


def test_padtrim_duration_is_not_halved_at_another_rate():
    X, _ = clips()
    pad = PadTrim(duration=1).fit(Waveforms(list(X[:, :4000]), sr=SR))
    assert pad.length_ == SR
    with pytest.raises(ValueError, match=rf"PadTrim was fitted .* at {SR} Hz.*{OTHER} Hz"):
        pad.transform(Waveforms(list(np.zeros((2, OTHER), np.float32)), sr=OTHER))
    # fitted on plain arrays with nothing known, PadTrim learns samples and invents no rate
    unknown = PadTrim(length=100).fit(X)
    assert unknown.sample_rate_ is None
    assert unknown.transform(WaveformArray(X, sr=OTHER)).sr == OTHER


def test_unfitted_spectral_steps_keep_working_at_any_rate():
    X, _ = clips()
    mel = MelSpectrogram(n_fft=256, n_mels=20)
    at_8k = mel.transform(WaveformArray(X, sr=SR))
    at_16k = mel.transform(WaveformArray(X, sr=OTHER))
    assert not hasattr(mel, "sample_rate_")
    np.testing.assert_allclose(at_8k, MelSpectrogram(sr=SR, n_fft=256, n_mels=20).transform(X))
    assert not np.allclose(at_8k, at_16k)  # the filterbanks differ: the rate matters


@pytest.fixture(scope="module")
def tone_files_at(tmp_path_factory):
    """The same low/high tones written at 8 kHz and at 16 kHz."""
    rng = np.random.default_rng(0)
    folders = {}
    lengths = rng.uniform(0.3, 0.6, size=24)
    for rate in (SR, OTHER):
        root = tmp_path_factory.mktemp(f"tones{rate}")
        paths = []
        for i, seconds in enumerate(lengths):
            t = np.arange(int(seconds * rate)) / rate
            freq = 400 if i % 2 == 0 else 1800
            sf.write(
                root / f"{i}.wav", (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate
            )
            paths.append(str(root / f"{i}.wav"))
        folders[rate] = paths
    return folders, np.arange(24) % 2


def model():
    return [
        PadTrim(percentile=90),
        MelSpectrogram(n_fft=256, hop_length=128, n_mels=20, db=True),
        TemporalStats(),
        Flatten(),
        LogisticRegression(max_iter=500),
    ]


def test_a_fitted_pipeline_refuses_waveforms_at_another_rate(tone_files_at):
    files, y = tone_files_at
    at_8k = AudioLoader(sr=SR).fit_transform(files[SR])
    at_16k = AudioLoader(sr=OTHER).fit_transform(files[SR])
    pipe = make_pipeline(*model()).fit(at_8k, y)
    assert pipe.score(at_8k, y) == 1.0
    with pytest.raises(ValueError, match=rf"PadTrim was fitted .* at {SR} Hz.*{OTHER} Hz"):
        pipe.predict(at_16k)
    # without PadTrim in front, the Mel step refuses
    fixed = PadTrim(length=2400).fit_transform(at_8k)
    mel = make_pipeline(*model()[1:]).fit(fixed, y)
    with pytest.raises(ValueError, match=rf"MelSpectrogram was fitted .* at {SR} Hz.*{OTHER}"):
        mel.predict(WaveformArray(np.asarray(fixed), sr=OTHER))


def test_a_pipeline_from_paths_refuses_files_at_another_rate(tone_files_at):
    files, y = tone_files_at
    pipe = make_pipeline(AudioLoader(sr=None), *model()).fit(files[SR], y)
    np.testing.assert_array_equal(pipe.predict(files[SR]), y)
    with pytest.raises(ValueError, match=rf"PadTrim was fitted .* at {SR} Hz.*{OTHER} Hz"):
        pipe.predict(files[OTHER])
    # loaded at the fitted rate, the 16 kHz files are the same tones
    pipe.set_params(audioloader__sr=SR)
    np.testing.assert_array_equal(pipe.predict(files[OTHER]), y)
