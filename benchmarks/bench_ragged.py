"""MelSpectrogram on clips of any length against clips of one length, one thread.

Prints, measured in this run on 1000 generated speech-like clips at 16 kHz
(lengths drawn uniformly between 0.5 and 3 s, as utterances run) and on the
same number of clips all of the mean length, 512/160/64 Mel (32 ms windows,
10 ms hop):

- Mel time per second of audio (wall and CPU, each the minimum of 5
  interleaved rounds, each path warmed up in a process of its own; CPU time
  is steadier on a shared machine) of
  ``MelSpectrogram.transform`` on the ragged list (one spectrogram per clip,
  nothing padded), on the equal-length 2-D array, and of a per-clip
  ``librosa.feature.melspectrogram`` loop on the ragged list;
- the ratio ragged / equal (the target is at most 1.10);
- the largest difference of a ragged clip's spectrogram from librosa's,
  relative to its maximum.

    python benchmarks/bench_ragged.py [--rounds 5]
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one thread everywhere, set before numpy loads

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

SR = 16000
PARAMS = dict(n_fft=512, hop_length=160, n_mels=64)
N_CLIPS = 1000


def speech_like(n_samples, rng):
    """A voiced-sounding clip: harmonics of a gliding pitch under a syllable envelope, with noise."""
    t = np.arange(n_samples) / SR
    f0 = rng.uniform(90, 250) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(2, 5) * t), 0, None)
    noise = 0.05 * rng.normal(size=n_samples)
    return (0.3 * voiced * envelope + noise).astype(np.float32)


def clips():
    """The ragged clips (a Waveforms list), and as many clips of their mean length (2-D)."""
    from audiosk.utils import Waveforms

    rng = np.random.default_rng(0)
    lengths = rng.integers(SR // 2, 3 * SR, size=N_CLIPS)
    ragged = Waveforms([speech_like(n, rng) for n in lengths], sr=SR)
    equal = np.stack([speech_like(int(lengths.mean()), rng) for _ in range(N_CLIPS)])
    return {"ragged": ragged, "equal": equal}


def time_path(name, repeats=2):
    """Print the best wall and CPU seconds of one path's transform, warmed up, as JSON."""
    from audiosk.features import MelSpectrogram

    X = clips()[name]
    mel = MelSpectrogram(sr=SR, **PARAMS).fit(X)
    mel.transform(X)  # kernels compiled, memory allocator in its steady state
    wall = cpu = np.inf
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        mel.transform(X)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    print(json.dumps({"wall": wall, "cpu": cpu}))


def main():
    from audiosk.features import MelSpectrogram

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", choices=["ragged", "equal"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.path:
        time_path(args.path)
        return

    data = clips()
    ragged, equal = data["ragged"], data["equal"]
    lengths = np.array([len(x) for x in ragged])
    seconds = {"ragged": lengths.sum() / SR, "equal": equal.size / SR}
    print(
        f"{N_CLIPS} clips at {SR} Hz, Mel {PARAMS}: ragged {lengths.min() / SR:.2f}-"
        f"{lengths.max() / SR:.2f} s ({seconds['ragged']:.0f} s of audio), equal "
        f"{equal.shape[1] / SR:.2f} s each ({seconds['equal']:.0f} s of audio)"
    )
    # each path in a process of its own (the allocator's state after one path changes the
    # other's page faults), the processes interleaved so that drifts of the machine hit both
    wall = {"ragged": np.inf, "equal": np.inf}
    cpu = dict(wall)
    for _ in range(args.rounds):
        for name in ("ragged", "equal"):
            run = subprocess.run(
                [sys.executable, __file__, "--path", name],
                capture_output=True,
                text=True,
                check=True,
            )
            best = json.loads(run.stdout.splitlines()[-1])
            wall[name] = min(wall[name], best["wall"])
            cpu[name] = min(cpu[name], best["cpu"])

    import librosa

    def librosa_loop(clips):
        return [librosa.feature.melspectrogram(y=x, sr=SR, **PARAMS) for x in clips]

    reference = {"wall": np.inf, "cpu": np.inf}
    for _ in range(2):
        start, start_cpu = time.perf_counter(), time.process_time()
        expected = librosa_loop(ragged)
        reference["wall"] = min(reference["wall"], time.perf_counter() - start)
        reference["cpu"] = min(reference["cpu"], time.process_time() - start_cpu)

    got = MelSpectrogram(sr=SR, **PARAMS).fit_transform(ragged)
    error = max(float(np.abs(g - e).max() / e.max()) for g, e in zip(got, expected, strict=True))
    ms = {  # milliseconds per second of audio
        "audiosk, ragged list": (wall["ragged"], cpu["ragged"], seconds["ragged"]),
        "audiosk, equal-length 2-D array": (wall["equal"], cpu["equal"], seconds["equal"]),
        "librosa loop, ragged list": (reference["wall"], reference["cpu"], seconds["ragged"]),
    }
    print(f"{'ms per s of audio':<34}{'wall':>8}{'CPU':>8}")
    for name, (w, c, total) in ms.items():
        print(f"{name:<34}{w / total * 1e3:>8.3f}{c / total * 1e3:>8.3f}")
    ratio_wall = (wall["ragged"] / seconds["ragged"]) / (wall["equal"] / seconds["equal"])
    ratio_cpu = (cpu["ragged"] / seconds["ragged"]) / (cpu["equal"] / seconds["equal"])
    print(f"ragged / equal: wall {ratio_wall:.3f}, CPU {ratio_cpu:.3f} (target <= 1.10)")
    print(f"largest difference from librosa, relative to each clip's maximum: {error:.1e}")


if __name__ == "__main__":
    main()
