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

With ``--nets``, the default net on clips of their own lengths against the
same net on clips padded/trimmed to one length, instead. For each dataset,
the audio is decoded once (``AudioLoader``) and both variants are
cross-validated on the same folds, one fold after the other (no folds in
parallel), each net on one thread, the two variants alternating which goes
first:

- "ragged": ``MelSpectrogram -> NeuralClassifier(random_state=0)`` (a
  ``Spectra`` list into the net: the TDNN recipe, masks, batches by length);
- "padded": ``PadTrim(percentile=90) -> MelSpectrogram -> NeuralClassifier(random_state=0)``;

with the log-Mel settings of ``bench_defaults.log_mel_net`` (64 Mel, 32 ms
windows rounded to a power of two, half overlap, dB). Prints the clip
lengths, the share of frames that padding adds and of audio that trimming
drops, accuracy mean +- std over the folds, fit + predict seconds per fold
(wall and CPU; the spectral step and the net, decoding excluded) and whether
the targets hold: accuracy ragged >= padded, time ragged <= 1.5 x padded.

    python benchmarks/bench_ragged.py --nets [emodb digits fsdd]

EmoDB (speaker-grouped 5-fold) and FSDD (leave one speaker out) come from
../shared/data (or AUDIOSK_BENCH_DATA) and are skipped when absent; the
embedded spoken digits (leave one speaker out) are always there.
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
    from audiosk.containers import Waveforms

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


NET_DATASETS = ["emodb", "digits", "fsdd"]


def net_data(name):
    """(title, files, targets, folds, sr) of a bench_defaults dataset; None when absent."""
    import bench_defaults

    spec = getattr(bench_defaults, name)()
    if spec is None:
        return None
    title, _, files, y, groups, cv, sr = spec
    return title, files, np.asarray(y), list(cv.split(files, y, groups)), sr


def variants(sr):
    """The ragged and padded pipelines after the loader, and the loader, from log_mel_net."""
    from bench_defaults import log_mel_net

    full = log_mel_net(sr)  # AudioLoader, PadTrim(percentile=90), MelSpectrogram, net
    assert [type(step).__name__ for _, step in full.steps[:3]] == [
        "AudioLoader",
        "PadTrim",
        "MelSpectrogram",
    ]
    return full[0], {"ragged": full[2:], "padded": full[1:]}


def mean_std(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def nets(names):
    """Cross-validate the ragged and the padded variant of each dataset; print the figures."""
    import torch
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score

    print(
        f"{os.cpu_count()} cores, torch {torch.__version__}, CUDA: {torch.cuda.is_available()}; "
        "folds one after the other, each net on one thread"
    )
    summary = []
    for name in names:
        data = net_data(name)
        if data is None:
            print(f"\n{name}: data not found; skipped")
            continue
        title, files, y, folds, sr = data
        loader, pipelines = variants(sr)
        start = time.perf_counter()
        waves = loader.fit_transform(files)  # decoded once, for both variants
        decode = time.perf_counter() - start
        samples = np.array([len(w) for w in waves])
        mel = pipelines["ragged"][0]
        print(
            f"\n{title}: {len(files)} clips at {sr} Hz decoded once in {decode:.1f} s; "
            f"Mel n_fft={mel.n_fft}, hop_length={mel.hop_length}, n_mels={mel.n_mels}"
        )
        q = np.percentile(samples, [50, 90]) / sr
        print(
            f"  clip lengths (s): min {samples.min() / sr:.3f}, median {q[0]:.3f}, "
            f"90th pct {q[1]:.3f}, max {samples.max() / sr:.3f}; "
            f"{len(np.unique(samples))} distinct lengths"
        )
        accuracy = {v: [] for v in pipelines}
        wall = {v: [] for v in pipelines}
        cpu = {v: [] for v in pipelines}
        padding, trimmed, targets = [], [], []
        for pipeline in pipelines.values():  # first calls (kernels, allocator) left untimed
            warm = clone(pipeline)
            warm[-1].set_params(max_epochs=1)
            warm.fit(waves[folds[0][0]], y[folds[0][0]]).predict(waves[folds[0][1]])
        for i, (train, test) in enumerate(folds):
            order = list(pipelines) if i % 2 == 0 else list(pipelines)[::-1]
            for variant in order:
                model = clone(pipelines[variant])
                start, start_cpu = time.perf_counter(), time.process_time()
                model.fit(waves[train], y[train])
                predicted = model.predict(waves[test])
                wall[variant].append(time.perf_counter() - start)
                cpu[variant].append(time.process_time() - start_cpu)
                accuracy[variant].append(accuracy_score(y[test], predicted))
                if variant == "padded":
                    # what this fold's padded variant fed its Mel step, train and test clips
                    target = model[0].length_
                    seen = samples[np.concatenate([train, test])]
                    hop = model[1].hop_length
                    frames = 1 + seen // hop  # librosa's frame count, centred frames
                    padded_frames = 1 + target // hop
                    padding.append(
                        np.maximum(padded_frames - frames, 0).sum() / (padded_frames * len(seen))
                    )
                    trimmed.append(np.maximum(seen - target, 0).sum() / seen.sum())
                    targets.append(target / sr)
            print(
                f"  fold {i + 1}/{len(folds)}: accuracy ragged {accuracy['ragged'][-1]:.3f}, "
                f"padded {accuracy['padded'][-1]:.3f}; seconds ragged {wall['ragged'][-1]:.1f}, "
                f"padded {wall['padded'][-1]:.1f}",
                flush=True,
            )
        print(
            f"  padded to {min(targets):.3f}-{max(targets):.3f} s (90th pct of each training "
            f"fold): padding {np.mean(padding):.1%} of the frames the padded net reads, "
            f"{np.mean(trimmed):.1%} of the audio trimmed (means over folds)"
        )
        print(f"  {'':8}{'accuracy':>16}{'wall s/fold':>13}{'CPU s/fold':>12}")
        for variant in pipelines:
            print(
                f"  {variant:8}{mean_std(accuracy[variant]):>16}"
                f"{np.mean(wall[variant]):>13.1f}{np.mean(cpu[variant]):>12.1f}"
            )
        ratio_wall = np.mean(wall["ragged"]) / np.mean(wall["padded"])
        ratio_cpu = np.mean(cpu["ragged"]) / np.mean(cpu["padded"])
        better = np.mean(accuracy["ragged"]) >= np.mean(accuracy["padded"])
        print(
            f"  ragged / padded time: wall {ratio_wall:.2f}, CPU {ratio_cpu:.2f}; targets: "
            f"accuracy ragged >= padded {'yes' if better else 'NO'}, time <= 1.5x "
            f"{'yes' if max(ratio_wall, ratio_cpu) <= 1.5 else 'NO'}",
            flush=True,
        )
        summary.append((name, accuracy, ratio_wall, ratio_cpu))
    print("\nsummary: accuracy ragged vs padded, time ragged / padded (wall, CPU)")
    for name, accuracy, ratio_wall, ratio_cpu in summary:
        print(
            f"  {name:8} {np.mean(accuracy['ragged']):.3f} vs {np.mean(accuracy['padded']):.3f}"
            f"   {ratio_wall:.2f}, {ratio_cpu:.2f}"
        )


def main():
    from audiosk.features import MelSpectrogram

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", choices=["ragged", "equal"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--nets",
        nargs="*",
        choices=NET_DATASETS,
        metavar="dataset",
        help="run the nets part instead, on these datasets (default: "
        + " ".join(NET_DATASETS)
        + ")",
    )
    args = parser.parse_args()
    if args.path:
        time_path(args.path)
        return
    if args.nets is not None:
        nets(args.nets or NET_DATASETS)
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
