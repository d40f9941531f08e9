"""GTZANFeatures against separate librosa calls, and throughput on 2 cores.

Prints, measured in one run:
- seconds per 30 s clip (22,050 Hz) of GTZANFeatures and of the separate librosa
  calls in gtzan_reference.py, on one core, and their ratio (target >= 10, goal 20);
- wall time of GTZANFeatures on N generated 30 s clips with 2 worker processes
  (goal: under 90 s for 1000).

    python benchmarks/bench_gtzan.py            # N = 1000
    python benchmarks/bench_gtzan.py --clips 100
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent.parent / "shared" / "data" / "gtzan" / "genres_original_sample"
SR = 22050


def generated_clip(seed, seconds=30.0):
    """Harmonic tones that change every 2 s plus noise hits on a beat."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    notes = rng.uniform(110, 880, size=int(seconds // 2) + 1)[(t // 2).astype(int)]
    tone = sum(0.2 / k * np.sin(2 * np.pi * k * notes * t) for k in range(1, 4))
    period = 60.0 / rng.uniform(70, 160)
    beat = (np.mod(t, period) < 0.02) * rng.normal(scale=0.3, size=t.size)
    return (tone + beat + 0.01 * rng.normal(size=t.size)).astype(np.float32)


def varied_clip(bases, seed):
    """One of the synthesised base clips, rotated and scaled per seed (about 1 ms)."""
    return np.roll(bases[seed % len(bases)], 997 * seed) * np.float32(0.5 + (seed % 7) / 10)


def describe_generated(bases, seeds):
    from audiosk.features._gtzan import gtzan_features

    return np.stack([gtzan_features(varied_clip(bases, s), SR) for s in seeds])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=1000)
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from audiosk.features._gtzan import gtzan_features
    from audiosk.io import load_audio

    sys.path.insert(0, str(HERE))
    from gtzan_reference import gtzan_reference

    if SAMPLES.is_dir():
        clips = [load_audio(p, sr=SR)[0] for p in sorted(SAMPLES.glob("*.wav"))]
        source = f"the {len(clips)} GTZAN sample tracks"
    else:
        clips = [generated_clip(s) for s in range(4)]
        source = "4 generated 30 s clips"
    gtzan_features(clips[0][: 5 * SR])  # compile the kernels once
    with threadpool_limits(1):
        start = time.perf_counter()
        for y in clips:
            gtzan_features(y, SR)
        ours = (time.perf_counter() - start) / len(clips)
        start = time.perf_counter()
        for y in clips:
            gtzan_reference(y, SR)
        reference = (time.perf_counter() - start) / len(clips)
    print(f"one core, {source}:")
    print(f"  librosa calls  {reference:6.3f} s per clip")
    print(f"  GTZANFeatures  {ours:6.3f} s per clip")
    print(f"  ratio          {reference / ours:6.1f}x")

    from joblib import Parallel, delayed

    bases = np.stack([generated_clip(s) for s in range(16)])  # memory-mapped to the workers
    seeds = np.arange(args.clips)
    batches = np.array_split(seeds, max(1, args.clips // 10))
    start = time.perf_counter()
    tables = Parallel(n_jobs=2)(delayed(describe_generated)(bases, b) for b in batches)
    wall = time.perf_counter() - start
    assert sum(len(t) for t in tables) == args.clips
    print(
        f"{args.clips} generated 30 s clips, 2 processes: {wall:.1f} s wall "
        f"({wall / args.clips * 1000:.0f} ms per clip, worker start and clip synthesis included)"
    )


if __name__ == "__main__":
    main()
