"""GridSearchCV over 12 net settings, with and without Pipeline(memory=...).

Files -> AudioLoader -> PadTrim -> log-Mel -> Flatten -> StandardScaler -> MLP on
the 600 embedded spoken digits, 3 speaker-grouped folds. Only the net's
parameters vary, so with a memory the front of the pipeline is computed once
per fold (3 times) instead of once per fit (36 times). Prints both totals and
the speed-up, and checks that both searches found the same scores.

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
from audiosk.nets import NeuralClassifier
from audiosk.preprocessing import PadTrim


def search(memory):
    pipe = Pipeline(
        [
            ("load", AudioLoader(sr=8000)),
            ("pad", PadTrim(percentile=90)),
            ("mel", MelSpectrogram(n_mels=40, n_fft=512, hop_length=128, db=True)),
            ("flat", Flatten()),
            ("scale", StandardScaler()),
            (
                "net",
                NeuralClassifier("mlp", max_epochs=5, random_state=0, validation_fraction=None),
            ),
        ],
        memory=memory,
    )
    grid = {
        "net__lr": [1e-3, 3e-3, 1e-2],
        "net__module__hidden_layer_sizes": [(64,), (128, 64)],
        "net__module__dropout": [0.0, 0.3],
    }
    return GridSearchCV(pipe, grid, cv=GroupKFold(3))


def main():
    digits = load_spoken_digits()
    results = {}
    for label in ("without memory", "with memory"):
        with tempfile.TemporaryDirectory() as cache:
            grid = search(cache if label == "with memory" else None)
            start = time.perf_counter()
            grid.fit(digits.filenames, digits.target, groups=digits.groups)
            results[label] = (time.perf_counter() - start, grid.cv_results_["mean_test_score"])
    (t0, s0), (t1, s1) = results["without memory"], results["with memory"]
    assert np.allclose(s0, s1), "cached and uncached searches disagree"
    print("GridSearchCV, 12 settings x 3 folds, 600 clips (files -> log-Mel -> MLP)")
    print(f"  without memory  {t0:6.1f} s")
    print(f"  with memory     {t1:6.1f} s")
    print(f"  speed-up        {t0 / t1:6.2f}x   (same scores: best {s1.max():.3f})")


if __name__ == "__main__":
    main()
