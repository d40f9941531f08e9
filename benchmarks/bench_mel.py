"""MelSpectrogram.transform against a per-clip librosa.feature.melspectrogram loop.

Prints, measured in this run: seconds for 32 clips of 10 s at 22,050 Hz, the
librosa/audiosk ratio on one core, and how audiosk scales with n_jobs.

    python benchmarks/bench_mel.py
"""

import os
import time

import numpy as np


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    import librosa
    from threadpoolctl import threadpool_limits

    from audiosk.features import MelSpectrogram

    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 10 * 22050)).astype(np.float32)
    params = dict(n_fft=2048, hop_length=512, n_mels=128)
    # same values first
    ours = MelSpectrogram(sr=22050, **params).fit_transform(X[:2])
    ref = np.stack([librosa.feature.melspectrogram(y=x, sr=22050, **params) for x in X[:2]])
    err = np.abs(ours - ref).max() / np.abs(ref).max()
    print(f"max |audiosk - librosa| / max |librosa| = {err:.1e}")
    print(
        "32 clips x 10 s, 22,050 Hz, "
        f"n_fft={params['n_fft']}, hop={params['hop_length']}, n_mels={params['n_mels']}"
    )
    with threadpool_limits(1):
        t_librosa = best_of(
            lambda: [librosa.feature.melspectrogram(y=x, sr=22050, **params) for x in X]
        )
        t_ours = best_of(lambda: MelSpectrogram(sr=22050, **params).transform(X))
    print(
        f"one core   librosa loop {t_librosa:6.3f} s   audiosk {t_ours:6.3f} s   "
        f"ratio {t_librosa / t_ours:4.2f}"
    )
    for n_jobs in [2, os.cpu_count() or 1]:
        with threadpool_limits(1):
            step = MelSpectrogram(sr=22050, n_jobs=n_jobs, **params)
            t = best_of(lambda step=step: step.transform(X))
        print(
            f"n_jobs={n_jobs:<3} audiosk {t:6.3f} s   speed-up over one core {t_ours / t:4.2f}   "
            f"ratio to librosa {t_librosa / t:4.2f}"
        )


if __name__ == "__main__":
    main()
