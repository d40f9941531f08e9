"""extract_features on GTZAN-style 30 s tracks: the cost of hashing files, and n_jobs scaling.

A job identifies each file by a SHA-256 of its bytes, so that a replaced file
is computed again whatever its size and modification time. This script
measures, in one run, the GTZAN feature extraction of 30 s WAV files (the
original GTZAN samples of ``../shared/data`` when present, else generated
tracks) against the hashing of the same files, and the time of a resumed run
with nothing left to do (hashing is then most of it).

    python benchmarks/bench_extract.py              # hashing share, 8 files
    python benchmarks/bench_extract.py --scaling    # n_jobs 1 vs 2 on 96 files (minutes)

Each worker process pays its start (imports, loading the compiled kernels,
about 2-3 s) once, so small jobs scale less than large ones.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gtzan import SR, generated_clip  # noqa: E402

from audiosk._jobs import file_digest  # noqa: E402
from audiosk.extraction import extract_features  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "gtzan"
SAMPLES = SAMPLES / "genres_original_sample"


def tracks(folder: str, n_files: int) -> list[str]:
    """Real GTZAN tracks where available, then generated 30 s tracks, as 16-bit WAV."""
    real = sorted(SAMPLES.glob("*.wav")) if SAMPLES.is_dir() else []
    paths = []
    for i in range(n_files):
        path = os.path.join(folder, f"track{i:03d}.wav")
        if i < len(real):
            shutil.copyfile(real[i], path)
        else:
            sf.write(path, generated_clip(i), SR, subtype="PCM_16")
        paths.append(path)
    print(f"{n_files} tracks of 30 s ({min(len(real), n_files)} from GTZAN, the rest generated)")
    return paths


def hashing_share(n_files: int = 8) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = tracks(tmp, n_files)
        out = Path(tmp) / "table.csv"
        start = time.perf_counter()
        extract_features(paths, "gtzan", out=out, n_jobs=1, verbose=0, return_table=False)
        extraction = time.perf_counter() - start
        start = time.perf_counter()
        for path in paths:
            file_digest(path)
        hashing = time.perf_counter() - start
        start = time.perf_counter()
        extract_features(paths, "gtzan", out=out, n_jobs=1, verbose=0, return_table=False)
        resumed = time.perf_counter() - start
        size = sum(os.path.getsize(p) for p in paths) / 2**20
        print(
            f"  extraction (n_jobs=1)     {extraction:8.2f} s  ({extraction / n_files:.2f} s per file)"
        )
        print(
            f"  SHA-256 of the files      {hashing:8.3f} s  ({size:.1f} MiB, "
            f"{size / hashing:.0f} MiB/s, files in the page cache)"
        )
        print(f"  hashing / extraction      {100 * hashing / extraction:8.2f} %")
        print(f"  resumed run, nothing to do {resumed:7.2f} s")


def scaling(n_files: int = 96) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = tracks(tmp, n_files)
        print(f"GTZAN features, {os.cpu_count()} cores")
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=None, help="number of tracks")
    parser.add_argument("--scaling", action="store_true", help="n_jobs 1 vs 2 instead")
    args = parser.parse_args()
    if args.scaling:
        scaling(args.files or 96)
    else:
        hashing_share(args.files or 8)
