"""Generated signals and a small audio pipeline shared by the test modules."""

import numpy as np


def tone(freq=440.0, seconds=1.0, sr=8000, amp=0.5):
    """A sine of ``freq`` Hz, float32, shape ``(seconds * sr,)``."""
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chirp(seconds=1.0, sr=8000, f0=100.0, f1=2000.0):
    """A linear sweep from ``f0`` to ``f1`` Hz, float32, shape ``(seconds * sr,)``."""
    t = np.arange(int(seconds * sr)) / sr
    k = (f1 - f0) / seconds
    return (0.5 * np.sin(2 * np.pi * (f0 * t + 0.5 * k * t**2))).astype(np.float32)


def music(seconds=6.0, seed=0, sr=22050):
    """A tone with harmonics plus noise bursts on a beat: harmonic and percussive parts."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    harmonics = sum(0.2 / k * np.sin(2 * np.pi * 220 * k * t) for k in range(1, 5))
    beat = (np.mod(t, 0.5) < 0.03) * rng.normal(scale=0.4, size=t.size)
    return (harmonics + beat).astype(np.float32)


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
