"""Peak memory of extract_features as the number of clips grows.

Writes N generated clips (0.5 s, 8 kHz WAV), extracts a flattened 32-band Mel
spectrogram of each (512 columns) to Parquet with ``return_table=False``, in a
fresh process per N, and prints that process's peak resident memory and time.
Flat memory from 1,000 to 10,000 clips shows the output streams to disk.

    python benchmarks/bench_memory.py            # 1,000 and 10,000 clips
    python benchmarks/bench_memory.py 1000 5000 20000
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


def write_clips(folder: Path, n: int) -> None:
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    t = np.arange(4000) / 8000
    for i in range(n):
        y = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 3000) * t) + 0.05 * rng.normal(size=t.size)
        sf.write(str(folder / f"{i:05d}.wav"), y.astype(np.float32), 8000, subtype="PCM_16")


def main():
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
