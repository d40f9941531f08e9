"""Peak memory of extract_features as the number of clips grows.

Writes N generated clips (0.5 s, 8 kHz WAV), extracts a flattened 32-band Mel
spectrogram of each (512 columns) to Parquet with ``return_table=False``, in a
fresh process per N, and prints that process's peak resident memory and time.
Flat memory from 1,000 to 10,000 clips shows the output streams to disk.

With ``--mel``, the Mel step alone: ``MelSpectrogram.transform`` (2048/512/128)
on N clips of 30 s at 22,050 Hz held in one array, in a fresh process per N,
against a per-clip librosa loop stacked into one array; prints each one's peak
traced memory (tracemalloc) above the input and the ratio to the output's size.

    python benchmarks/bench_memory.py            # 1,000 and 10,000 clips
    python benchmarks/bench_memory.py 1000 5000 20000
    python benchmarks/bench_memory.py --mel      # 120 and 1,000 clips of 30 s
"""

import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import resource, sys, time
from pathlib import Path
from sklearn.pipeline import make_pipeline
from audiosk.extraction import extract_features
from audiosk.features import Flatten, MelSpectrogram
folder, n, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
paths = [str(folder / f"{i:05d}.wav") for i in range(n)]
extractor = make_pipeline(MelSpectrogram(n_mels=32, n_fft=512, hop_length=256), Flatten())
start = time.perf_counter()
extract_features(paths, extractor, out=out, sr=8000, batch_size=64, verbose=0, return_table=False)
elapsed = time.perf_counter() - start
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, elapsed)
"""


MEL_CHILD = r"""
import sys, time, tracemalloc
import numpy as np
n, which = int(sys.argv[1]), sys.argv[2]
X = np.empty((n, 30 * 22050), dtype=np.float32)
rng = np.random.default_rng(0)
for i in range(n):
    X[i] = rng.standard_normal(X.shape[1], dtype=np.float32)
params = dict(sr=22050, n_fft=2048, hop_length=512, n_mels=128)
if which == "audiosk":
    from audiosk.features import MelSpectrogram
    step = MelSpectrogram(**params)
    step.transform(X[:1])  # compiled kernels and filterbank ready, as in any later call
    run = lambda: step.transform(X)
else:
    import librosa
    librosa.feature.melspectrogram(y=X[0], **params)
    run = lambda: np.stack([librosa.feature.melspectrogram(y=x, **params) for x in X])
tracemalloc.start()
start = time.perf_counter()
S = run()
elapsed = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
print(peak / 2**20, S.nbytes / 2**20, elapsed)
"""


def mel_memory(counts: list[int]) -> None:
    print("MelSpectrogram.transform on N x 30 s (22,050 Hz, 2048/512/128); peak above the input")
    print(
        f"{'clips':>6} {'':>8} {'peak (MiB)':>11} {'output (MiB)':>13} {'peak/output':>12} {'s':>6}"
    )
    for n in counts:
        for which in ("audiosk", "librosa"):
            result = subprocess.run(
                [sys.executable, "-c", MEL_CHILD, str(n), which],
                capture_output=True,
                text=True,
                check=True,
            )
            peak, size, seconds = map(float, result.stdout.split())
            print(
                f"{n:>6} {which:>8} {peak:>11.0f} {size:>13.0f} {peak / size:>12.2f} {seconds:>6.1f}"
            )


def write_clips(folder: Path, n: int) -> None:
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    t = np.arange(4000) / 8000
    for i in range(n):
        y = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 3000) * t) + 0.05 * rng.normal(size=t.size)
        sf.write(str(folder / f"{i:05d}.wav"), y.astype(np.float32), 8000, subtype="PCM_16")


def main():
    if sys.argv[1:2] == ["--mel"]:
        mel_memory([int(c) for c in sys.argv[2:]] or [120, 1000])
        return
    counts = [int(c) for c in sys.argv[1:]] or [1000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_clips(folder, max(counts))
        print(f"{'clips':>6} {'peak RSS (MiB)':>15} {'seconds':>8} {'table (MiB)':>12}")
        for n in counts:
            out = folder / f"mel_{n}.parquet"
            result = subprocess.run(
                [sys.executable, "-c", CHILD, str(folder), str(n), str(out)],
                capture_output=True,
                text=True,
                check=True,
            )
            peak, seconds = map(float, result.stdout.split())
            print(f"{n:>6} {peak:>15.0f} {seconds:>8.1f} {out.stat().st_size / 2**20:>12.1f}")


if __name__ == "__main__":
    main()
