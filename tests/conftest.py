"""Shared fixtures: generated audio and the optional real data in ../shared/data."""

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def tone(freq=440.0, seconds=1.0, sr=8000, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chirp(seconds=1.0, sr=8000, f0=100.0, f1=2000.0):
    t = np.arange(int(seconds * sr)) / sr
    k = (f1 - f0) / seconds
    return (0.5 * np.sin(2 * np.pi * (f0 * t + 0.5 * k * t**2))).astype(np.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (only CI and developers have it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tone_files(tmp_path_factory):
    """Two classes of generated clips of varying length: low and high tones in noise."""
    import soundfile as sf

    root = tmp_path_factory.mktemp("tones")
    rng = np.random.default_rng(0)
    paths, labels, groups = [], [], []
    for i in range(36):
        label = i % 2
        n = int(8000 * rng.uniform(0.3, 0.6))
        t = np.arange(n) / 8000
        freq = (300 if label == 0 else 1500) * rng.uniform(0.9, 1.1)
        y = 0.5 * np.sin(2 * np.pi * freq * t) + 0.05 * rng.normal(size=n)
        path = root / f"{i}.wav"
        sf.write(str(path), y.astype(np.float32), 8000)
        paths.append(str(path))
        labels.append(["low", "high"][label])
        groups.append(i // 6)
    return np.array(paths), np.array(labels), np.array(groups)


def audio_pipeline(**net_params):
    """Paths -> loader -> 90th-percentile pad -> Mel -> flatten -> scale -> PCA -> MLP."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from audiosk.features import Flatten, MelSpectrogram
    from audiosk.io import AudioLoader
    from audiosk.nets import NeuralClassifier
    from audiosk.preprocessing import PadTrim

    params = dict(
        module__hidden_layer_sizes=(32,), lr=0.01, max_epochs=8, random_state=0, batch_size=16
    )
    params.update(net_params)
    return make_pipeline(
        AudioLoader(sr=8000),
        PadTrim(percentile=90),
        MelSpectrogram(n_mels=16, n_fft=256, hop_length=128),
        Flatten(),
        StandardScaler(),
        PCA(n_components=10, random_state=0),
        NeuralClassifier("mlp", **params),
    )
