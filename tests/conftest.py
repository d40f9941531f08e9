"""Shared fixtures: generated audio files and the optional real data in ../shared/data.

Signal generators and helpers that tests import live in ``tests/_helpers.py``.
"""

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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


@pytest.fixture
def decoded(monkeypatch):
    """The paths ``audiosk.io.load_audio`` decodes during the test, in order (a list to clear)."""
    import audiosk.io

    calls = []
    original = audiosk.io.load_audio

    def counting(path, *args, **kwargs):
        calls.append(path)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(audiosk.io, "load_audio", counting)
    return calls
