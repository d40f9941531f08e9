"""compare(baselines="auto") on file paths: decoding and features shared, against the old path.

Writes 400 generated 5 s WAV files (44,100 Hz, 8 classes of tones and noise)
to a temporary folder and loads them at 22,050 Hz. Prints, measured in one run:

- compare() with one pipeline plus the six-model panel, 5 folds: wall time and
  the number of files decoded;
- the old path (each pipeline cross-validated alone, as compare() did
  before it shared work): wall time and decodes;
- the slowest single model cross-validated alone on precomputed MFCC
  statistics, and all the models one after another (what remains once
  decoding and features are shared);
- a 12-candidate GridSearchCV over the SVC's C, 3 folds, with the front end in a
  CachedTransformer and without: wall time and decodes per file and fold.

Every model runs on one thread (OpenMP and BLAS limited to 1).

    python benchmarks/bench_compare.py
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one thread per model: OpenMP models on a busy machine stall

import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

N_FILES, SECONDS, FILE_SR, SR = 400, 5, 44100, 22050


def write_files(folder: Path):
    import soundfile as sf

    rng = np.random.default_rng(0)
    t = np.arange(SECONDS * FILE_SR) / FILE_SR
    paths, labels = [], []
    for i in range(N_FILES):
        label = i % 8
        tone = np.sin(2 * np.pi * (200 * (label + 1)) * rng.uniform(0.97, 1.03) * t)
        y = 0.3 * tone + rng.uniform(0.05, 0.3) * rng.normal(size=t.size)
        path = folder / f"{i:03d}.wav"
        sf.write(str(path), y.astype(np.float32), FILE_SR, subtype="PCM_16")
        paths.append(str(path))
        labels.append(label)
    return np.array(paths), np.array(labels)


class DecodeCounter:
    """Counts the files audiosk.io.load_audio decodes while installed."""

    def __init__(self):
        import audiosk.io

        self.module, self.original, self.count = audiosk.io, audiosk.io.load_audio, 0

    def __enter__(self):
        def counting(*args, **kwargs):
            self.count += 1
            return self.original(*args, **kwargs)

        self.module.load_audio = counting
        return self

    def __exit__(self, *exc):
        self.module.load_audio = self.original


def main():
    import warnings

    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from audiosk.model_selection import CachedTransformer, classical_baselines, compare
    from audiosk.model_selection._table import CLASSIFIER_SCORING

    warnings.simplefilter("ignore", ConvergenceWarning)
    with tempfile.TemporaryDirectory() as tmp:
        paths, y = write_files(Path(tmp))
        panel = classical_baselines(paths, sr=SR)
        front = next(iter(panel.values()))[:-2]  # AudioLoader, MFCC, TemporalStats
        clone(front).fit_transform(paths[:4])  # compiled kernels ready before anything is timed
        mine = {
            "logreg C=0.1": make_pipeline(
                *clone(front), StandardScaler(), LogisticRegression(C=0.1, max_iter=1000)
            )
        }
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        splits = list(cv.split(paths, y))
        print(f"{N_FILES} files of {SECONDS} s ({FILE_SR} Hz, loaded at {SR} Hz), 5 folds")

        with DecodeCounter() as new:
            start = time.perf_counter()
            table = compare(mine, paths, y, cv=splits, baselines="auto", sr=SR, verbose=0)
            t_new = time.perf_counter() - start
        with DecodeCounter() as old:
            start = time.perf_counter()
            for estimator in {**mine, **panel}.values():
                cross_validate(estimator, paths, y, cv=splits, scoring=CLASSIFIER_SCORING)
            t_old = time.perf_counter() - start

        features = clone(front).fit_transform(paths)
        alone = {}
        for name, estimator in {**mine, **panel}.items():
            start = time.perf_counter()
            cross_validate(estimator[-2:], features, y, cv=splits, scoring=CLASSIFIER_SCORING)
            alone[name] = time.perf_counter() - start
        slowest = max(alone, key=alone.get)

        print(
            f"  compare(), shared decoding and front end  {t_new:7.1f} s   {new.count:5d} decodes"
        )
        print(
            f"  old path, each pipeline alone             {t_old:7.1f} s   {old.count:5d} decodes"
        )
        print(f"  slowest model alone on features ({slowest}) {alone[slowest]:7.1f} s")
        print(
            f"  all {len(alone)} models, one after another, on features   {sum(alone.values()):7.1f} s"
        )
        print(
            f"  compare() / slowest model alone: {t_new / alone[slowest]:.2f} (goal <= 1.5); "
            f"old path / compare(): {t_old / t_new:.1f}x"
        )
        print(f"  best row: {table.index[0]} accuracy {table['accuracy_mean'].iloc[0]:.3f}")

        grid = {"svc__C": np.logspace(-2, 3.5, 12)}
        for label, step in (
            ("front end in the pipeline", clone(front)),
            ("front end in a CachedTransformer", None),
        ):
            with tempfile.TemporaryDirectory() as cache, DecodeCounter() as count:
                step = step or CachedTransformer(clone(front), memory=cache)
                search = GridSearchCV(
                    make_pipeline(step, StandardScaler(), SVC()), grid, cv=3, refit=False
                )
                start = time.perf_counter()
                search.fit(paths, y)
                elapsed = time.perf_counter() - start
            print(
                f"  GridSearchCV 12 x 3 folds, {label:33} {elapsed:7.1f} s   "
                f"{count.count:5d} decodes ({count.count / (3 * N_FILES):.0f} per file per fold)"
            )


if __name__ == "__main__":
    main()
