"""extract_features scaling with n_jobs: GTZAN features of 96 generated 30 s WAV files.

Each worker process pays its start (imports, loading the compiled kernels,
about 2-3 s) once, so small jobs scale less than large ones.

    python benchmarks/bench_extract.py
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gtzan import SR, generated_clip  # noqa: E402

from audiosk.extraction import extract_features  # noqa: E402


def main(n_files=96):
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n_files):
            path = os.path.join(tmp, f"clip{i:03d}.wav")
            sf.write(path, generated_clip(i), SR, subtype="PCM_16")
            paths.append(path)
        print(f"GTZAN features of {n_files} files of 30 s, {os.cpu_count()} cores")
        base = None
        for n_jobs in (1, 2):
            out = Path(tmp) / f"table_{n_jobs}.csv"
            start = time.perf_counter()
            extract_features(paths, "gtzan", out=out, n_jobs=n_jobs, verbose=0, return_table=False)
            seconds = time.perf_counter() - start
            base = base or seconds
            print(
                f"  n_jobs={n_jobs}  {seconds:6.1f} s  ({seconds / n_files * 1000:.0f} ms per file, "
                f"speed-up {base / seconds:.2f}x)"
            )


if __name__ == "__main__":
    main()
