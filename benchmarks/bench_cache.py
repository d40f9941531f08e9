"""GridSearchCV over 12 net settings: no cache, Pipeline(memory=...), CachedTransformer.

Files -> AudioLoader -> PadTrim -> log-Mel -> Flatten -> StandardScaler -> MLP on
the 600 embedded spoken digits, 3 speaker-grouped folds. Only the net's
parameters vary, so with a cache the front of the pipeline is fitted once per
fold (3 times) instead of once per fit (36 times); Pipeline(memory=...) still
decodes and transforms the test clips for every candidate, a CachedTransformer
around the front end does not. Prints the totals, the speed-ups and the files
decoded, and checks that the searches found the same scores.

    python benchmarks/bench_cache.py
"""

import tempfile
import time

import numpy as np
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from audiosk.datasets import load_spoken_digits
from audiosk.features import Flatten, MelSpectrogram
from audiosk.io import AudioLoader
from audiosk.model_selection import CachedTransformer
from audiosk.nets import NeuralClassifier
from audiosk.preprocessing import PadTrim


def search(memory, cached_front=False):
    front = [
        ("load", AudioLoader(sr=8000)),
        ("pad", PadTrim(percentile=90)),
        ("mel", MelSpectrogram(n_mels=40, n_fft=512, hop_length=128, db=True)),
        ("flat", Flatten()),
        ("scale", StandardScaler()),
    ]
    if cached_front:
        front = [("front", CachedTransformer(Pipeline(front), memory=memory))]
        memory = None
    net = NeuralClassifier("mlp", max_epochs=5, random_state=0, validation_fraction=None)
    pipe = Pipeline([*front, ("net", net)], memory=memory)
    grid = {
        "net__lr": [1e-3, 3e-3, 1e-2],
        "net__module__hidden_layer_sizes": [(64,), (128, 64)],
        "net__module__dropout": [0.0, 0.3],
    }
    return GridSearchCV(pipe, grid, cv=GroupKFold(3))


def main():
    import audiosk.io

    digits = load_spoken_digits()
    load_audio, decoded = audiosk.io.load_audio, []

    def counting(path, *args, **kwargs):
        decoded.append(path)
        return load_audio(path, *args, **kwargs)

    audiosk.io.load_audio = counting
    results = {}
    for label in ("no cache", "Pipeline(memory=...)", "CachedTransformer"):
        decoded.clear()
        with tempfile.TemporaryDirectory() as cache:
            grid = search(None if label == "no cache" else cache, label == "CachedTransformer")
            start = time.perf_counter()
            grid.fit(digits.filenames, digits.target, groups=digits.groups)
            elapsed = time.perf_counter() - start
            results[label] = (elapsed, grid.cv_results_["mean_test_score"], len(decoded))
    audiosk.io.load_audio = load_audio
    t0, s0, _ = results["no cache"]
    print("GridSearchCV, 12 settings x 3 folds, 600 clips (files -> log-Mel -> MLP)")
    for label, (t, scores, n) in results.items():
        assert np.allclose(s0, scores), f"{label} and the uncached search disagree"
        print(f"  {label:22} {t:6.1f} s   speed-up {t0 / t:5.2f}x   {n:6d} files decoded")
    print(f"  (same scores: best {s0.max():.3f})")


if __name__ == "__main__":
    main()
